// The incremental analytics refresh against the full one: after random histories of writes
// (messages new, edited, deleted or removed; reactions and mentions added and removed; members
// joining, leaving, re-joining; users turning bot or webhook), across days, two servers and two
// tenants, an incremental refresh must leave exactly the rows a fresh full refresh builds, in every
// analytics table. Also: RLS keeps the other tenant's rows and change keys out of reach, and a
// refresh with nothing changed rewrites nothing, and a narrow change (a reaction, a deletion, a join, a
// post in a later week) reaches only the members, weeks, cohorts and pairs it changes.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refreshAnalytics, type RefreshProgress } from "../../src/analytics/refresh";
import { SLICE_TABLES } from "../../src/analytics/refresh-sql";
import { updateSettings } from "../../src/analytics/settings";
import { withTenant, type PoolLike } from "../../src/db/client";
import { readConfig } from "../../src/config";
import { openPool } from "../../src/db/client";
import { env } from "cloudflare:workers";
import { freshTenant } from "./helpers";
import { startSim, sync } from "../extraction/helpers";

let pool: PoolLike;
beforeAll(() => {
  pool = openPool(readConfig(env));
});
afterAll(async () => pool.end());

const DAY0 = Date.parse("2026-10-05T00:00:00Z");
const DAYS = 24;
const USERS = 7;
const EMOJIS = ["👍", "🎉", "custom:1"];

interface Slice {
  tenant: string;
  server: string;
}

/** Every row of every analytics table of a slice, as sorted JSON text. */
async function snapshot(s: Slice): Promise<Record<string, string[]>> {
  return withTenant(
    pool,
    s.tenant,
    async (tx) => {
      const all = SLICE_TABLES.map((t) => `SELECT '${t}' AS t, row_to_json(x)::text AS r FROM ${t} x WHERE server_id = $1`).join(
        " UNION ALL ",
      );
      const r = await tx.query<{ t: string; r: string }>(`SELECT t, r FROM (${all}) a ORDER BY t, r`, [s.server]);
      const out: Record<string, string[]> = Object.fromEntries(SLICE_TABLES.map((t) => [t, [] as string[]]));
      for (const row of r.rows) out[row.t].push(row.r);
      return out;
    },
    { readOnly: true },
  );
}

/** Row versions (xmin, ctid) of a slice's analytics rows: unchanged iff nothing was rewritten. */
async function rowVersions(s: Slice): Promise<string[]> {
  return withTenant(
    pool,
    s.tenant,
    async (tx) => {
      const out: string[] = [];
      for (const table of SLICE_TABLES) {
        const r = await tx.query<{ v: string }>(
          `SELECT string_agg(xmin::text || ctid::text, ',' ORDER BY ctid) AS v FROM ${table} WHERE server_id = $1`,
          [s.server],
        );
        out.push(`${table}:${r.rows[0].v ?? ""}`);
      }
      return out;
    },
    { readOnly: true },
  );
}

async function pendingKeys(tenant: string): Promise<number> {
  return withTenant(pool, tenant, async (tx) =>
    Number((await tx.query<{ n: string }>("SELECT count(*) AS n FROM analytics_dirty")).rows[0].n),
  );
}

// ---------------------------------------------------------------- random histories

type Op =
  | {
      k: "msg";
      slice: number;
      day: number;
      minute: number;
      channel: number;
      author: number;
      reply: number | null;
      webhook: boolean;
      system: boolean;
    }
  | { k: "edit"; slice: number; pick: number; what: "content" | "undelete" | "reply_author" | "author" }
  | { k: "delete"; slice: number; pick: number; hard: boolean }
  | { k: "react"; slice: number; pick: number; user: number; emoji: number; untimed: boolean }
  | { k: "unreact"; slice: number; pick: number }
  | { k: "mention"; slice: number; pick: number; user: number }
  | { k: "unmention"; slice: number; pick: number }
  | { k: "join"; slice: number; user: number; day: number }
  | { k: "leave"; slice: number; user: number; hard: boolean }
  | { k: "flag"; slice: number; user: number; what: "bot" | "webhook" | "drop" }
  | { k: "refresh" };

const slice = fc.integer({ min: 0, max: 2 });
const pick = fc.nat(1000);
const user = fc.integer({ min: 0, max: USERS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      k: fc.constant("msg" as const),
      slice,
      day: fc.integer({ min: 0, max: DAYS - 1 }),
      minute: fc.integer({ min: 0, max: 1439 }),
      channel: fc.integer({ min: 0, max: 1 }),
      author: user,
      reply: fc.option(pick, { freq: 2 }),
      webhook: fc.constantFrom(false, false, false, true),
      system: fc.constantFrom(false, false, false, false, true),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("edit" as const),
      slice,
      pick,
      what: fc.constantFrom("content" as const, "undelete" as const, "reply_author" as const, "author" as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("delete" as const), slice, pick, hard: fc.boolean() }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant("react" as const),
      slice,
      pick,
      user,
      emoji: fc.integer({ min: 0, max: EMOJIS.length - 1 }),
      untimed: fc.constantFrom(false, false, false, true),
    }),
  },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("unreact" as const), slice, pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("mention" as const), slice, pick, user }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("unmention" as const), slice, pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("join" as const), slice, user, day: fc.integer({ min: -20, max: DAYS - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("leave" as const), slice, user, hard: fc.boolean() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("flag" as const),
      slice,
      user: fc.oneof(fc.constantFrom(5, 6), user),
      what: fc.constantFrom("bot" as const, "webhook" as const, "drop" as const),
    }),
  },
  { weight: 3, arbitrary: fc.constant({ k: "refresh" as const }) },
);

/** Applies one write the way a sync would (one tenant transaction), picking among existing rows. */
async function apply(op: Exclude<Op, { k: "refresh" }>, s: Slice, ids: { next: bigint; userBase: bigint }): Promise<void> {
  const uid = (i: number) => String(ids.userBase + BigInt(i));
  const ch = (i: number) => String(BigInt(s.server) * 10n + BigInt(i));
  await withTenant(pool, s.tenant, async (tx) => {
    const nth = async (sql: string, n: number) => {
      const r = await tx.query<Record<string, string>>(`${sql} ORDER BY 1 OFFSET ${Math.floor(n)} LIMIT 1`, [s.server]);
      return r.rows[0];
    };
    const countOf = async (sql: string) =>
      Number((await tx.query<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, [s.server])).rows[0].n);
    const anyMessage = async (p: number) => {
      const n = await countOf("SELECT id FROM messages WHERE server_id = $1");
      return n ? nth("SELECT id::text, author_id::text, created_at FROM messages WHERE server_id = $1", p % n) : undefined;
    };
    switch (op.k) {
      case "msg": {
        const id = String(ids.next++);
        const at = new Date(DAY0 + op.day * 86_400_000 + op.minute * 60_000).toISOString();
        let replyTo: string | null = null;
        let replyAuthor: string | null = null;
        if (op.reply !== null) {
          const o = await anyMessage(op.reply);
          // Some replies name an original that is not stored (outside the window): author only.
          if (o && op.reply % 5 !== 0) [replyTo, replyAuthor] = [o.id, o.author_id];
          else [replyTo, replyAuthor] = [String(ids.next++), uid(op.reply % USERS)];
        }
        await tx.query(
          `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at, message_type, is_system,
                                 reply_to_message_id, reply_to_author_id, webhook_id)
           VALUES (current_setting('app.current_tenant'), $1, $2, $3, $4, 'hello', $5, $6, $7, $8, $9, $10)`,
          [
            id,
            s.server,
            ch(op.channel),
            uid(op.author),
            at,
            replyTo ? 19 : op.system ? 7 : 0,
            op.system,
            replyTo,
            replyAuthor,
            op.webhook ? "77" : null,
          ],
        );
        return;
      }
      case "edit": {
        const m = await anyMessage(op.pick);
        if (!m) return;
        const set = {
          content: "content = content || ' (edited)', edited_at = now()",
          undelete: "is_deleted = NOT is_deleted",
          reply_author: "reply_to_author_id = CASE WHEN reply_to_author_id IS NULL THEN author_id + 1 ELSE NULL END",
          author: `author_id = ${uid((op.pick + 1) % USERS)}`,
        }[op.what];
        await tx.query(`UPDATE messages SET ${set} WHERE id = $1`, [m.id]);
        return;
      }
      case "delete": {
        const m = await anyMessage(op.pick);
        if (!m) return;
        await tx.query(
          op.hard ? "DELETE FROM messages WHERE id = $1" : "UPDATE messages SET is_deleted = true, deleted_at = now() WHERE id = $1",
          [m.id],
        );
        return;
      }
      case "react": {
        const m = await anyMessage(op.pick);
        if (!m) return;
        await tx.query(
          `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, reaction_type, server_id, channel_id, message_author_id, message_created_at)
           SELECT current_setting('app.current_tenant'), id, $2, $3, 0, server_id, channel_id, author_id, CASE WHEN $4 THEN NULL ELSE created_at END
             FROM messages WHERE id = $1
           ON CONFLICT DO NOTHING`,
          [m.id, EMOJIS[op.emoji], uid(op.user), op.untimed],
        );
        return;
      }
      case "unreact": {
        const n = await countOf("SELECT 1 FROM reactions WHERE server_id = $1");
        if (!n) return;
        const r = await nth("SELECT message_id::text, emoji_key, user_id::text FROM reactions WHERE server_id = $1", op.pick % n);
        await tx.query("DELETE FROM reactions WHERE message_id = $1 AND emoji_key = $2 AND user_id = $3", [
          r.message_id,
          r.emoji_key,
          r.user_id,
        ]);
        return;
      }
      case "mention": {
        const m = await anyMessage(op.pick);
        if (!m) return;
        await tx.query(
          `INSERT INTO message_mentions (tenant_id, message_id, user_id, server_id) VALUES (current_setting('app.current_tenant'), $1, $2, $3) ON CONFLICT DO NOTHING`,
          [m.id, uid(op.user), s.server],
        );
        return;
      }
      case "unmention": {
        const n = await countOf("SELECT 1 FROM message_mentions WHERE server_id = $1");
        if (!n) return;
        const r = await nth("SELECT message_id::text, user_id::text FROM message_mentions WHERE server_id = $1", op.pick % n);
        await tx.query("DELETE FROM message_mentions WHERE message_id = $1 AND user_id = $2", [r.message_id, r.user_id]);
        return;
      }
      case "join": {
        const at = new Date(DAY0 + op.day * 86_400_000 + 3_600_000).toISOString();
        // The writers' upsert: a re-join moves joined_at, an unchanged row is not rewritten.
        await tx.query(
          `INSERT INTO server_members (tenant_id, server_id, user_id, joined_at, is_active) VALUES (current_setting('app.current_tenant'), $1, $2, $3, true)
           ON CONFLICT (tenant_id, server_id, user_id) DO UPDATE SET joined_at = EXCLUDED.joined_at, is_active = true
           WHERE (server_members.joined_at, server_members.is_active) IS DISTINCT FROM (EXCLUDED.joined_at, true)`,
          [s.server, uid(op.user), at],
        );
        return;
      }
      case "leave": {
        await tx.query(
          op.hard
            ? "DELETE FROM server_members WHERE server_id = $1 AND user_id = $2"
            : "UPDATE server_members SET is_active = false WHERE server_id = $1 AND user_id = $2",
          [s.server, uid(op.user)],
        );
        return;
      }
      case "flag": {
        if (op.what === "drop") {
          // A user row that disappears and comes back (as a human): only the flags matter to analytics.
          const gone = await tx.query("DELETE FROM users WHERE id = $1", [uid(op.user)]);
          if (!gone.rowCount)
            await tx.query(`INSERT INTO users (tenant_id, id, username) VALUES (current_setting('app.current_tenant'), $1, 'back')`, [
              uid(op.user),
            ]);
          return;
        }
        const col = op.what === "bot" ? "is_bot" : "is_webhook";
        const r = await tx.query(`UPDATE users SET ${col} = NOT ${col} WHERE id = $1`, [uid(op.user)]);
        if (!r.rowCount)
          await tx.query(
            `INSERT INTO users (tenant_id, id, username, ${col}) VALUES (current_setting('app.current_tenant'), $1, 'u', true)`,
            [uid(op.user)],
          );
        return;
      }
    }
  });
}

/** Refreshes a slice incrementally, then rebuilds it in full: both must hold the same rows. */
async function checkSlice(s: Slice): Promise<void> {
  const progress: RefreshProgress[] = [];
  const inc = await refreshAnalytics(pool, s.tenant, s.server, {
    fullAboveShare: Infinity,
    dayBatch: 3,
    onProgress: (p) => progress.push(p),
  });
  expect(inc.mode).not.toBe("full");
  if (inc.mode === "incremental") {
    expect(progress.at(-1)).toEqual({ mode: "incremental", phase: "totals", done: 3, total: 3 });
    expect(progress.filter((p) => p.phase === "days").at(-1)).toMatchObject({ done: inc.days, total: inc.days });
  }
  const incremental = await snapshot(s);
  const full = await refreshAnalytics(pool, s.tenant, s.server, { full: true });
  expect(full.mode).toBe("full");
  expect(incremental).toEqual(await snapshot(s));
}

/** Checks tenant A's slices; tenant B's rows and pending change keys must stay as they were. */
async function checkTenant(slices: Slice[], other: Slice): Promise<void> {
  const otherBefore = await snapshot(other);
  const otherKeys = await pendingKeys(other.tenant);
  for (const s of slices) await checkSlice(s);
  expect(await snapshot(other)).toEqual(otherBefore);
  expect(await pendingKeys(other.tenant)).toBe(otherKeys);
}

describe("incremental refresh = full refresh", () => {
  it("after random write histories across days, servers and tenants (fast-check, seeded)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 6, maxLength: 24 }), async (ops) => {
        run++;
        const A = freshTenant("inc_a");
        const B = freshTenant("inc_b");
        // Tenant A has two servers; tenant B syncs the same Discord server as A's first one.
        const slices: Slice[] = [
          { tenant: A, server: "810000000000000001" },
          { tenant: A, server: "810000000000000002" },
          { tenant: B, server: "810000000000000001" },
        ];
        const ids = { next: 820_000_000_000_000_000n + BigInt(run) * 1_000_000n, userBase: 830_000_000_000_000_000n };
        // Users of both tenants: one bot, one webhook, the rest human (flag ops toggle them).
        for (const t of [A, B]) {
          await withTenant(pool, t, (tx) =>
            tx.query(
              `INSERT INTO users (tenant_id, id, username, is_bot, is_webhook)
               SELECT current_setting('app.current_tenant'), $1::bigint + g, 'u' || g, g = 5, g = 6 FROM generate_series(0, ${USERS - 1}) g`,
              [String(ids.userBase)],
            ),
          );
        }
        // Retention's weeks are the tenant's: Berlin (its clocks go back on 2026-10-25, inside the
        // history) and Kolkata (UTC+5:30): a UTC day straddles two of their weeks.
        await updateSettings(pool, A, { time_zone: "Europe/Berlin" });
        await updateSettings(pool, B, { time_zone: "Asia/Kolkata" });
        // First refresh of each slice: full, from an empty server.
        for (const s of slices) expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
        for (const op of ops) {
          if (op.k === "refresh") {
            await checkTenant(slices.slice(0, 2), slices[2]);
            await checkSlice(slices[2]);
          } else {
            await apply(op, slices[op.slice], ids);
          }
        }
        await checkTenant(slices.slice(0, 2), slices[2]);
        await checkTenant(slices.slice(2), slices[0]);
      }),
      { seed: 20261202, numRuns: Number(process.env.REFRESH_PROPERTY_RUNS ?? 6), endOnFailure: true },
    );
  }, 600_000);

  // Conversations (a 30-minute quiet gap starts one) run across midnight and join or split when a
  // message comes or goes within a gap of another: messages here fall in the two hours around the
  // midnights of five days, a few minutes apart, refreshed often, so a changed day reaches conversations begun or ended on the
  // days beside it, some longer than the gap around the day (the random histories above spread messages
  // over whole days and rarely do).
  it("conversations across midnight: new, deleted and re-authored messages, bots flagged (fast-check, seeded)", async () => {
    const near: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 20,
        arbitrary: fc.record({
          k: fc.constant("msg" as const),
          slice: fc.constant(0),
          day: fc.integer({ min: 0, max: 4 }),
          minute: fc.oneof(fc.integer({ min: 1370, max: 1439 }), fc.integer({ min: 0, max: 70 })),
          channel: fc.constantFrom(0, 0, 0, 1),
          author: user,
          reply: fc.constant(null),
          webhook: fc.constantFrom(false, false, false, true),
          system: fc.constant(false),
        }),
      },
      { weight: 3, arbitrary: fc.record({ k: fc.constant("delete" as const), slice: fc.constant(0), pick, hard: fc.boolean() }) },
      {
        weight: 1,
        arbitrary: fc.record({
          k: fc.constant("edit" as const),
          slice: fc.constant(0),
          pick,
          what: fc.constantFrom("undelete" as const, "author" as const),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({ k: fc.constant("flag" as const), slice: fc.constant(0), user, what: fc.constant("bot" as const) }),
      },
      { weight: 6, arbitrary: fc.constant({ k: "refresh" as const }) },
    );
    let run = 0;
    let joined = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(near, { minLength: 30, maxLength: 60 }), async (ops) => {
        run++;
        const s: Slice = { tenant: freshTenant("inc_c"), server: "810000000000000007" };
        const ids = { next: 860_000_000_000_000_000n + BigInt(run) * 1_000_000n, userBase: 870_000_000_000_000_000n };
        await withTenant(pool, s.tenant, (tx) =>
          tx.query(
            `INSERT INTO users (tenant_id, id, username, is_bot) SELECT current_setting('app.current_tenant'), $1::bigint + g, 'u' || g, g = 5
             FROM generate_series(0, ${USERS - 1}) g`,
            [String(ids.userBase)],
          ),
        );
        // Newfoundland (UTC-2:30): the hours around midnight UTC of Monday (DAY0) fall in two of its weeks.
        await updateSettings(pool, s.tenant, { time_zone: "America/St_Johns" });
        expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
        for (const op of ops) {
          if (op.k === "refresh") await checkSlice(s);
          else await apply(op, s, ids);
        }
        await checkSlice(s);
        // The histories do what they are for: some conversation holds messages of two days.
        const crossing = await withTenant(pool, s.tenant, (tx) =>
          tx.query(
            `SELECT 1 FROM conversation_members WHERE server_id = $1
               AND (started_at AT TIME ZONE 'UTC')::date <> (ended_at AT TIME ZONE 'UTC')::date`,
            [s.server],
          ),
        );
        if (crossing.rows.length) joined++;
      }),
      { seed: 20261203, numRuns: Number(process.env.REFRESH_PROPERTY_RUNS ?? 6), endOnFailure: true },
    );
    expect(joined).toBeGreaterThan(0);
  }, 600_000);

  // The refresh only logs a failed ANALYZE (statistics make plans fast, not answers right), so the
  // function's own failures on this database would pass unseen through every refresh test.
  it("discord_sql_analyze runs both table sets in a read-write tenant transaction and refuses an unknown one", async () => {
    const t = freshTenant("analyze");
    for (const set of ["synced", "analytics"]) {
      const r = await withTenant(pool, t, (tx) => tx.query("SELECT discord_sql_analyze($1)", [set]));
      expect(r.rowCount).toBe(1);
    }
    await expect(withTenant(pool, t, (tx) => tx.query("SELECT discord_sql_analyze('everything')"))).rejects.toThrow(/unknown table set/);
  });

  it("a refresh with nothing changed rewrites no row; one new reaction recomputes one day", async () => {
    const s = { tenant: freshTenant("inc_u"), server: "810000000000000009" };
    const ids = { next: 840_000_000_000_000_000n, userBase: 850_000_000_000_000_000n };
    for (let i = 0; i < 12; i++) {
      await apply(
        {
          k: "msg",
          slice: 0,
          day: i % 5,
          minute: i * 7,
          channel: i % 2,
          author: i % USERS,
          reply: i > 2 ? i : null,
          webhook: false,
          system: false,
        },
        s,
        ids,
      );
      await apply({ k: "react", slice: 0, pick: i, user: (i + 2) % USERS, emoji: i % 3, untimed: false }, s, ids);
    }
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
    const before = await rowVersions(s);
    const same = await refreshAnalytics(pool, s.tenant, s.server);
    expect(same).toMatchObject({ mode: "unchanged", days: 0, members: 0, pairs: 0, rows: {} });
    expect(await rowVersions(s)).toEqual(before);
    // An edit of the text only changes no analytics: still nothing to do.
    await apply({ k: "edit", slice: 0, pick: 3, what: "content" }, s, ids);
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("unchanged");
    // A reaction on an old message dirties that message's day only.
    await apply({ k: "react", slice: 0, pick: 0, user: 6, emoji: 0, untimed: false }, s, ids);
    const one = await refreshAnalytics(pool, s.tenant, s.server);
    expect(one).toMatchObject({ mode: "incremental", days: 1 });
  });
});

describe("incremental refresh, targeted cases", () => {
  it("a bot turning human, a webhook message deleted, a reply arriving days later", async () => {
    const s = { tenant: freshTenant("inc_t"), server: "810000000000000011" };
    const ids = { next: 860_000_000_000_000_000n, userBase: 870_000_000_000_000_000n };
    await withTenant(pool, s.tenant, (tx) =>
      tx.query(`INSERT INTO users (tenant_id, id, username, is_bot) VALUES (current_setting('app.current_tenant'), $1, 'bot', true)`, [
        String(ids.userBase + 5n),
      ]),
    );
    for (let i = 0; i < 6; i++) {
      await apply(
        {
          k: "msg",
          slice: 0,
          day: i,
          minute: 10,
          channel: 0,
          author: i % 2 ? 5 : 1,
          reply: i ? i - 1 : null,
          webhook: i === 2,
          system: false,
        },
        s,
        ids,
      );
      await apply({ k: "react", slice: 0, pick: i, user: 5, emoji: 0, untimed: false }, s, ids);
    }
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
    const steps: Exclude<Op, { k: "refresh" }>[] = [
      { k: "flag", slice: 0, user: 5, what: "bot" },
      { k: "delete", slice: 0, pick: 2, hard: false },
      { k: "msg", slice: 0, day: 8, minute: 5, channel: 1, author: 3, reply: 0, webhook: false, system: false },
      { k: "flag", slice: 0, user: 5, what: "bot" },
      { k: "flag", slice: 0, user: 5, what: "drop" },
    ];
    for (const op of steps) {
      await apply(op, s, ids);
      await checkSlice(s);
    }
  });
  it("a member's message moving across the tenant's week boundary within one UTC day, their day's count unchanged", async () => {
    // Newfoundland (UTC-2:30): Monday DAY0 00:30 UTC is Sunday evening there, 23:00 UTC is Monday.
    const s = { tenant: freshTenant("inc_wk"), server: "810000000000000005" };
    const ids = { next: 900_000_000_000_000_000n, userBase: 910_000_000_000_000_000n };
    await updateSettings(pool, s.tenant, { time_zone: "America/St_Johns" });
    const msg = (minute: number) =>
      apply({ k: "msg", slice: 0, day: 0, minute, channel: 0, author: 1, reply: null, webhook: false, system: false }, s, ids);
    const weeks = async () =>
      (
        await withTenant(pool, s.tenant, (tx) =>
          tx.query<{ week: string }>("SELECT DISTINCT week::text AS week FROM member_weeks WHERE server_id = $1 ORDER BY 1", [s.server]),
        )
      ).rows.map((r) => r.week);
    await msg(30);
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
    expect(await weeks()).toEqual(["2026-09-28"]);
    await apply({ k: "delete", slice: 0, pick: 0, hard: true }, s, ids);
    await msg(23 * 60);
    await checkSlice(s);
    expect(await weeks()).toEqual(["2026-10-05"]);
  });

  it("a message a few minutes after midnight joins the conversation of the evening before", async () => {
    const s = { tenant: freshTenant("inc_mid"), server: "810000000000000006" };
    const ids = { next: 880_000_000_000_000_000n, userBase: 890_000_000_000_000_000n };
    const msg = (day: number, minute: number, author: number) =>
      apply({ k: "msg", slice: 0, day, minute, channel: 0, author, reply: null, webhook: false, system: false }, s, ids);
    const conversations = async () =>
      Number(
        (
          await withTenant(pool, s.tenant, (tx) =>
            tx.query<{ n: string }>(
              "SELECT count(DISTINCT start_id) AS n FROM conversation_members WHERE server_id = $1 AND include_bots",
              [s.server],
            ),
          )
        ).rows[0].n,
      );
    await msg(0, 1430, 1);
    await msg(1, 30, 3);
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
    expect(await conversations()).toBe(2); // 23:50 and 00:30 are 40 minutes apart
    // Day 1 only is written: 00:10 is 20 minutes after the evening's 23:50 and 20 before 00:30.
    await msg(1, 10, 2);
    await checkSlice(s);
    expect(await conversations()).toBe(1);
    // Then the bridge goes: the two messages around it split apart again.
    await apply({ k: "delete", slice: 0, pick: 2, hard: true }, s, ids);
    await checkSlice(s);
    expect(await conversations()).toBe(2);
  });
});

describe("incremental refresh after a real re-sync", () => {
  it("the production writers' changes (new, edited, deleted messages, reactions, members) give the full refresh's rows", async () => {
    const sim = await startSim({ users: 25, channels: 3, messages: 120, days: 6, seed: 31 });
    const s = { tenant: freshTenant("inc_sync"), server: sim.guildId };
    expect((await sync(sim, pool, s.tenant)).error).toBeNull();
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");

    const stored = await withTenant(pool, s.tenant, (tx) =>
      tx.query<{ id: string; channel_id: string; author_id: string }>(
        "SELECT id::text, channel_id::text, author_id::text FROM messages WHERE NOT is_system ORDER BY id DESC LIMIT 8",
      ),
    );
    const [a, b, c] = stored.rows;
    await sim.mutate({ op: "addMessages", count: 6 });
    await sim.mutate({ op: "editMessage", messageId: a.id, content: "edited text" });
    await sim.mutate({ op: "deleteMessage", messageId: b.id });
    await sim.mutate({ op: "addReaction", messageId: c.id, emoji: "🔥", userId: a.author_id });
    await sim.mutate({ op: "addMembers", count: 2 });
    const stats = await sync(sim, pool, s.tenant);
    expect(stats.error).toBeNull();

    const pending = await pendingKeys(s.tenant);
    expect(pending).toBeGreaterThan(0);
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc.mode).toBe("incremental");
    expect(inc.days).toBeGreaterThan(0);
    expect(await pendingKeys(s.tenant)).toBe(0);
    const incremental = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(incremental).toEqual(await snapshot(s));
  }, 180_000);
});

describe("incremental refresh touches only what changed", () => {
  /** Row versions of one table of the slice. */
  const versions = async (s: Slice, table: string) => (await rowVersions(s)).find((v) => v.startsWith(`${table}:`)) ?? "";

  /** Three weeks of messages by 5 members, replies and reactions among them, refreshed in full. */
  async function history(tag: string, server: string): Promise<{ s: Slice; ids: { next: bigint; userBase: bigint } }> {
    const s = { tenant: freshTenant(tag), server };
    const ids = { next: 880_000_000_000_000_000n, userBase: 890_000_000_000_000_000n };
    // Three weeks (DAY0 is a Monday): members post in several, so retention has cells past k = 0.
    for (let i = 0; i < 20; i++) {
      const base = { slice: 0, minute: i * 13, channel: i % 2, webhook: false, system: false };
      await apply({ k: "msg", ...base, day: (i * 5) % 21, author: i % 5, reply: i > 3 ? i * 7 : null }, s, ids);
      if (i % 2) await apply({ k: "react", slice: 0, pick: i * 3, user: (i + 1) % 5, emoji: i % 3, untimed: false }, s, ids);
    }
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("full");
    return { s, ids };
  }

  it("a reaction on an old message: one day, the two members it concerns, no weeks, cohorts or retention rewritten", async () => {
    const { s, ids } = await history("inc_r", "810000000000000021");
    const before = await Promise.all(["member_weeks", "member_cohorts", "retention_weeks"].map((t) => versions(s, t)));
    // User 6 never posted: only the reactor and the message's author have new totals.
    await apply({ k: "react", slice: 0, pick: 2, user: 6, emoji: 0, untimed: false }, s, ids);
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc).toMatchObject({ mode: "incremental", days: 1, cohorts: 0 });
    expect(inc.members).toBeLessThanOrEqual(2);
    expect(inc.members).toBeGreaterThanOrEqual(1);
    expect(inc.pairs).toBe(1);
    expect(await Promise.all(["member_weeks", "member_cohorts", "retention_weeks"].map((t) => versions(s, t)))).toEqual(before);
    const incremental = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(incremental).toEqual(await snapshot(s));
  });

  it("a reply to an old message: its own day and the original's first_replies row, never the original's day", async () => {
    const { s, ids } = await history("inc_o", "810000000000000025");
    const dayRows = (day: string) =>
      withTenant(pool, s.tenant, async (tx) => {
        const out: string[] = [];
        for (const [table, col] of [
          ["member_daily", "day"],
          ["member_days", "day"],
          ["daily_stats", "day"],
          ["interactions_daily", "day"],
        ]) {
          const r = await tx.query<{ v: string }>(
            `SELECT string_agg(xmin::text || ctid::text, ',' ORDER BY ctid) AS v FROM ${table} WHERE server_id = $1 AND ${col} = $2::date`,
            [s.server, day],
          );
          out.push(`${table}:${r.rows[0].v ?? ""}`);
        }
        return out;
      });
    const replies = (id: string) =>
      withTenant(pool, s.tenant, (tx) =>
        tx.query<{ replies: number }>("SELECT replies FROM first_replies WHERE server_id = $1 AND message_id = $2", [s.server, id]),
      ).then((r) => r.rows[0]?.replies ?? 0);
    // The server's first message (day 0, member 0) is answered on day 20 by member 1.
    const original = (
      await withTenant(pool, s.tenant, (tx) =>
        tx.query<{ id: string; day: string }>(
          "SELECT id::text, (created_at AT TIME ZONE 'UTC')::date::text AS day FROM messages WHERE server_id = $1 ORDER BY created_at, id LIMIT 1",
          [s.server],
        ),
      )
    ).rows[0];
    const before = await dayRows(original.day);
    const repliesBefore = await replies(original.id);
    const lateAt = new Date(DAY0 + 20 * 86_400_000 + 16 * 3_600_000).toISOString();
    await withTenant(pool, s.tenant, (tx) =>
      tx.query(
        `INSERT INTO messages (tenant_id, id, server_id, channel_id, author_id, content, created_at, message_type, is_system,
                               reply_to_message_id, reply_to_author_id)
         SELECT tenant_id, $2, server_id, channel_id, $3, 'late reply', $4, 19, false, id, author_id FROM messages WHERE id = $1`,
        [original.id, String(ids.next++), String(ids.userBase + 1n), lateAt],
      ),
    );
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc).toMatchObject({ mode: "incremental", days: 1 });
    expect(await dayRows(original.day)).toEqual(before);
    expect(await replies(original.id)).toBe(repliesBefore + 1);
    const incremental = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(incremental).toEqual(await snapshot(s));
  });

  it("the newest day moving on and back: days leave and re-enter the 7, 30 and 90-day windows of members, channels and responders", async () => {
    const { s, ids } = await history("inc_m", "810000000000000026");
    // Rows per table and window.
    const windows = async () =>
      withTenant(pool, s.tenant, (tx) =>
        tx.query<{ t: string; n: number }>(
          `SELECT 'member ' || days AS t, count(*)::int AS n FROM member_windows WHERE server_id = $1 GROUP BY days
           UNION ALL SELECT 'channel ' || days, count(DISTINCT channel_id)::int FROM channel_member_windows WHERE server_id = $1 GROUP BY days
           UNION ALL SELECT 'responder ' || days, count(*)::int FROM responder_windows WHERE server_id = $1 GROUP BY days`,
          [s.server],
        ),
      ).then((r) => Object.fromEntries(r.rows.map((x) => [x.t, x.n])));
    const before = await windows();
    // The three weeks fit in the 30-day window: posts, channels and answered messages.
    for (const t of ["member 30", "channel 30", "responder 30"]) expect(before[t], t).toBeGreaterThan(0);
    // One message 40 days after the history's start: every earlier day leaves the 7-day window, and
    // the first eleven leave the 30-day one.
    await apply({ k: "msg", slice: 0, day: 40, minute: 5, channel: 0, author: 2, reply: null, webhook: false, system: false }, s, ids);
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("incremental");
    const after = await windows();
    expect([after["member 7"], after["channel 7"], after["responder 7"]]).toEqual([1, 1, undefined]);
    expect(after["responder 30"] ?? 0).toBeLessThan(before["responder 30"]);
    expect(after["responder 90"]).toBe(before["responder 90"]);
    const moved = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(moved).toEqual(await snapshot(s));
    // Deleted again: the newest day moves back and the days re-enter.
    await withTenant(pool, s.tenant, (tx) =>
      tx.query("UPDATE messages SET is_deleted = true WHERE id = (SELECT max(id) FROM messages WHERE server_id = $1)", [s.server]),
    );
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("incremental");
    expect(await windows()).toEqual(before);
    const back = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(back).toEqual(await snapshot(s));
  });

  it("an old message deleted: its day and its author's totals, weeks and retention follow", async () => {
    const { s } = await history("inc_d", "810000000000000022");
    // The only message of its author on that day and week: the author's week and cohort may move.
    await withTenant(pool, s.tenant, (tx) =>
      tx.query("UPDATE messages SET is_deleted = true WHERE id = (SELECT min(id) FROM messages WHERE server_id = $1)", [s.server]),
    );
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc.mode).toBe("incremental");
    expect(inc.members).toBeGreaterThanOrEqual(1);
    const incremental = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(incremental).toEqual(await snapshot(s));
  });

  it("a member joining without posting: the join day and a cohort, no member totals", async () => {
    const { s, ids } = await history("inc_j", "810000000000000023");
    const totals = await versions(s, "member_totals");
    await apply({ k: "join", slice: 0, user: 6, day: 3 }, s, ids);
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc).toMatchObject({ mode: "incremental", days: 1, members: 0, pairs: 0 });
    expect(inc.cohorts).toBeGreaterThanOrEqual(1);
    expect(await versions(s, "member_totals")).toEqual(totals);
    const incremental = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(incremental).toEqual(await snapshot(s));
  });

  it("a member posting in a later week: that week's retention cells follow (new and changed cells)", async () => {
    const { s, ids } = await history("inc_w", "810000000000000024");
    const retention = await snapshot(s);
    const weeksBefore = retention.retention_weeks.length;
    // Member 0 (cohort: the first week) posts in week 4, where nobody posted yet: a new cell (k = 3).
    await apply({ k: "msg", slice: 0, day: 24, minute: 5, channel: 0, author: 0, reply: null, webhook: false, system: false }, s, ids);
    const inc = await refreshAnalytics(pool, s.tenant, s.server);
    expect(inc).toMatchObject({ mode: "incremental", days: 1, members: 1, cohorts: 0 });
    const incremental = await snapshot(s);
    expect(incremental.retention_weeks.length).toBeGreaterThan(weeksBefore);
    // Member 1 posts in week 3 too, where others of its cohort already posted: a changed cell.
    await apply({ k: "msg", slice: 0, day: 15, minute: 7, channel: 1, author: 1, reply: null, webhook: false, system: false }, s, ids);
    expect((await refreshAnalytics(pool, s.tenant, s.server)).mode).toBe("incremental");
    const again = await snapshot(s);
    await refreshAnalytics(pool, s.tenant, s.server, { full: true });
    expect(again).toEqual(await snapshot(s));
  });
});
