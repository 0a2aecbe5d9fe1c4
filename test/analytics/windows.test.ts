// The standard windows' pure rules: which ranges are a window, and the days that enter or leave one
// when the history's newest day moves (the refresh applies exactly these by difference).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addDays, daysOf } from "../../src/analytics/levels";
import { standardWindow, WINDOW_DAYS, windowMoves } from "../../src/analytics/windows";

describe("standard windows", () => {
  it("a range is a window when it starts N-1 days before the newest day and runs at least to it", () => {
    const end = "2026-11-29";
    expect(standardWindow({ from: "2026-10-31", to: end }, end)).toBe(30);
    expect(standardWindow({ from: "2026-11-23", to: end }, end)).toBe(7);
    expect(standardWindow({ from: "2026-09-01", to: end }, end)).toBe(90);
    // No day after the newest one exists: a range running past it sums the same rows.
    expect(standardWindow({ from: "2026-10-31", to: "2026-12-05" }, end)).toBe(30);
    expect(standardWindow({ from: "2026-10-31" }, end)).toBe(30);
    // Anything else is summed from the days.
    expect(standardWindow({ from: "2026-10-30", to: end }, end)).toBeNull();
    expect(standardWindow({ from: "2026-10-31", to: "2026-11-28" }, end)).toBeNull();
    expect(standardWindow({ from: "2026-10-31", to: end, channels: ["1"] }, end)).toBeNull();
    expect(standardWindow({ to: end }, end)).toBeNull();
    expect(standardWindow({ from: "2026-10-31", to: end }, null)).toBeNull();
  });

  it("moving the newest day adds exactly the days that enter each window and takes away those that leave", () => {
    const day = fc.option(
      fc.integer({ min: 0, max: 400 }).map((n) => addDays("2026-01-01", n)),
      { nil: null },
    );
    fc.assert(
      fc.property(day, day, (from, to) => {
        const moves = windowMoves(from, to);
        for (const n of WINDOW_DAYS) {
          const window = (end: string | null) => (end ? daysOf(addDays(end, 1 - n), end) : []);
          const count = new Map<string, number>();
          for (const d of window(from)) count.set(d, 1);
          for (const m of moves.filter((x) => x.days === n)) {
            expect(m.lo <= m.hi).toBe(true);
            for (const d of daysOf(m.lo, m.hi)) count.set(d, (count.get(d) ?? 0) + m.sign);
          }
          const after = [...count].filter(([, c]) => c !== 0);
          // Every day counted once, and the days counted are the new window's.
          expect(after.every(([, c]) => c === 1)).toBe(true);
          expect(after.map(([d]) => d).sort()).toEqual(window(to));
        }
        if (from === to) expect(moves).toEqual([]);
      }),
      { seed: 7, numRuns: 300 },
    );
  });
});
