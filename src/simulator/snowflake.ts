// Discord snowflakes: (ms since 2015-01-01) << 22 | worker | process | increment. created_at comes from the id.
// The fake Discord's own id arithmetic, deliberately independent of src/discord/snowflake.ts (the product's
// one id rule and id <-> time conversion): the simulator mints ids and expected.ts derives ground truth
// from them, so a mistake in the product's conversion cannot hide behind a shared helper.
export const DISCORD_EPOCH = 1420070400000;

export function snowflakeTime(id: string | bigint): number {
  return Number(BigInt(id) >> 22n) + DISCORD_EPOCH;
}

/** The smallest snowflake for an instant: `before`/`after` bounds for a time. */
export function snowflakeAt(ms: number): bigint {
  return BigInt(Math.floor(ms) - DISCORD_EPOCH) << 22n;
}

/** Hands out unique snowflakes; ids minted in time order for one channel increase with time. */
export class SnowflakeMint {
  private readonly used = new Map<number, number>();
  constructor(private readonly worker = 1) {}

  at(ms: number): { id: string; idn: bigint; ts: number } {
    let t = Math.floor(ms);
    let seq = this.used.get(t) ?? 0;
    // 4096 ids per ms; beyond that move to the next ms (never happens at our volumes, but stays correct).
    while (seq >= 4096) {
      t++;
      seq = this.used.get(t) ?? 0;
    }
    this.used.set(t, seq + 1);
    const idn = (BigInt(t - DISCORD_EPOCH) << 22n) | (BigInt(this.worker & 31) << 17n) | BigInt(seq);
    return { id: idn.toString(), idn, ts: t };
  }
}

export function compareIds(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}

export function isSnowflake(text: string | null | undefined): text is string {
  return !!text && /^\d{1,20}$/.test(text) && BigInt(text) < 1n << 64n;
}
