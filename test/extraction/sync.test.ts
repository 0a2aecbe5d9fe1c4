// End to end against the simulator over HTTP: runExtraction stores exactly the ground truth.
import { describe, expect, it } from "vitest";
import { withTenant } from "../../src/db/client";
import { diff, freshTenant, startSim, stored, sync, truth, withPool } from "./helpers";

describe("runExtraction against the simulator", () => {
  it("stores exactly the expected rows, and a second sync adds nothing", { timeout: 180_000 }, async () => {
    const sim = await startSim();
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const stats = await sync(sim, pool, tenant);
      expect(stats.error).toBeNull();
      expect(stats.status).toBe("succeeded");
      const exp = await sim.expected({ syncDays: 7 });
      // The world exercises the hard cases, so the comparison below means something.
      expect(exp.messages.some((m: any) => m.reply_to_author_id)).toBe(true);
      expect(exp.messages.some((m: any) => m.reply_to_message_id && !m.reply_to_author_id)).toBe(true);
      expect(exp.messages.some((m: any) => m.is_system)).toBe(true);
      expect(exp.reactions.some((r: string) => r.endsWith("|1"))).toBe(true);
      expect(exp.messageMentions.length).toBeGreaterThan(0);
      const forumIds = new Set(exp.channels.filter((c: any) => c.type === 15 || c.type === 16).map((c: any) => c.id));
      expect(exp.channels.some((c: any) => c.is_thread && forumIds.has(c.parent_id))).toBe(true);
      expect(exp.channels.some((c: any) => c.is_thread && c.thread_archived)).toBe(true);
      expect(exp.channels.some((c: any) => c.is_thread && c.thread_private)).toBe(true);

      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
      expect(stats.written.messages).toBe(exp.counts.messages);
      // The channel the bot may not view is stored unreadable and skipped without asking Discord.
      const hidden = sim.summary.guilds[0].hiddenChannelId;
      expect(hidden).toBeTruthy();
      expect(stats.channelIssues).toContainEqual(expect.objectContaining({ channelId: hidden, status: "skipped" }));
      const simStats = await sim.stats();
      expect(simStats.invalid).toBe(0);
      expect(simStats.byStatus["403"] ?? 0).toBe(0);
      expect(stats.written.reactions).toBe(exp.counts.reactions);

      const again = await sync(sim, pool, tenant);
      expect(again.status).toBe("succeeded");
      // Only the server's synced_at moves; no row is inserted or rewritten.
      const { servers, ...rest } = again.written;
      expect(rest).toEqual({});
      expect(servers).toBe(1);
      expect(again.requests!).toBeLessThan(stats.requests!);
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});

      const job = await withTenant(
        pool,
        tenant,
        async (tx) =>
          (await tx.query<any>(`SELECT status, trigger, pages_done, requests FROM sync_jobs WHERE id = $1`, [again.jobId])).rows[0],
      );
      expect(job).toMatchObject({ status: "succeeded", trigger: "cli", pages_done: again.pages, requests: again.requests });
    });
  });

  it("an incremental sync stores exactly the changes: new, edited, deleted messages, reactions added and removed", {
    timeout: 240_000,
  }, async () => {
    const sim = await startSim();
    const tenant = freshTenant();
    await withPool(async (pool) => {
      expect((await sync(sim, pool, tenant)).status).toBe("succeeded");
      const before = await sim.expected({ syncDays: 7 });
      const textChannels = new Set(before.channels.filter((c: any) => c.type === 0 && c.readable).map((c: any) => c.id));
      const recent = before.messages
        .filter((m: any) => textChannels.has(m.channel_id) && !m.is_system && Date.parse(m.created_at) > sim.now - 86_400_000)
        .sort((a: any, b: any) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
      expect(recent.length).toBeGreaterThan(5);
      // Delete a message someone replied to: the reply keeps the author we stored (Discord now says null).
      const replied = new Set(before.messages.map((m: any) => m.reply_to_message_id).filter(Boolean));
      const del = recent.find((m: any) => replied.has(m.id)) ?? recent[1];
      const edit = recent.find((m: any) => m.id !== del.id)!;
      const reacted = recent.find((m: any) => m.id !== del.id && before.reactions.some((r: string) => r.startsWith(`${m.id}|`)));
      expect(reacted).toBeTruthy();
      const [, removeEmoji, removeUser, removeType] = before.reactions.find((r: string) => r.startsWith(`${reacted.id}|`)).split("|");
      const emojiRoute = before.emojis.find((e: any) => e.key === removeEmoji)?.is_custom
        ? `${before.emojis.find((e: any) => e.key === removeEmoji).name}:${removeEmoji}`
        : removeEmoji;

      await sim.mutate({ op: "editMessage", messageId: edit.id, content: "edited in the test with five words" });
      await sim.mutate({ op: "deleteMessage", messageId: del.id });
      await sim.mutate({ op: "removeReaction", messageId: reacted.id, emoji: emojiRoute, userId: removeUser, type: Number(removeType) });
      await sim.mutate({ op: "addReaction", messageId: edit.id, emoji: "🦖", type: 1 });
      const added = await sim.mutate({ op: "addMessages", count: 5 });

      const stats = await sync(sim, pool, tenant);
      expect(stats.status).toBe("succeeded");
      const exp = await sim.expected({ syncDays: 7 });
      const want = truth(exp);
      // Our documented rule: a reply to a since-deleted message keeps the author we already knew.
      want.messages = exp.messages
        .map((m: any) => (m.reply_to_message_id === del.id ? { ...m, reply_to_author_id: del.author_id } : m))
        .map((m: any) => truth({ ...exp, messages: [m] }).messages[0]);
      const got = await stored(pool, tenant);
      expect(diff(want, got)).toEqual({});
      expect(got.deleted).toEqual([del.id]);
      // Exactly the change: 5 new messages + 1 edit written, 1 deletion, the removed reactor gone.
      expect(stats.written.messages).toBe(added.messageIds.length + 1);
      expect(stats.written.messages_deleted).toBe(1);
      expect(stats.written.reactions_removed).toBe(1);
      expect(got.reactions).toContain(
        `${edit.id}|🦖|${(await sim.expected({ syncDays: 7 })).reactions.find((r: string) => r.startsWith(`${edit.id}|🦖|`)).split("|")[2]}|1`,
      );
    });
  });

  it("members intent off: a warning, everything else synced", { timeout: 180_000 }, async () => {
    const sim = await startSim({ membersIntent: false });
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const stats = await sync(sim, pool, tenant);
      expect(stats.status).toBe("succeeded");
      expect(stats.warnings.join(" ")).toMatch(/members intent/);
      const exp = await sim.expected({ syncDays: 7 });
      expect(exp.serverMembers).toEqual([]);
      expect(exp.messages.length).toBeGreaterThan(100);
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
    });
  });

  it("a token revoked mid-sync fails the job clearly; after reconnecting a rerun completes without duplicates", {
    timeout: 240_000,
  }, async () => {
    const sim = await startSim();
    const tenant = freshTenant();
    await withPool(async (pool) => {
      await sim.control("POST", "/faults", { revokeTokenAfter: 40 });
      const failed = await sync(sim, pool, tenant);
      expect(failed.status).toBe("failed");
      expect(failed.error).toMatch(/token \(invalid or revoked\)/);
      expect(failed.error).not.toContain(sim.token);
      const exp = await sim.expected({ syncDays: 7 });
      const partial = diff(truth(exp), await stored(pool, tenant));
      // Only missing rows, never wrong or extra ones.
      for (const [table, d] of Object.entries(partial)) if (table !== "counts") expect(d.extra, table).toEqual([]);
      expect(Object.keys(partial).length).toBeGreaterThan(0);

      await sim.control("POST", "/faults", {});
      await sim.mutate({ op: "restoreToken" });
      const rerun = await sync(sim, pool, tenant);
      expect(rerun.status).toBe("succeeded");
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
    });
  });

  it("5xx errors, dropped connections, malformed bodies and 429 storms are retried: no row lost or duplicated", {
    timeout: 300_000,
  }, async () => {
    const sim = await startSim({
      faults: {
        rules: [
          { kind: "error", probability: 0.12 },
          { kind: "malformed", probability: 0.08 },
          { kind: "drop", probability: 0.04 },
          { kind: "storm", probability: 0.04, retryAfter: 0.2 },
        ],
      },
    });
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const stats = await sync(sim, pool, tenant);
      expect(stats.error).toBeNull();
      expect(stats.status).toBe("succeeded");
      const faults = (await sim.stats()).faults;
      expect(faults.error).toBeGreaterThan(0);
      expect(faults.malformed).toBeGreaterThan(0);
      expect(faults.drop).toBeGreaterThan(0);
      expect(diff(truth(await sim.expected({ syncDays: 7 })), await stored(pool, tenant))).toEqual({});
    });
  });

  it("cancellation stops within one page per worker; a rerun completes with exact rows", { timeout: 240_000 }, async () => {
    const sim = await startSim();
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const abort = new AbortController();
      let pagesAtAbort = -1;
      const cancelled = await sync(sim, pool, tenant, {
        signal: abort.signal,
        onProgress: (p) => {
          if (p.pagesDone >= 12 && pagesAtAbort < 0) {
            pagesAtAbort = p.pagesDone;
            abort.abort();
          }
        },
      });
      expect(cancelled.status).toBe("cancelled");
      // Pages already in flight finish; nothing new starts (concurrency 4, one of them the aborting page).
      expect(cancelled.pages - pagesAtAbort).toBeLessThanOrEqual(3);
      const job = await withTenant(
        pool,
        tenant,
        async (tx) => (await tx.query<any>(`SELECT status FROM sync_jobs WHERE id = $1`, [cancelled.jobId])).rows[0],
      );
      expect(job.status).toBe("cancelled");

      const exp = await sim.expected({ syncDays: 7 });
      expect(Object.keys(diff(truth(exp), await stored(pool, tenant))).length).toBeGreaterThan(0);
      const rerun = await sync(sim, pool, tenant);
      expect(rerun.status).toBe("succeeded");
      expect(diff(truth(exp), await stored(pool, tenant))).toEqual({});
    });
  });
});
