// A tenant's first sync runs under statistics taken before it existed: autovacuum (on in Neon) has
// analyzed the tables with other tenants' rows only. Planned with the new tenant's id in view, its
// "tenant_id = X" looked empty, and a page write's probe for "is this row stored unchanged?" took a
// tenant-prefix index instead of the primary key: every probe read every row the tenant already had,
// so a first sync slowed quadratically (bench:extract: 2-3 s per page of 100 messages, not 2 ms).
import { afterAll, describe, expect, it } from "vitest";
import { ensureTenant } from "../../src/accounts/tenants";
import { withTenant, type TenantTx } from "../../src/db/client";
import { writeRows } from "../../src/db/writers";
import { messageRow } from "../db/message-rows";
import { migratedServerDatabase } from "./helpers";

// 3,000 messages a minute apart by 50 authors.
const msg = (i: number) =>
  messageRow(i, {
    author: { id: String(1100000000000000000n + BigInt(i % 50)), username: "a", discriminator: "0", global_name: null, avatar: null },
    timestamp: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(),
  });

type PlanNode = { Alias?: string; "Index Name"?: string; "Index Cond"?: string; "Rows Removed by Filter"?: number; Plans?: PlanNode[] };
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

describe.runIf(process.env.TEST_DATABASE_URL)("a new tenant's page writes under other tenants' statistics", () => {
  let db: Awaited<ReturnType<typeof migratedServerDatabase>> | undefined;
  afterAll(async () => {
    await db?.end();
  });

  it("probe each row by primary key: one row read per probe, however many the tenant already has", async () => {
    db = await migratedServerDatabase();
    const { owner, pool } = db;
    const all = Array.from({ length: 3000 }, (_, i) => msg(i));
    await ensureTenant(pool, "old_tenant", "user");
    await ensureTenant(pool, "new_tenant", "user");
    await withTenant(pool, "old_tenant", (tx) => writeRows(tx, { messages: all }));
    // What autovacuum does after the other tenant's load; the new tenant is unknown to the statistics.
    await owner.query("ANALYZE");
    await withTenant(pool, "new_tenant", (tx) => writeRows(tx, { messages: all.slice(0, 2000) }));

    // The next page (100 stored rows and 100 new ones), its statement explained as it runs.
    const plans: PlanNode[] = [];
    const explaining = (tx: TenantTx): TenantTx => ({
      tenantId: tx.tenantId,
      query: async (sql: string, params?: unknown[]) => {
        if (!sql.startsWith("INSERT INTO messages")) return tx.query(sql, params);
        const r = await tx.query<{ "QUERY PLAN": { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
        plans.push(r.rows[0]["QUERY PLAN"][0].Plan);
        return { rows: [], rowCount: 0 } as never;
      },
    });
    await withTenant(pool, "new_tenant", (tx) => writeRows(explaining(tx), { messages: all.slice(1900, 2100) }));
    const probes = plans.flatMap(nodes).filter((n) => n.Alias === "cur");
    expect(probes.length).toBeGreaterThan(0);
    for (const p of probes) {
      expect(p["Index Name"]).toBe("messages_pkey");
      expect(p["Index Cond"]).toMatch(/\bid = /);
      // With the tenant-prefix index, each of the 200 probes filtered the tenant's 2,000 rows.
      expect(p["Rows Removed by Filter"] ?? 0).toBeLessThanOrEqual(100);
    }
    const n = await withTenant(
      pool,
      "new_tenant",
      async (tx) => (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM messages")).rows[0].n,
    );
    expect(n).toBe(2100);
  }, 120_000);
});
