// Overview in one request: every part equals the report it replaces (daily, heatmap, activity levels)
// and the totals equal what the page summed from the channels and reactions reports, for all time, a
// date range, a channel, bots included and another time zone; and the API names a bad field.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import * as reports from "../../../src/analytics/reports";
import { withTenant } from "../../../src/db/client";
import { refreshAnalytics } from "../../../src/analytics/refresh";
import { useWorld } from "./world";

const world = useWorld({ users: 40, channels: 3, messages: 400, days: 12, seed: 45 }, 14);

describe("overview report", () => {
  it("equals the separate reports for several views", async () => {
    const w = world();
    const days = [...new Set(w.messages().map((m: any) => m.created_at.slice(0, 10)))].sort() as string[];
    const channel = w.rows.channels.find((c: any) => !c.is_thread && w.messages().some((m: any) => m.channel_id === c.id)).id;
    const base = { serverId: w.sim.guildId };
    const views: reports.ReportFilters[] = [
      { ...base },
      { ...base, from: days[2], to: days.at(-3) },
      { ...base, channels: [channel] },
      { ...base, includeBots: true, from: days[1] },
      { ...base, tz: "America/New_York", from: days[3], to: days.at(-2) },
    ];
    let replies = 0;
    let reactions = 0;
    for (const f of views) {
      const o = (await reports.overview(w.pool, w.tenant, f)).data;
      const label = JSON.stringify(f);
      expect(o.daily, label).toEqual((await reports.dailyActivity(w.pool, w.tenant, f)).data);
      expect(o.heatmap, label).toEqual((await reports.hourOfWeek(w.pool, w.tenant, f)).data);
      expect(o.levels, label).toEqual((await reports.activityLevels(w.pool, w.tenant, { ...f, limit: 1 })).data);
      const chans = (await reports.channelActivity(w.pool, w.tenant, { ...f, limit: 1000 })).data;
      const reacts = (await reports.reactionsReport(w.pool, w.tenant, { ...f, limit: 1000 })).data;
      expect(o.replies, label).toBe(chans.reduce((s, c) => s + c.replies, 0));
      expect(o.reactions, label).toBe(reacts.emojis.reduce((s, e) => s + e.count, 0));
      replies += o.replies;
      reactions += o.reactions;
    }
    // The world has replies and reactions to compare.
    expect(replies).toBeGreaterThan(0);
    expect(reactions).toBeGreaterThan(0);
    // All time, from the simulator's own rows: reactions less the bots' (Overview subtracts them), and with them.
    const all = (await reports.overview(w.pool, w.tenant, base)).data.reactions;
    const withBots = (await reports.overview(w.pool, w.tenant, { ...base, includeBots: true })).data.reactions;
    expect(all).toBe(w.rows.reactions.filter((r: any) => w.human(r.user_id)).length);
    expect(withBots).toBe(w.rows.reactions.length);
  });

  it("API: /api/reports/overview answers the envelope and names a bad field", async () => {
    const w = world();
    const bad = await exports.default.fetch(`http://localhost/api/reports/overview?server_id=${w.sim.guildId}&from=2026-13-01`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.field).toBe("query.from");
    const res = await exports.default.fetch(`http://localhost/api/reports/overview?server_id=${w.sim.guildId}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ report: "overview", server_id: w.sim.guildId, data: { replies: 0, reactions: 0 } });
  }, 120_000);

  it("daily in a time zone: each local day's messages and distinct authors equal the world's", async () => {
    const w = world();
    const base = { serverId: w.sim.guildId };
    // Etc/GMT+5 is UTC-5 all year (hourly_stats gives exact messages for whole-hour offsets); Kolkata is
    // UTC+5:30, where only the distinct authors (read from the messages) are exact.
    for (const [tz, offsetH, exactMessages] of [
      ["Etc/GMT+5", -5, true],
      ["Asia/Kolkata", 5.5, false],
    ] as const) {
      const localDay = (at: string) => new Date(Date.parse(at) + offsetH * 3_600_000).toISOString().slice(0, 10);
      const want = new Map<string, { messages: number; authors: Set<string> }>();
      for (const m of w.messages()) {
        const d = localDay(m.created_at);
        const e = want.get(d) ?? { messages: 0, authors: new Set<string>() };
        e.messages++;
        e.authors.add(m.author_id);
        want.set(d, e);
      }
      const days = [...want.keys()].sort();
      const views: reports.ReportFilters[] = [
        { ...base, tz },
        { ...base, tz, from: days[2], to: days.at(-3) },
      ];
      for (const view of views) {
        const got = (await reports.dailyActivity(w.pool, w.tenant, view)).data;
        expect(got.length, tz).toBeGreaterThan(3);
        if (view.from) expect([got[0].day, got.at(-1)!.day]).toEqual([view.from, view.to]);
        for (const d of got) {
          expect(d.active_users, `${tz} ${d.day}`).toBe(want.get(d.day)?.authors.size ?? 0);
          if (exactMessages) expect(d.messages, `${tz} ${d.day}`).toBe(want.get(d.day)?.messages ?? 0);
        }
      }
    }
  });

  it("a bot's reaction counts only with bots included, once the analytics are refreshed", async () => {
    const w = world();
    const bot = w.rows.users.find((u: any) => u.is_bot);
    const m = w.messages()[0];
    expect(bot).toBeDefined();
    const base = { serverId: w.sim.guildId };
    const before = (await reports.overview(w.pool, w.tenant, base)).data.reactions;
    const beforeAll = (await reports.overview(w.pool, w.tenant, { ...base, includeBots: true })).data.reactions;
    await withTenant(w.pool, w.tenant, (tx) =>
      tx.query(
        `INSERT INTO reactions (tenant_id, message_id, emoji_key, user_id, server_id, channel_id, message_author_id, message_created_at)
         VALUES ($1, $2, 'bot-test', $3, $4, $5, $6, $7)`,
        [w.tenant, m.id, bot.id, w.sim.guildId, m.channel_id, m.author_id, m.created_at],
      ),
    );
    // The totals come from the precomputed member grain: the new reaction counts after the refresh.
    await refreshAnalytics(w.pool, w.tenant, w.sim.guildId);
    expect((await reports.overview(w.pool, w.tenant, base)).data.reactions).toBe(before);
    expect((await reports.overview(w.pool, w.tenant, { ...base, includeBots: true })).data.reactions).toBe(beforeAll + 1);
    // The same view through the reactions report agrees.
    const reacts = (await reports.reactionsReport(w.pool, w.tenant, { ...base, includeBots: true, limit: 1000 })).data;
    expect(reacts.emojis.reduce((s, e) => s + e.count, 0)).toBe(beforeAll + 1);
  });
});
