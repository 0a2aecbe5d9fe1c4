// Honest progress: the fraction comes from each walk's covered snowflake time range, grows no
// faster than the work, and a cancelled job never reaches 100%.
import { describe, expect, it } from "vitest";
import { MemoryLedger } from "../../src/extraction/ledger";
import { snowflakeAt } from "../../src/extraction/map";
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
    const mid = ledger.estimate();
    expect(mid.total).toBeGreaterThanOrEqual(140);
    expect(mid.total).toBeLessThanOrEqual(170);
    expect(mid.fraction).toBeLessThan(0.5);
    // Pages-done-over-pages-known would claim 61 / 62 here: almost done.
    expect(mid.done).toBe(61);

    ledger.cancel();
    expect(ledger.estimate().fraction).toBeLessThan(1);
  });

  it("reaches exactly 1 only when the job succeeded", async () => {
    const ledger = new MemoryLedger(() => {});
    await ledger.complete("guild", { written: {}, next: [small(1)] });
    expect(ledger.estimate().fraction).toBeLessThan(1);
    await ledger.complete(taskId(small(1)), { written: {}, next: [] });
    expect(ledger.state).toBe("succeeded");
    expect(ledger.estimate().fraction).toBe(1);
  });
});
