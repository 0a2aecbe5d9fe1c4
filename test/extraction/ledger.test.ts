// One contract, two ledgers: the in-memory one (runExtraction) and the tenant Durable Object's
// (queue consumer) must answer the same reports the same way: once per task, follow-ups deduped,
// a walk's held page recorded but not handed out, the same final-state rule, cancel and fail final.
import { describe, expect, it } from "vitest";
import { startSync } from "../../src/extraction/jobs";
import { DurableLedger, MemoryLedger, type JobLedger } from "../../src/extraction/ledger";
import { taskId, type PageResult, type Task } from "../../src/extraction/tasks";
import { captureDispatch, freshServerId, freshTenant, seedBot, stub, testEnv } from "./queue-helpers";

interface Harness {
  ledger: JobLedger;
  /** Task ids handed out so far (to the queue, or runExtraction's task queue), in order. */
  handedOut(): string[];
  state(): Promise<string>;
  pages(): Promise<{ done: number; failed: number }>;
  counts(): Promise<Record<string, number>>;
  cancel(): Promise<void>;
}

const memory = async (): Promise<Harness> => {
  const out: Task[] = [];
  const ledger = new MemoryLedger((tasks) => out.push(...tasks));
  return {
    ledger,
    handedOut: () => out.map(taskId),
    state: async () => ledger.state,
    pages: async () => ({ done: ledger.pagesDone, failed: ledger.pagesFailed }),
    counts: async () => ({ ...ledger.written }),
    cancel: async () => void ledger.cancel(),
  };
};

const durable = async (): Promise<Harness> => {
  const tenantId = freshTenant("lc");
  await seedBot(tenantId);
  const sent = await captureDispatch(tenantId);
  const job = await startSync(testEnv, tenantId, { serverId: freshServerId(), syncDays: 30 });
  const s = stub(tenantId);
  const view = async () => (await s.status(job.id))!;
  return {
    ledger: new DurableLedger(s, job.id),
    handedOut: () => sent.map((m) => taskId(m.task)),
    state: async () => (await view()).state,
    pages: async () => {
      const v = await view();
      return { done: v.pages.done, failed: v.pages.failed };
    },
    counts: async () => (await view()).counts,
    cancel: async () => void (await s.cancel(job.id)),
  };
};

const C1 = "1100000000000000001";
const C2 = "1100000000000000002";
const msgs = (channelId: string, before?: string): Task => ({ kind: "messages", channelId, ...(before ? { before } : {}) });
const page = (written: Record<string, number>, next: Task[] = [], extra: Partial<PageResult> = {}): PageResult => ({
  written,
  next,
  ...extra,
});

describe.each([
  ["memory", memory],
  ["durable object", durable],
])("job ledger contract: %s", (_name, make) => {
  it("counts each page once, dedupes follow-ups, keeps a walk's held page and ends succeeded", async () => {
    const h = await make();
    const { ledger } = h;
    expect(h.handedOut()).toEqual(["guild"]);
    expect(await ledger.complete("guild", page({ channels: 2 }, [msgs(C1), msgs(C2), { kind: "members" }, msgs(C1)]))).toEqual({
      accepted: true,
      live: true,
    });
    expect(h.handedOut().sort()).toEqual(["guild", "members:0", taskId(msgs(C1)), taskId(msgs(C2))].sort());
    // A repeat report (redelivery): nothing counted, nothing handed out again.
    expect((await ledger.complete("guild", page({ channels: 2 }, [msgs(C1)]))).accepted).toBe(false);
    expect(await h.counts()).toEqual({ channels: 2 });

    // A walk checkpoints its first page and holds the next one: recorded, not handed out.
    const before = "1100000000000000500";
    expect(await ledger.complete(taskId(msgs(C1)), page({ messages: 100 }, [msgs(C1, before)], { channelId: C1 }), true)).toEqual({
      accepted: true,
      live: true,
    });
    expect(h.handedOut()).not.toContain(taskId(msgs(C1, before)));
    await ledger.complete(taskId(msgs(C2)), page({ messages: 3 }, [], { channelId: C2 }));
    await ledger.complete("members:0", page({ server_members: 4 }));
    // The held page is still outstanding: the job is not over.
    expect(await h.state()).toBe("running");
    expect(await ledger.complete(taskId(msgs(C1, before)), page({ messages: 40 }, [], { channelId: C1 }))).toMatchObject({
      accepted: true,
    });
    expect(await h.state()).toBe("succeeded");
    expect(await h.pages()).toEqual({ done: 5, failed: 0 });
    expect(await h.counts()).toEqual({ channels: 2, messages: 143, server_members: 4 });
  });

  it("a dead page ends the job partially_succeeded", async () => {
    const h = await make();
    await h.ledger.complete("guild", page({}, [msgs(C1), { kind: "members" }]));
    await h.ledger.dead(taskId(msgs(C1)), "gave up");
    expect(await h.state()).toBe("running");
    await h.ledger.complete("members:0", page({}));
    expect(await h.state()).toBe("partially_succeeded");
    expect(await h.pages()).toEqual({ done: 2, failed: 1 });
  });

  it("after cancel no report counts and the caller is told to stop; fail is final too", async () => {
    const h = await make();
    await h.ledger.complete("guild", page({ channels: 1 }, [msgs(C1)]));
    await h.cancel();
    expect(await h.state()).toBe("cancelled");
    expect(await h.ledger.complete(taskId(msgs(C1)), page({ messages: 100 }, [msgs(C1, "1100000000000000500")]), true)).toEqual({
      accepted: false,
      live: false,
    });
    expect(await h.counts()).toEqual({ channels: 1 });

    const f = await make();
    await f.ledger.fail("token revoked");
    expect(await f.state()).toBe("failed");
    expect((await f.ledger.complete("guild", page({ channels: 1 }))).accepted).toBe(false);
  });
});
