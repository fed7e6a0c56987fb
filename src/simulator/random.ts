/**
 * Deterministic randomness for the simulator. The world generator and the
 * world actions draw from a seeded PRNG so the same seed gives the same world;
 * only secrets that must be unguessable (tokens, nonces) use node:crypto.
 */

// Module-local copies: global lookups are slow inside jest's vm context, and these run millions of times when seeding.
const { floor, imul } = Math;

/** mulberry32: tiny, fast, good enough for test data; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

export class Rng {
  readonly next: () => number;

  constructor(seedOrFn: number | (() => number)) {
    this.next = typeof seedOrFn === 'number' ? mulberry32(seedOrFn) : seedOrFn;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('pick from an empty list');
    return list[floor(this.next() * list.length)] as T;
  }

  /** k distinct items (fewer when the list is shorter), in random order. */
  sample<T>(list: readonly T[], k: number): T[] {
    const n = list.length;
    if (k >= n) return this.shuffle([...list]);
    const chosen = new Set<number>();
    while (chosen.size < k) chosen.add(floor(this.next() * n));
    return [...chosen].map((i) => list[i] as T);
  }

  shuffle<T>(list: T[]): T[] {
    for (let i = list.length - 1; i > 0; i--) {
      const j = floor(this.next() * (i + 1));
      [list[i], list[j]] = [list[j] as T, list[i] as T];
    }
    return list;
  }

  chars(n: number, alphabet = ALNUM): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[floor(this.next() * alphabet.length)];
    return s;
  }

  hex(n: number): string {
    return this.chars(n, HEX);
  }

  digits(n: number): string {
    return this.chars(n, '0123456789');
  }

  /** A fresh rng derived from this one (so sub-generators don't shift each other's streams). */
  fork(): Rng {
    return new Rng(floor(this.next() * 4294967296));
  }
}

/**
 * Weighted index picker: cumulative weights + binary search, O(log n) per draw,
 * fast enough for 100k customers over hundreds of reps.
 */
export function weightedPicker(weights: readonly number[], rng: Rng): () => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) {
    total += Math.max(0, w);
    cumulative.push(total);
  }
  if (total <= 0) throw new Error('weightedPicker needs a positive weight');
  return () => {
    const x = rng.next() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** Id shapes from API-NOTES §0: external_userid `wm…` (32), chat_id `wr…`, tag ids `et…`. */
export const ids = {
  /** The second segment mimics the corp-specific infix real ids share. */
  externalUserId: (rng: Rng) => `wm${rng.chars(30)}`,
  chatId: (rng: Rng) => `wr${rng.chars(30)}`,
  tagId: (rng: Rng) => `et${rng.chars(30)}`,
  memberVersion: (rng: Rng) => rng.hex(32),
  welcomeCode: (rng: Rng) => rng.chars(43),
  unionId: (rng: Rng) => `o${rng.chars(27)}`,
};
