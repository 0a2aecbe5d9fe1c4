// What the writer's safety costs per page: writeRows of a page of 100 messages (authors, mentions)
// as shipped (cleaning + one savepoint per page), against the same call with the savepoint statement
// dropped (the baseline, measured in the same run), and the cost of a page holding one refused row.
//   node --import tsx scripts/bench-write-page.ts [--pages 200]
// Database: DATABASE_URL (migrated) when set, else an in-memory embedded PGlite.
import { ensureTenant } from "../src/accounts/tenants";
import { withTenant, type TenantTx } from "../src/db/client";
import { writeRows } from "../src/db/writers";
import { mapMessages } from "../src/extraction/map";
import { runMain } from "../src/node/database";
import { openNodePool } from "./simulate";

const G = "1000000000000000001";

function page(n: number, opts: { bad?: boolean; dirty?: boolean } = {}) {
  return Array.from({ length: 100 }, (_, i) => ({
    id: String(1300000000000000000n + BigInt(n * 100 + i)),
    channel_id: "1200000000000000001",
    author: {
      id: String(1100000000000000000n + BigInt(i % 20)),
      username: `user${i % 20}`,
      discriminator: "0",
      global_name: null,
      avatar: null,
    },
    content: `page ${n} message ${i} with a few words${opts.dirty && i % 3 === 0 ? " \u0000 \uD83D" : ""}`,
    timestamp: "2026-11-20T10:00:00.000000+00:00",
    edited_timestamp: opts.bad && i === 50 ? "2026-02-30T10:00:00.000000+00:00" : null,
    mentions: i % 5 === 0 ? [{ id: "1100000000000000099", username: "m", discriminator: "0", global_name: null, avatar: null }] : [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    type: 0,
  }));
}

/** The baseline: the transaction without the writer's per-page savepoint. */
const withoutSavepoint = (tx: TenantTx): TenantTx => ({
  tenantId: tx.tenantId,
  query: (text, params) => (text === "SAVEPOINT write_rows" ? Promise.resolve({ rows: [], rowCount: 0 }) : tx.query(text, params)) as never,
});

async function main() {
  const pagesArg = process.argv.indexOf("--pages");
  const pages = pagesArg > 0 ? Number(process.argv[pagesArg + 1]) : 200;
  const db = await openNodePool(2);
  try {
    const results: { case: string; msPerPage: number }[] = [];
    const run = async (name: string, opts: { bad?: boolean; dirty?: boolean }, wrap: (tx: TenantTx) => TenantTx, offset: number) => {
      const tenant = `bench_${name.replace(/\W+/g, "_")}_${Date.now()}`;
      await ensureTenant(db.pool, tenant, "user");
      const rows = Array.from({ length: pages }, (_, n) => mapMessages(G, page(offset + n, opts) as never));
      const t0 = performance.now();
      for (const r of rows) await withTenant(db.pool, tenant, (tx) => writeRows(wrap(tx), r));
      results.push({ case: name, msPerPage: (performance.now() - t0) / pages });
    };
    // Alternate so drift (warm-up, autovacuum) does not favour one side.
    for (let round = 0; round < 2; round++) {
      await run(`baseline (no savepoint) #${round + 1}`, {}, withoutSavepoint, round * 10_000);
      await run(`as shipped #${round + 1}`, {}, (tx) => tx, 100_000 + round * 10_000);
    }
    await run("as shipped, dirty text (1/3 of contents)", { dirty: true }, (tx) => tx, 200_000);
    await run("as shipped, 1 refused row per page", { bad: true }, (tx) => tx, 300_000);
    const base = (results[0].msPerPage + results[2].msPerPage) / 2;
    console.log(`database: ${db.kind}; ${pages} pages of 100 messages per case`);
    console.log("case                                        ms/page   ratio to baseline");
    for (const r of results) console.log(`${r.case.padEnd(44)}${r.msPerPage.toFixed(2).padStart(7)}   ${(r.msPerPage / base).toFixed(2)}`);
    console.log("rerun: node --import tsx scripts/bench-write-page.ts [--pages 200]   (DATABASE_URL=... for PostgreSQL)");
  } finally {
    await db.close();
  }
}

runMain(main);
