// The extraction API end to end: HTTP -> startSync -> DO -> the real queue -> consumer -> simulator
// (default instance) -> database, plus validation, the one-active-sync rule, tenant isolation.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { cancelSync, listJobs, startSync } from "../../src/extraction/jobs";
import { BotNotConnected } from "../../src/errors";
import { rejected } from "../rejected";
import { withTenant } from "../../src/db/client";
import { captureDispatch, config, freshServerId, freshTenant, restoreDispatch, seedBot, testEnv, withPool } from "./queue-helpers";

const api = (path: string, init?: RequestInit) => exports.default.fetch(`http://localhost${path}`, init);
const post = (path: string, body?: unknown) =>
  api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

async function defaultWorld() {
  const res = await fetch(`${testEnv.SIMULATOR_URL as string}/__sim/world`);
  return (await res.json()) as any;
}

describe("extraction API", () => {
  it("validates every input and names the field at fault", async () => {
    const cases: [Promise<Response>, string][] = [
      [post("/api/extraction/start", { server_id: "abc" }), "server_id"],
      [post("/api/extraction/start", { server_id: "123456789012345678", sync_days: 0 }), "sync_days"],
      [post("/api/extraction/start", { server_id: "123456789012345678", sync_days: 3651 }), "sync_days"],
      [post("/api/extraction/start", { server_id: "123456789012345678", sync_days: 1.5 }), "sync_days"],
      [post("/api/extraction/start", { server_id: "123456789012345678", fetch_reactions: "yes" }), "fetch_reactions"],
      [post("/api/extraction/start", {}), "server_id"],
      [api("/api/extraction/status/not-a-uuid"), "job_id"],
      [post("/api/extraction/cancel/42"), "job_id"],
      [api("/api/extraction/history?limit=0"), "limit"],
      [api("/api/extraction/history?before=yesterday"), "before"],
    ];
    for (const [pending, field] of cases) {
      const res = await pending;
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.field).toContain(field);
    }
    const bad = await api("/api/extraction/start", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{" });
    expect(bad.status).toBe(400);
  });

  it("syncs through the real queue: 202, a second start is 409, status reaches succeeded with the ground truth", async () => {
    const world = await defaultWorld();
    const guildId = world.guilds[0].id as string;
    await seedBot(config().LOCAL_TENANT_ID, world.token);

    const res = await post("/api/extraction/start", { server_id: guildId, sync_days: 30, fetch_reactions: false });
    expect(res.status).toBe(202);
    const { job } = (await res.json()) as any;
    expect(job).toMatchObject({ server_id: guildId, state: "queued", sync_days: 30, fetch_reactions: false, trigger: "manual" });

    const again = await post("/api/extraction/start", { server_id: guildId, sync_days: 30 });
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).error).toMatchObject({ code: "sync_already_running", details: { job_id: job.id } });

    let view: any;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const st = await api(`/api/extraction/status/${job.id}`);
      expect(st.status).toBe(200);
      view = ((await st.json()) as any).job;
      if (!["queued", "running"].includes(view.state) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(view.state).toBe("succeeded");
    expect(view.pages.outstanding).toBe(0);
    expect(view.pages.done).toBeGreaterThan(5);
    expect(view.estimated_seconds_left).toBe(0);
    expect(view.rate.pages_per_second).toBeGreaterThan(0);

    // The ground truth, for this server's rows (the local tenant is shared with other test files).
    const q = new URLSearchParams({ windowStart: view.window_start, fetchReactions: "false" });
    const expected = (await (await fetch(`${testEnv.SIMULATOR_URL as string}/__sim/expected?${q}`)).json()) as any;
    const stored = await withPool((pool) =>
      withTenant(pool, config().LOCAL_TENANT_ID, async (tx) => {
        const ids = async (sql: string) => (await tx.query<{ k: string }>(sql, [guildId])).rows.map((r) => r.k).sort();
        return {
          channels: await ids(`SELECT id::text AS k FROM channels WHERE server_id = $1::bigint`),
          messages: await ids(`SELECT id::text AS k FROM messages WHERE server_id = $1::bigint AND NOT is_deleted`),
          server_members: await ids(`SELECT user_id::text AS k FROM server_members WHERE server_id = $1::bigint AND is_active`),
          message_mentions: await ids(
            `SELECT message_id::text || ':' || user_id::text AS k FROM message_mentions WHERE server_id = $1::bigint`,
          ),
        };
      }),
    );
    expect(stored).toEqual({
      channels: expected.channels.map((c: any) => c.id).sort(),
      messages: expected.messages.map((m: any) => m.id).sort(),
      server_members: expected.serverMembers.map((m: any) => m.user_id).sort(),
      message_mentions: [...expected.messageMentions].sort(),
    });
    expect(view.counts.messages).toBe(expected.counts.messages);

    // History lists it, with the final state recorded in the database.
    const hist = await api("/api/extraction/history?limit=100");
    expect(hist.status).toBe(200);
    const listed = ((await hist.json()) as any).jobs.find((j: any) => j.id === job.id);
    expect(listed).toMatchObject({ state: "succeeded", server_id: guildId });
  }, 180_000);

  it("cancel via the API: 200 cancelled, then 409 for a job already ended", async () => {
    const tenant = config().LOCAL_TENANT_ID;
    const world = await defaultWorld();
    await seedBot(tenant, world.token);
    const sent = await captureDispatch(tenant); // hold the pages: the job stays queued
    try {
      const start = await post("/api/extraction/start", { server_id: freshServerId(), sync_days: 7 });
      expect(start.status).toBe(202);
      const { job } = (await start.json()) as any;
      expect(sent).toHaveLength(1);
      const res = await post(`/api/extraction/cancel/${job.id}`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).job.state).toBe("cancelled");
      const again = await post(`/api/extraction/cancel/${job.id}`);
      expect(again.status).toBe(409);
      expect(((await again.json()) as any).error.code).toBe("job_finished");
      const st = await api(`/api/extraction/status/${job.id}`);
      expect(((await st.json()) as any).job.state).toBe("cancelled");
    } finally {
      await restoreDispatch(tenant);
    }
  });

  it("another tenant's job id is 404 everywhere and reveals nothing", async () => {
    const other = freshTenant("other");
    await seedBot(other);
    await captureDispatch(other);
    const theirs = await startSync(testEnv, other, { serverId: freshServerId(), syncDays: 7 });
    for (const res of [await api(`/api/extraction/status/${theirs.id}`), await post(`/api/extraction/cancel/${theirs.id}`)]) {
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain(theirs.server_id);
      expect(JSON.parse(text).error.code).toBe("not_found");
    }
    // Still running for its owner: the 404 did not touch it.
    const mine = await cancelSync(testEnv, other, theirs.id);
    expect(mine.state).toBe("cancelled");
  });

  it("refuses to start without a connected bot, recording nothing", async () => {
    const tenant = freshTenant("nobot");
    await withPool(async (pool) => {
      const { ensureTenant } = await import("../../src/accounts/tenants");
      await ensureTenant(pool, tenant, "user");
    });
    const failure = await rejected(startSync(testEnv, tenant, { serverId: freshServerId() }));
    expect(failure.err).toBeInstanceOf(BotNotConnected);
    expect(failure).toMatchObject({ status: 409, code: "bot_not_connected" });
    expect((await listJobs(testEnv, tenant, { limit: 10 })).jobs).toEqual([]);
  });

  it("pages history newest first with next_before", async () => {
    const tenant = freshTenant("hist");
    await seedBot(tenant);
    await captureDispatch(tenant);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await startSync(testEnv, tenant, { serverId: freshServerId(), syncDays: 7 })).id);
      await new Promise((r) => setTimeout(r, 5));
    }
    const first = await listJobs(testEnv, tenant, { limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    expect(first.jobs[0].state).toBe("queued");
    expect(first.next_before).not.toBeNull();
    const second = await listJobs(testEnv, tenant, { limit: 2, before: first.next_before! });
    expect(second.jobs.map((j) => j.id)).toEqual([ids[0]]);
    expect(second.next_before).toBeNull();
  });
});
