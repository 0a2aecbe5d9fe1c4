// The Workers path (queue consumer + tenant DO) on real text: wild text stored cleaned, and a message
// the database refuses skipped alone, named in the job's warnings, counted in its totals.
import { describe, expect, it } from "vitest";
import { withTenant } from "../../src/db/client";
import { startSync } from "../../src/extraction/jobs";
import {
  captureDispatch,
  envFor,
  expectedKeys,
  freshTenant,
  pump,
  seedBot,
  simInstance,
  storedRows,
  stub,
  withPool,
} from "./queue-helpers";

describe("queue consumer on real text", () => {
  it("stores every message of a wild-text server cleaned; the one unstorable message is skipped and named", async () => {
    const sim = await simInstance(`rt-${Date.now().toString(36)}`, {
      seed: 11,
      users: 12,
      channels: 2,
      messages: 120,
      days: 5,
      text: "wild",
      unstorable: 1,
    });
    const tenantId = freshTenant("rt");
    await seedBot(tenantId, sim.token);
    const sent = await captureDispatch(tenantId);
    const env = envFor(sim.apiBase);
    const job = await startSync(env, tenantId, { serverId: sim.guildId, syncDays: 30, fetchReactions: true });
    const run = await pump(sent, env);
    expect(run.dead).toBe(0);
    const view = (await stub(tenantId).status(job.id))!;
    expect(view.state).toBe("succeeded");
    expect(view.pages.failed).toBe(0);

    const expected = await sim.expected(view.window_start, view.fetch_reactions);
    const stored = await storedRows(tenantId);
    expect(stored.keys).toEqual(expectedKeys(expected));
    expect(view.counts.messages).toBe(expected.counts.messages);
    expect(view.counts.text_cleaned).toBeGreaterThan(20);
    expect(view.counts.rows_rejected).toBe(1);
    const [bad] = sim.summary.guilds[0].unstorable;
    expect(view.warnings.filter((w: string) => w.includes("could not be stored"))).toEqual([expect.stringContaining(`message ${bad.id} `)]);

    // Content, as cleaned by the ground truth's own rule.
    const contents = await withPool((pool) =>
      withTenant(
        pool,
        tenantId,
        async (tx) => (await tx.query<{ id: string; content: string }>(`SELECT id::text, content FROM messages ORDER BY id`)).rows,
      ),
    );
    const want = Object.fromEntries(expected.messages.map((m: any) => [m.id, m.content]));
    expect(Object.fromEntries(contents.map((m) => [m.id, m.content]))).toEqual(want);
    expect(contents.some((m) => m.content.includes("\uFFFD"))).toBe(true);
  }, 180_000);
});
