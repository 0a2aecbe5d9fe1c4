// writeRows against the database: idempotent, one statement per table, no clobbering of better user data, and
// replies to deleted originals filled from our stored copy.
import { describe, expect, it } from "vitest";
import { ensureTenant } from "../../src/accounts/tenants";
import { withTenant, type TenantTx } from "../../src/db/client";
import { arrayLiteral, writeRows } from "../../src/db/writers";
import type { MessageRow, UserRow } from "../../src/db/rows";
import { settleMessagesPage } from "../../src/extraction/store";
import { freshTenant, withPool } from "../extraction/helpers";
import { messageRow } from "./message-rows";

const msg = (i: number, extra: Partial<MessageRow> = {}) => messageRow(i, {}, extra);
/** The elements of an array literal of ids (no commas inside them). */
const elements = (literal: unknown) => String(literal).slice(1, -1).split(",");

const full: UserRow = {
  id: "1100000000000000001",
  username: "a",
  discriminator: "0",
  global_name: "Alice",
  avatar: "abc",
  is_bot: false,
  is_system: false,
  is_webhook: false,
};

describe("writeRows", () => {
  it("writes a page once: the same page again changes nothing", async () => {
    const tenant = freshTenant();
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      const page = { users: [full], messages: [msg(1), msg(2), msg(1)] };
      const first = await withTenant(pool, tenant, (tx) => writeRows(tx, page));
      expect(first).toEqual({ users: 1, messages: 2 });
      const second = await withTenant(pool, tenant, (tx) => writeRows(tx, page));
      expect(second).toEqual({ users: 0, messages: 0 });
      const edited = await withTenant(pool, tenant, (tx) =>
        writeRows(tx, { messages: [msg(2, { content: "changed", edited_at: "2026-11-21T00:00:00Z" })] }),
      );
      expect(edited).toEqual({ messages: 1 });
    });
  });

  it("a partial user object does not erase what a fuller one stored", async () => {
    const tenant = freshTenant();
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      await withTenant(pool, tenant, (tx) => writeRows(tx, { users: [{ ...full, is_bot: true }] }));
      const partial: UserRow = { ...full, global_name: null, avatar: null, discriminator: null, is_bot: false };
      const res = await withTenant(pool, tenant, (tx) => writeRows(tx, { users: [partial] }));
      expect(res.users).toBe(0);
      const row = await withTenant(
        pool,
        tenant,
        async (tx) => (await tx.query<any>(`SELECT global_name, avatar, discriminator, is_bot FROM users`)).rows[0],
      );
      expect(row).toEqual({ global_name: "Alice", avatar: "abc", discriminator: "0", is_bot: true });
    });
  });

  it("writes a batch of any size in one statement per table, its text the same for every size", async () => {
    const tenant = freshTenant();
    const rows = Array.from({ length: 3000 }, (_, i) => msg(i + 10));
    const sent: { sql: string; params: unknown[] }[] = [];
    const recording = (tx: TenantTx): TenantTx => ({
      tenantId: tx.tenantId,
      query: ((sql: string, params?: unknown[]) => {
        if (sql.startsWith("INSERT INTO messages")) sent.push({ sql, params: params ?? [] });
        return tx.query(sql, params);
      }) as TenantTx["query"],
    });
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      const res = await withTenant(pool, tenant, (tx) => writeRows(recording(tx), { messages: rows.reverse() }));
      expect(res.messages).toBe(3000);
      // 3,000 rows (72,000 values, past PostgreSQL's 65,535 bind parameters) in one statement of one
      // array literal per column.
      expect(sent).toHaveLength(1);
      expect(sent[0].params.every((p) => typeof p === "string" && p.startsWith("{") && p.endsWith("}"))).toBe(true);
      expect(elements(sent[0].params[0])).toHaveLength(3000);
      // One row more: the same text, built once (nothing in it depends on the rows).
      await withTenant(pool, tenant, (tx) => writeRows(recording(tx), { messages: [msg(5000)] }));
      expect(sent).toHaveLength(2);
      expect(sent[1].sql).toBe(sent[0].sql);
      expect(elements(sent[1].params[0])).toEqual([`"${msg(5000).id}"`]);
      const n = await withTenant(pool, tenant, async (tx) => (await tx.query<any>(`SELECT count(*)::int AS n FROM messages`)).rows[0].n);
      expect(n).toBe(3001);
    });
  });

  it("array columns and text that looks like array syntax keep their values", async () => {
    const tenant = freshTenant();
    const odd = ['{"a", b}', "NULL", 'back\\slash \\" quote', "", "comma, {brace}"];
    const rows = odd.map((content, i) =>
      msg(i + 1, { content, role_mention_ids: i % 2 ? [] : ["1400000000000000001", "1400000000000000002"] }),
    );
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      await withTenant(pool, tenant, (tx) => writeRows(tx, { messages: rows }));
      const stored = await withTenant(
        pool,
        tenant,
        async (tx) => (await tx.query<any>(`SELECT id::text, content, role_mention_ids::text[] AS roles FROM messages ORDER BY id`)).rows,
      );
      expect(stored.map((r: any) => r.content)).toEqual(odd);
      expect(stored.map((r: any) => r.roles)).toEqual(rows.map((r) => r.role_mention_ids));
      expect(arrayLiteral(['a"b', null, "c\\d"])).toBe('{"a\\"b",NULL,"c\\\\d"}');
      // Numbers and booleans need no quotes; JSON is quoted and escaped like any text.
      expect(arrayLiteral([7, false, { q: '"' }])).toBe('{7,false,"{\\"q\\":\\"\\\\\\"\\"}"}');
    });
  });

  it("a reply whose original was deleted on Discord takes the author from our stored copy", async () => {
    const tenant = freshTenant();
    await withPool(async (pool) => {
      await ensureTenant(pool, tenant, "user");
      const original = msg(1, { author_id: "1100000000000000007" });
      const reply = msg(2, {
        message_type: 19,
        reply_to_message_id: original.id,
        reply_to_channel_id: original.channel_id,
        reply_to_author_id: null,
      });
      await withTenant(pool, tenant, (tx) => writeRows(tx, { messages: [original] }));
      const filled = await withTenant(pool, tenant, async (tx) => {
        await writeRows(tx, { messages: [reply] });
        // The reply's page: [reply.id, now) of its channel, the reply alone on it.
        const page = { channelId: reply.channel_id, from: reply.id, below: null, seen: [reply.id], now: new Date().toISOString() };
        return settleMessagesPage(tx, { ...page, gone: [], replyIds: [reply.id] });
      });
      expect(filled).toEqual({ reactionsRemoved: 0, repliesFilled: 1, messagesDeleted: 0 });
      // A later sighting with the author unknown again keeps it.
      await withTenant(pool, tenant, (tx) => writeRows(tx, { messages: [reply] }));
      const got = await withTenant(
        pool,
        tenant,
        async (tx) => (await tx.query<any>(`SELECT reply_to_author_id::text FROM messages WHERE id = $1`, [reply.id])).rows[0],
      );
      expect(got.reply_to_author_id).toBe("1100000000000000007");
    });
  });
});
