// A seedable pseudo-random generator whose streams are the same on every platform: the core
// is xoshiro128** on 32-bit integer arithmetic (Math.imul, shifts), and normals use the
// polar method, which needs only sqrt (exact in IEEE 754) and log (V8's fdlibm port, the
// same on every platform V8 runs on).

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

// splitmix32: spreads a seed's bits over the state so nearby seeds give unrelated streams.
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) >>> 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(String).join(', ')}]`;
  return typeof value === 'number' ? String(value) : typeof value;
}

function checkSeed(op: string, seed: unknown): number {
  if (!Number.isSafeInteger(seed)) {
    throw new TypeError(`${op}: seed must be a safe integer, got ${describe(seed)}`);
  }
  return seed as number;
}

/**
 * A stream of uniform and normal numbers fully determined by its seed (and, after
 * `setState`, by the state it was given). Not for cryptography.
 */
export class Generator {
  #s = new Uint32Array(4);
  // The polar method makes normals in pairs; the second waits here for the next call.
  #spare: number | null = null;

  constructor(seed: number) {
    checkSeed('Generator', seed);
    this.#reseed(seed);
  }

  #reseed(seed: number): void {
    // Both halves of a 53-bit seed reach the state: low word through the first mix, the
    // high word folded into the mixer's running value.
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_32) >>> 0;
    const mix = { s: lo };
    for (let i = 0; i < 4; i++) {
      if (i === 2) mix.s = (mix.s ^ hi) >>> 0;
      this.#s[i] = splitmix32(mix);
    }
    if (this.#s.every((w) => w === 0)) this.#s[0] = 1;
    this.#spare = null;
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  // 53 random bits as an exact integer in [0, 2^53).
  #next53(): number {
    return (this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6);
  }

  /** Uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    return this.#next53() / TWO_53;
  }

  /** Standard normal (mean 0, standard deviation 1). */
  normal(): number {
    if (this.#spare !== null) {
      const v = this.#spare;
      this.#spare = null;
      return v;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.#spare = v * f;
    return u * f;
  }

  /** Uniform integer in [0, n), without modulo bias; n a positive integer up to 2^53. */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_53) {
      throw new RangeError(`Generator.int: n must be an integer in [1, 2^53], got ${describe(n)}`);
    }
    // Reject the top partial block of [0, 2^53) so every residue is equally likely.
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const x = this.#next53();
      if (x < limit) return x % n;
    }
  }

  /**
   * An independent generator seeded from this one's stream (advancing it), for handing a
   * reproducible stream to a sub-task without sharing state.
   */
  fork(): Generator {
    const child = new Generator(0);
    const mix = { s: this.nextUint32() };
    const words: number[] = [0, 1, 2, 3].map(() => (this.nextUint32() ^ splitmix32(mix)) >>> 0);
    if (!words.some((w) => w !== 0)) words[0] = 1;
    child.setState([...words, 0, 0]);
    return child;
  }

  /** The full state: four 32-bit words, then whether a spare normal waits (0/1) and its value. */
  getState(): number[] {
    return [...this.#s, this.#spare === null ? 0 : 1, this.#spare ?? 0];
  }

  /** Restores a state from getState(): the stream continues exactly from there. */
  setState(state: readonly number[]): void {
    const ok =
      Array.isArray(state) &&
      state.length === 6 &&
      state.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32) &&
      state.slice(0, 4).some((w) => w !== 0) &&
      (state[4] === 0 || state[4] === 1) &&
      Number.isFinite(state[5]);
    if (!ok) {
      throw new RangeError(
        `Generator.setState: state must be 4 uint32 words (not all 0), a 0/1 flag and a finite number, as from getState(), got ${describe(state)}`,
      );
    }
    this.#s.set(state.slice(0, 4));
    this.#spare = state[4] === 1 ? state[5]! : null;
  }
}

// Seeded with a fixed value, as PyTorch's default generator is, so runs reproduce unless a
// program asks otherwise.
const DEFAULT_SEED = 67280421310721;
const global = new Generator(DEFAULT_SEED);

/** The generator random ops use when given neither a seed nor a generator. */
export function globalGenerator(): Generator {
  return global;
}

/** Reseeds the global generator (as torch.manual_seed). */
export function seed(n: number): void {
  checkSeed('seed', n);
  const fresh = new Generator(n);
  global.setState(fresh.getState());
}
