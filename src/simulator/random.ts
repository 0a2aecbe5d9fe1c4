// Seeded randomness: the same seed gives the same world on every runtime (no Math.random).

/** 32-bit string hash (FNV-1a), used to derive independent streams from (seed, label). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }

  /** An independent stream: adding draws to one part of the generator does not shift the others. */
  static stream(seed: number, label: string): Rng {
    return new Rng(hash32(`${seed}:${label}`));
  }

  /** mulberry32: tiny, fast, good enough statistical quality for test data. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, maxInclusive: number): number {
    return min + Math.floor(this.next() * (maxInclusive - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** Geometric-ish small count: 1 + number of successes in a row with probability p. */
  burst(p: number, max: number): number {
    let n = 1;
    while (n < max && this.chance(p)) n++;
    return n;
  }
}

/** Weighted choice over a fixed population in O(log n) per draw (cumulative weights + binary search). */
export class WeightedPicker<T> {
  private readonly cumulative: Float64Array;
  private readonly total: number;
  constructor(
    readonly items: readonly T[],
    weight: (item: T) => number,
  ) {
    this.cumulative = new Float64Array(items.length);
    let sum = 0;
    items.forEach((item, i) => {
      sum += Math.max(0, weight(item));
      this.cumulative[i] = sum;
    });
    this.total = sum;
  }

  get size(): number {
    return this.items.length;
  }

  pick(rng: Rng): T {
    const target = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }

  /** Up to n distinct items (rejection sampling: n is small next to the population). */
  pickDistinct(rng: Rng, n: number, exclude?: ReadonlySet<T>): T[] {
    const want = Math.min(n, this.items.length - (exclude?.size ?? 0));
    const out = new Set<T>();
    let tries = 0;
    while (out.size < want && tries < want * 30) {
      tries++;
      const item = this.pick(rng);
      if (!exclude?.has(item)) out.add(item);
    }
    return [...out];
  }
}
