// Real text never costs a message: NUL bytes, lone surrogates, 4,000-character content and odd names
// are stored cleaned (runExtraction against the simulator's "wild" text), and a row the database
// refuses anyway is skipped alone, named in a warning, while the rest of its page is stored.
import { describe, expect, it } from "vitest";
import { ensureTenant } from "../../src/accounts/tenants";
import { withTenant } from "../../src/db/client";
import { writeRows, type RejectedRow } from "../../src/db/writers";
import { mapMessages } from "../../src/extraction/map";
import { diff, freshTenant, startSim, stored, sync, truth, withPool } from "./helpers";

const byId = <T extends Record<string, unknown>>(rows: T[], key: string) => Object.fromEntries(rows.map((r) => [String(r[key]), r]));

describe("real text", () => {
  it("a server whose text holds NUL, lone surrogates and 4,000-character content: every message stored, cleaned", {
    timeout: 180_000,
  }, async () => {
    const sim = await startSim({ text: "wild", messages: 60 });
    // What Discord sends: JSON escapes of NUL and of lone surrogates, and messages of 4,000 characters.
    const general = sim.summary.guilds[0].channels.find((c: any) => c.type === 0 && c.readable);
    const raw = await (
      await fetch(`${sim.api}/channels/${general.id}/messages?limit=100`, { headers: { Authorization: `Bot ${sim.token}` } })
    ).text();
    expect(raw).toContain("\\u0000");
    expect(raw).toMatch(/\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])/);
    expect(raw).toMatch(/(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/);
    expect((JSON.parse(raw) as { content: string }[]).some((m) => m.content.length === 4000)).toBe(true);

    const tenant = freshTenant();
    await withPool(async (pool) => {
      const stats = await sync(sim, pool, tenant);
      expect(stats.error).toBeNull();
      expect(stats.status).toBe("succeeded");
      expect(stats.pagesFailed).toBe(0);
      const exp = await sim.expected({ syncDays: 7 });
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
      expect(stats.written.messages).toBe(exp.counts.messages);
      expect(stats.written.rows_rejected ?? 0).toBe(0);
      // The job counts what it cleaned: at least every message, name and nickname the world made wild.
      expect(stats.written.text_cleaned).toBeGreaterThan(50);
      expect(exp.messages.some((m: any) => m.content.length >= 3990)).toBe(true);
      expect(exp.messages.some((m: any) => m.content.includes("\uFFFD"))).toBe(true);

      // Names, nicknames, topics and the server name too, as the ground truth says.
      const got = await withTenant(pool, tenant, async (tx) => ({
        servers: (await tx.query<any>(`SELECT id::text, name FROM servers`)).rows,
        channels: (await tx.query<any>(`SELECT id::text, name FROM channels`)).rows,
        users: (await tx.query<any>(`SELECT id::text, username, global_name FROM users`)).rows,
        members: (await tx.query<any>(`SELECT user_id::text, nickname FROM server_members`)).rows,
        long: (await tx.query<any>(`SELECT count(*)::int AS n FROM messages WHERE length(content) >= 3990`)).rows[0].n,
      }));
      expect(got.servers).toEqual(exp.servers.map((s: any) => ({ id: s.id, name: s.name })));
      expect(byId(got.channels, "id")).toEqual(
        byId(
          exp.channels.map((c: any) => ({ id: c.id, name: c.name })),
          "id",
        ),
      );
      expect(byId(got.users, "id")).toEqual(
        byId(
          exp.users.map((u: any) => ({ id: u.id, username: u.username, global_name: u.global_name })),
          "id",
        ),
      );
      expect(byId(got.members, "user_id")).toEqual(
        byId(
          exp.serverMembers.map((m: any) => ({ user_id: m.user_id, nickname: m.nickname })),
          "user_id",
        ),
      );
      expect(got.long).toBe(exp.messages.filter((m: any) => m.content.length >= 3990).length);
      expect(exp.servers[0].name).toContain("\uFFFD");
      expect(exp.users.some((u: any) => u.username.includes("\uFFFD"))).toBe(true);

      // Again: nothing changes, nothing is duplicated.
      const again = await sync(sim, pool, tenant);
      expect(again.status).toBe("succeeded");
      const { servers, text_cleaned: _cleaned, ...rest } = again.written;
      expect(rest).toEqual({});
      expect(servers).toBe(1);
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
    });
  });

  it("a page with one row the database refuses keeps the other 99 and names the bad one; a retry never duplicates", {
    timeout: 180_000,
  }, async () => {
    const sim = await startSim({ messages: 150, unstorable: 1 });
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const stats = await sync(sim, pool, tenant);
      expect(stats.error).toBeNull();
      expect(stats.pagesFailed).toBe(0);
      expect(stats.channelIssues.filter((i) => i.status === "failed")).toEqual([]);
      const exp = await sim.expected({ syncDays: 7 });
      // The ground truth leaves out exactly the unstorable message: everything else is stored.
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
      expect(stats.written.messages).toBe(exp.counts.messages);
      expect(stats.written.rows_rejected).toBe(1);

      const [unstorable] = sim.summary.guilds[0].unstorable;
      const bad = stats.warnings.filter((w) => /could not be stored/.test(w));
      expect(bad).toHaveLength(1);
      expect(bad[0]).toContain(`message ${unstorable.id} `);
      expect(bad[0]).toMatch(/SQLSTATE 22/);
      expect(exp.messages.some((m: any) => m.id === unstorable.id)).toBe(false);
      // It lies in its channel's first page (the newest 100, all inside the window): the other 99 are stored (diff above).
      const inChannel = exp.messages.filter((m: any) => m.channel_id === unstorable.channelId);
      expect(inChannel.length).toBeGreaterThanOrEqual(100);
      expect(inChannel.filter((m: any) => BigInt(m.id) > BigInt(unstorable.id)).length).toBeLessThan(99);
      const badId = unstorable.id as string;
      const exists = await withTenant(
        pool,
        tenant,
        async (tx) => (await tx.query<any>(`SELECT count(*)::int AS n FROM messages WHERE id = $1::bigint`, [badId])).rows[0].n,
      );
      expect(exists).toBe(0);

      // A retry (here a second sync over the same messages) stores nothing twice and still names it.
      const again = await sync(sim, pool, tenant, { rescanMs: 30 * 86_400_000 });
      expect(again.written.messages ?? 0).toBe(0);
      expect(again.warnings.filter((w) => w.includes(badId))).toHaveLength(1);
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
    });
  });

  it("writeRows: one refused row in a page of 100 leaves the 99 and the transaction usable; its mentions are not stored", async () => {
    const tenant = freshTenant();
    const G = "1000000000000000001";
    const page = Array.from({ length: 100 }, (_, i) => ({
      id: String(1300000000000000000n + BigInt(i)),
      channel_id: "1200000000000000001",
      author: { id: "1100000000000000001", username: `a\u0000${i}`, discriminator: "0", global_name: null, avatar: null },
      content: `message\u0000 ${i} \uD83D`,
      timestamp: "2026-11-20T10:00:00.000000+00:00",
      // No such day: PostgreSQL refuses the value (a data error, SQLSTATE 22008).
      edited_timestamp: i === 37 ? "2026-02-30T10:00:00.000000+00:00" : null,
      mentions: [{ id: "1100000000000000002", username: "m", discriminator: "0", global_name: null, avatar: null }],
      mention_roles: [],
      attachments: [],
      embeds: [],
      type: 0,
    }));
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      const rejected: RejectedRow[] = [];
      const res = await withTenant(pool, tenant, async (tx) => {
        const counts = await writeRows(tx, mapMessages(G, page as never), rejected);
        // The page's transaction goes on after the refused row.
        const n = (await tx.query<any>(`SELECT count(*)::int AS n FROM messages`)).rows[0].n;
        return { counts, n };
      });
      expect(res.n).toBe(99);
      expect(res.counts).toMatchObject({ messages: 99, message_mentions: 99, rows_rejected: 1 });
      // 100 contents + 1 username (the author, merged to one row), all with a NUL or a lone surrogate.
      expect(res.counts.text_cleaned).toBe(101);
      expect(rejected).toEqual([
        expect.objectContaining({ table: "messages", key: { id: page[37].id }, code: expect.stringMatching(/^22/) }),
      ]);
      const after = await withTenant(pool, tenant, async (tx) => ({
        ids: (await tx.query<any>(`SELECT id::text FROM messages ORDER BY id`)).rows.map((r) => r.id),
        mentions: (await tx.query<any>(`SELECT message_id::text FROM message_mentions`)).rows.map((r) => r.message_id),
        content: (await tx.query<any>(`SELECT content FROM messages WHERE id = $1::bigint`, [page[0].id])).rows[0].content,
      }));
      expect(after.ids).toEqual(page.filter((_, i) => i !== 37).map((m) => m.id));
      expect(after.mentions).not.toContain(page[37].id);
      expect(after.content).toBe("message 0 \uFFFD");
      // Written again (a retried page): no duplicates, nothing changed, the same row refused.
      const again: RejectedRow[] = [];
      const counts = await withTenant(pool, tenant, (tx) => writeRows(tx, mapMessages(G, page as never), again));
      expect(counts).toMatchObject({ messages: 0, message_mentions: 0, rows_rejected: 1 });
      expect(again).toHaveLength(1);
    });
  });
});
