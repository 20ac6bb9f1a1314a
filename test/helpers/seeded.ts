// A small seeded generator for property and fuzz tests (fast-check is not a dependency): the same
// seed gives the same cases, and a failing case prints its seed so it can be replayed.
export interface Random {
  readonly seed: number;
  /** 0 <= n < 1 */
  next(): number;
  int(maxExclusive: number): number;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

/** mulberry32: tiny, fast, good enough to spread test cases. */
export function seeded(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    pick: (items) => items[int(items.length)] as (typeof items)[number],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

/** The seed for this run: PROCWATCH_SEED to replay one, else a fresh one (printed by the caller on failure). */
export function testSeed(): number {
  const fixed = process.env.PROCWATCH_SEED;
  return fixed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(fixed);
}
