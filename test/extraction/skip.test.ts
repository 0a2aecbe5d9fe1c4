// Cost proportional to change: an incremental sync skips channels with nothing new and nothing young
// enough to change (the re-scan window counts back from now), yet sees edits, deletions and reaction
// changes inside that window; a deep re-scan (full) finds deletions of old messages.
import { describe, expect, it } from "vitest";
import type { ExtractionOptions } from "../../src/extraction/run";
import { diff, freshTenant, startSim, stored, sync, truth, withPool, type Sim } from "./helpers";

const HOUR = 3_600_000;
// Text channels of 300 messages over 7 days need several pages each, while the default 2-day re-scan
// window holds about one page of each: with one-page channels both walks would cost the same.
const SIZE = { messages: 300 };

/** A sync that also counts the message pages it asked Discord for. */
async function countedSync(sim: Sim, pool: Parameters<typeof sync>[1], tenant: string, extra: Partial<ExtractionOptions> = {}) {
  let messagePages = 0;
  const stats = await sync(sim, pool, tenant, {
    ...extra,
    discord: {
      token: sim.token,
      baseUrl: sim.api,
      onRequest: (e) => {
        if (/\/messages$/.test(e.route) && e.route.startsWith("GET")) messagePages++;
      },
    },
  });
  return { stats, messagePages };
}

describe("incremental sync skip rules", () => {
  it("an unchanged server asks for no message page; edits, deletions and reactions inside the window are seen", {
    timeout: 240_000,
  }, async () => {
    const sim = await startSim(SIZE);
    const tenant = freshTenant();
    await withPool(async (pool) => {
      const first = await countedSync(sim, pool, tenant);
      expect(first.stats.status).toBe("succeeded");
      expect(first.messagePages).toBeGreaterThan(3);

      // Every stored message is older than a 30 s window (the simulator's newest is a minute old):
      // nothing new, nothing young enough to change, so no channel is walked.
      const quiet = await countedSync(sim, pool, tenant, { rescanMs: 30_000 });
      expect(quiet.stats.status).toBe("succeeded");
      expect(quiet.messagePages).toBe(0);
      expect(diff(truth(await sim.expected({ syncDays: 7 })), await stored(pool, tenant))).toEqual({});

      // Inside the (default, 2-day) window: an edit, a deletion and a reaction change, no new message
      // (so every channel's last_message_id is unchanged).
      const before = await sim.expected({ syncDays: 7 });
      const text = new Set(before.channels.filter((c: any) => c.type === 0 && c.readable).map((c: any) => c.id));
      const recent = before.messages
        .filter((m: any) => text.has(m.channel_id) && !m.is_system && Date.parse(m.created_at) > sim.now - 12 * HOUR)
        .sort((a: any, b: any) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
      expect(recent.length).toBeGreaterThan(3);
      const [edit, del, react] = [recent[2], recent[3], recent[1]];
      await sim.mutate({ op: "editMessage", messageId: edit.id, content: "edited inside the window" });
      await sim.mutate({ op: "deleteMessage", messageId: del.id });
      await sim.mutate({ op: "addReaction", messageId: react.id, emoji: "🦖", type: 0 });

      const changed = await countedSync(sim, pool, tenant);
      expect(changed.stats.status).toBe("succeeded");
      expect(changed.stats.written.messages_deleted).toBe(1);
      const got = await stored(pool, tenant);
      expect(got.deleted).toEqual([del.id]);
      const exp = await sim.expected({ syncDays: 7 });
      expect(diff(truth(exp), got)).toEqual({});
      expect(got.reactions.some((r) => r.startsWith(`${react.id}|🦖|`))).toBe(true);
      // Cost: only the re-scan window of each channel, far less than the first sync.
      expect(changed.messagePages).toBeLessThan(first.messagePages);
    });
  });

  it("a deletion older than the window is left alone by an incremental sync and found by a deep re-scan", {
    timeout: 240_000,
  }, async () => {
    const sim = await startSim(SIZE);
    const tenant = freshTenant();
    await withPool(async (pool) => {
      expect((await sync(sim, pool, tenant)).status).toBe("succeeded");
      const before = await sim.expected({ syncDays: 7 });
      const text = new Set(before.channels.filter((c: any) => c.type === 0 && c.readable).map((c: any) => c.id));
      const old = before.messages.find(
        (m: any) => text.has(m.channel_id) && !m.is_system && Date.parse(m.created_at) < sim.now - 4 * 24 * HOUR,
      );
      expect(old).toBeTruthy();
      await sim.mutate({ op: "deleteMessage", messageId: old.id });

      const incremental = await countedSync(sim, pool, tenant);
      expect(incremental.stats.status).toBe("succeeded");
      expect((await stored(pool, tenant)).deleted).toEqual([]);

      const deep = await countedSync(sim, pool, tenant, { full: true });
      expect(deep.stats.status).toBe("succeeded");
      expect(deep.stats.written.messages_deleted).toBe(1);
      expect((await stored(pool, tenant)).deleted).toEqual([old.id]);
      expect(deep.messagePages).toBeGreaterThan(incremental.messagePages);
      expect(diff(truth(await sim.expected({ syncDays: 7 })), await stored(pool, tenant))).toEqual({});
    });
  });
});
