/**
 * A small seeded PRNG (sfc32, from PractRand) so that every fuzz input is a pure function of
 * (run seed, input index): any input can be regenerated from its index alone, by the watchdog when a
 * worker hangs or dies, and by a later run with the same --seed.
 */
export class Prng {
  private a: number; private b: number; private c: number; private d: number;

  constructor(...seeds: number[]) {
    // Mix every seed word in (a murmur3-style finaliser over the running state), then warm up.
    let h = 0x9e3779b9;
    const mix = (x: number): number => {
      let z = ((h ^ x) + 0x9e3779b9) | 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      h = (z ^ (z >>> 16)) >>> 0;
      return h;
    };
    for (const s of seeds) mix(s >>> 0), mix(Math.floor(s / 2 ** 32) >>> 0);
    this.a = mix(1); this.b = mix(2); this.c = mix(3); this.d = mix(4);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number { return n <= 0 ? 0 : Math.floor((this.u32() / 2 ** 32) * n); }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  bool(p = 0.5): boolean { return this.u32() / 2 ** 32 < p; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  bytes(n: number): Uint8Array { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff; return b; }
  /** Small sizes far more often than large ones. */
  smallInt(max: number): number { return Math.min(max, Math.floor(2 ** (this.u32() / 2 ** 32 * Math.log2(max + 1))) - 1 + this.int(2)); }
}
