// Honest progress: the fraction comes from each walk's covered snowflake time range, grows no
// faster than the work, and a cancelled job never reaches 100%.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JobState } from "../../src/extraction/job";
import { MemoryLedger } from "../../src/extraction/ledger";
import { snowflakeAt } from "../../src/discord/snowflake";
import { coverage, jobProgress, startWalk, walkPage, type Walk } from "../../src/extraction/progress";
import { taskId, type Task } from "../../src/extraction/tasks";

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const channel = snowflakeAt(T0); // created T0
const big: Task = { kind: "messages", channelId: channel, spanMs: 100 * DAY };
const small = (i: number): Task => ({ kind: "messages", channelId: snowflakeAt(T0 + 99 * DAY + i * 1000), spanMs: 60_000 });

describe("progress estimate", () => {
  it("weights walks by their covered time range; many tiny walks done do not make a big one look finished", async () => {
    const ledger = new MemoryLedger(() => {});
    const smalls = Array.from({ length: 50 }, (_, i) => small(i));
    await ledger.complete("guild", { written: {}, next: [big, ...smalls] });
    for (const t of smalls) await ledger.complete(taskId(t), { written: { messages: 3 }, next: [] });
    // The big walk covered 10% of its 100 days in 10 pages: about 100 pages in all.
    let cursor = T0 + 100 * DAY;
    let task = big;
    for (let i = 0; i < 10; i++) {
      cursor -= DAY;
      const next: Task = { kind: "messages", channelId: channel, before: snowflakeAt(cursor), spanMs: big.spanMs };
      await ledger.complete(taskId(task), { written: { messages: 100 }, next: [next] }, true);
      task = next;
    }
    const mid = ledger.progress();
    expect(mid.pagesEstimated).toBeGreaterThanOrEqual(140);
    expect(mid.pagesEstimated).toBeLessThanOrEqual(170);
    expect(mid.fraction).toBeLessThan(0.5);
    // Pages-done-over-pages-known would claim 61 / 62 here: almost done.
    expect(mid.pagesDone).toBe(61);

    ledger.cancel();
    expect(ledger.progress().fraction).toBeLessThan(1);
  });

  it("reaches exactly 1 only when the job succeeded", async () => {
    const ledger = new MemoryLedger(() => {});
    await ledger.complete("guild", { written: {}, next: [small(1)] });
    expect(ledger.progress().fraction).toBeLessThan(1);
    await ledger.complete(taskId(small(1)), { written: {}, next: [] });
    expect(ledger.state).toBe("succeeded");
    expect(ledger.progress().fraction).toBe(1);
  });
});

// The one progress function (DO job view, CLI, Sync page), checked on random walks.
const walkArb = fc
  .record({
    topMs: fc.integer({ min: 2_000_000, max: 10_000_000 }),
    span: fc.integer({ min: 1_000, max: 1_000_000 }),
    pages: fc.integer({ min: 1, max: 50 }),
    firstShare: fc.double({ min: 0.001, max: 0.9, noNaN: true }),
  })
  .map(({ topMs, span, pages, firstShare }): Walk => {
    const floorMs = topMs - span;
    const cursorMs = Math.round(topMs - span * firstShare);
    return { topMs, floorMs, cursorMs, pages, size: Math.max(pages + 1, Math.ceil(pages / Math.max(0.001, firstShare))), done: false };
  });
const inputArb = fc.record({
  walks: fc.array(walkArb, { minLength: 1, maxLength: 8 }),
  otherDone: fc.integer({ min: 0, max: 20 }),
  otherOpen: fc.integer({ min: 0, max: 5 }),
  elapsedMs: fc.integer({ min: 1, max: 600_000 }),
});
const snow = (ms: number) => snowflakeAt(ms);

describe("jobProgress", () => {
  it("moves forward as pages of known walks arrive (property)", () => {
    fc.assert(
      fc.property(inputArb, fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), (input, pick, step, last) => {
        const i = pick % input.walks.length;
        const before = jobProgress({ ...input, state: "running" });
        const w = input.walks[i];
        // The next page moves the cursor further back (or ends the walk).
        const cursor = Math.max(w.floorMs + 1, Math.round(w.cursorMs - (w.cursorMs - w.floorMs) * step * 0.99));
        const next: Walk = last
          ? { ...w, pages: w.pages + 1, done: true }
          : { ...w, pages: w.pages + 1, cursorMs: Math.min(w.cursorMs, cursor) };
        const walks = input.walks.map((x, j) => (j === i ? next : x));
        const after = jobProgress({ ...input, walks, state: "running" });
        expect(after.fraction).toBeGreaterThanOrEqual(before.fraction - 1e-12);
        expect(after.pagesDone).toBe(before.pagesDone + 1);
      }),
    );
  });

  it("never reaches 100% unless every walk is covered and the job ended complete; a cancelled or failed job never does", () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.constantFrom("running", "cancelled", "failed", "succeeded", "partially_succeeded") as fc.Arbitrary<JobState>,
        fc.boolean(),
        (input, state, allDone) => {
          const walks = allDone ? input.walks.map((w) => ({ ...w, done: true })) : input.walks;
          const p = jobProgress({ ...input, walks, otherOpen: allDone ? 0 : input.otherOpen, state });
          expect(p.fraction).toBeGreaterThanOrEqual(0);
          const complete = allDone && (state === "succeeded" || state === "partially_succeeded");
          if (complete) expect(p.fraction).toBe(1);
          else expect(p.fraction).toBeLessThan(1);
        },
      ),
    );
  });

  it("a burst at the head of a quiet channel is not scaled to the whole history once the walk has left it", () => {
    // Two years; the newest 10 pages all fall within the last hour (an evening's burst), then one page a week.
    const channel = snow(T0);
    let w = startWalk({ kind: "messages", channelId: channel, spanMs: 730 * DAY }, null);
    let cursor = T0 + 730 * DAY;
    for (let i = 0; i < 10; i++) {
      cursor -= 360_000;
      w = walkPage(w, { kind: "messages", channelId: channel, before: snow(cursor) });
    }
    expect(w.size).toBeGreaterThan(100_000); // nothing seen yet says the burst ends
    for (let i = 0; i < 20; i++) {
      cursor -= 7 * DAY;
      w = walkPage(w, { kind: "messages", channelId: channel, before: snow(cursor) });
    }
    // 30 pages covered 140 days of 730: about 156 in all, not the millions the first page promised.
    expect(w.size).toBeGreaterThan(140);
    expect(w.size).toBeLessThan(170);
  });

  it("time left comes from the observed page rate over the estimated pages left", () => {
    // One walk of 100 estimated pages, 10 done (10% covered) in 20 s: 0.5 pages/s, 90 pages left.
    const w: Walk = { topMs: 1_000_000, floorMs: 0, cursorMs: 900_000, pages: 10, size: 100, done: false };
    const p = jobProgress({ walks: [w], otherDone: 0, otherOpen: 0, state: "running", elapsedMs: 20_000 });
    expect(p.pagesEstimated).toBe(100);
    expect(p.secondsLeft).toBe(180);
    expect(p.fraction).toBeCloseTo(0.1, 5);
    // Twice the rate: half the time.
    expect(jobProgress({ walks: [w], otherDone: 0, otherOpen: 0, state: "running", elapsedMs: 10_000 }).secondsLeft).toBe(90);
    // Nothing observed yet: unknown, not "0s left".
    expect(
      jobProgress({
        walks: [{ ...w, pages: 0, size: null, cursorMs: w.topMs }],
        otherDone: 0,
        otherOpen: 3,
        state: "running",
        elapsedMs: 5_000,
      }).secondsLeft,
    ).toBeNull();
  });

  it("sizes a walk by the average density of its pages so far, and follows the walk to its end", () => {
    const channel = snow(T0);
    let w = startWalk({ kind: "messages", channelId: channel, spanMs: 100 * DAY }, null);
    expect(w).toMatchObject({ topMs: T0 + 100 * DAY, floorMs: T0, pages: 0, size: null });
    w = walkPage(w, { kind: "messages", channelId: channel, before: snow(T0 + 95 * DAY) });
    expect(w.size).toBe(20); // 5 of 100 days in one page
    expect(coverage(w)).toBeCloseTo(0.05, 5);
    w = walkPage(w, { kind: "messages", channelId: channel, before: snow(T0 + 50 * DAY) });
    expect(w.size).toBe(4); // 2 pages covered half the range
    expect(coverage(w)).toBeCloseTo(0.5, 5);
    w = walkPage(w, undefined);
    expect(w).toMatchObject({ done: true, pages: 3 });
    expect(coverage(w)).toBe(1);
    // The window start bounds the range: a channel older than the window walks back only to it.
    expect(startWalk({ kind: "messages", channelId: channel, spanMs: 100 * DAY }, T0 + 90 * DAY).floorMs).toBe(T0 + 90 * DAY);
  });

  it("an incremental walk's range runs from its stop point to its newest message, as planWalks measures spanMs", () => {
    // A year-old channel re-scanned over its last 7 days: spanMs counts from the stop point, not the creation.
    const channel = snow(T0);
    const stop = snow(T0 + 358 * DAY);
    let w = startWalk({ kind: "messages", channelId: channel, stopAfter: stop, spanMs: 7 * DAY }, null);
    expect(w).toMatchObject({ floorMs: T0 + 358 * DAY, topMs: T0 + 365 * DAY });
    w = walkPage(w, { kind: "messages", channelId: channel, stopAfter: stop, before: snow(T0 + 362 * DAY) });
    expect(coverage(w)).toBeCloseTo(3 / 7, 5);
    expect(w.size).toBe(3); // 3 of 7 days in one page
  });
});
