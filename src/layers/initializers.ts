// Weight initializers with tfjs's names and config keys and Keras's formulas. Each draws
// from its own Generator when given a seed (so a seeded layer is reproducible whatever ran
// before it), else from the global one (loom.seed()).
import { Generator, globalGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

type Config = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

function checkNumber(op: string, arg: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new RangeError(`${op}: ${arg} must be a ${positive ? 'positive' : 'finite'} number, got ${describe(v)}`);
  }
  return v;
}

function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** Keras's fans: [in, out] for a matrix, receptive field times channels above. */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

export abstract class Initializer {
  static className = 'Initializer';
  protected readonly seed: number | undefined;
  private generator: Generator | null = null;

  constructor(args: { seed?: number } = {}) {
    const seed = args?.seed;
    if (seed !== undefined && !Number.isSafeInteger(seed)) {
      throw new TypeError(`${(this.constructor as typeof Initializer).className}: seed must be a safe integer, got ${describe(seed)}`);
    }
    this.seed = seed;
  }

  get className(): string {
    return (this.constructor as typeof Initializer).className;
  }

  /** The stream to draw from: the initializer's own when seeded, else the global one. */
  protected rng(): Generator {
    if (this.seed === undefined) return globalGenerator();
    this.generator ??= new Generator(this.seed);
    return this.generator;
  }

  /** A new float32 tensor of this shape (Keras layout: [fanIn, fanOut] for a matrix). */
  apply(shape: number[]): Tensor {
    checkShape(this.className, shape);
    const size = shape.reduce((a, b) => a * b, 1);
    return new Tensor(Float32Array.from(this.values(shape, size)), shape);
  }

  protected abstract values(shape: number[], size: number): ArrayLike<number>;

  getConfig(): Config {
    return this.seed === undefined ? {} : { seed: this.seed };
  }
}

export class Zeros extends Initializer {
  static override className = 'Zeros';
  protected values(_shape: number[], size: number): number[] {
    return new Array<number>(size).fill(0);
  }
}

export class Ones extends Initializer {
  static override className = 'Ones';
  protected values(_shape: number[], size: number): number[] {
    return new Array<number>(size).fill(1);
  }
}

export interface ConstantArgs { value: number }
export class Constant extends Initializer {
  static override className = 'Constant';
  readonly value: number;
  constructor(args: ConstantArgs) {
    super();
    this.value = checkNumber('constant', 'args.value', args?.value);
  }
  protected values(_shape: number[], size: number): number[] {
    return new Array<number>(size).fill(this.value);
  }
  override getConfig(): Config {
    return { value: this.value };
  }
}

export interface RandomNormalArgs { mean?: number; stddev?: number; seed?: number }
export class RandomNormal extends Initializer {
  static override className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(args: RandomNormalArgs = {}) {
    super(args);
    this.mean = checkNumber('randomNormal', 'args.mean', args.mean ?? 0);
    this.stddev = checkNumber('randomNormal', 'args.stddev', args.stddev ?? 0.05, true);
  }
  protected values(_shape: number[], size: number): number[] {
    const g = this.rng();
    return Array.from({ length: size }, () => this.mean + this.stddev * g.normal());
  }
  override getConfig(): Config {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

export interface TruncatedNormalArgs { mean?: number; stddev?: number; seed?: number }
/** Normals redrawn until within two standard deviations of the mean, as Keras's. */
export class TruncatedNormal extends Initializer {
  static override className = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(args: TruncatedNormalArgs = {}) {
    super(args);
    this.mean = checkNumber('truncatedNormal', 'args.mean', args.mean ?? 0);
    this.stddev = checkNumber('truncatedNormal', 'args.stddev', args.stddev ?? 0.05, true);
  }
  protected values(_shape: number[], size: number): number[] {
    return truncated(this.rng(), size, this.mean, this.stddev);
  }
  override getConfig(): Config {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

function truncated(g: Generator, size: number, mean: number, stddev: number): number[] {
  return Array.from({ length: size }, () => {
    let z: number;
    do z = g.normal();
    while (Math.abs(z) > 2);
    return mean + stddev * z;
  });
}

export interface RandomUniformArgs { minval?: number; maxval?: number; seed?: number }
export class RandomUniform extends Initializer {
  static override className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor(args: RandomUniformArgs = {}) {
    super(args);
    this.minval = checkNumber('randomUniform', 'args.minval', args.minval ?? -0.05);
    this.maxval = checkNumber('randomUniform', 'args.maxval', args.maxval ?? 0.05);
    if (!(this.maxval > this.minval)) {
      throw new RangeError(`randomUniform: args.maxval must exceed args.minval (${this.minval}), got ${this.maxval}`);
    }
  }
  protected values(_shape: number[], size: number): number[] {
    const g = this.rng();
    return Array.from({ length: size }, () => this.minval + (this.maxval - this.minval) * g.uniform());
  }
  override getConfig(): Config {
    return { minval: this.minval, maxval: this.maxval, ...super.getConfig() };
  }
}

export type FanMode = 'fanIn' | 'fanOut' | 'fanAvg';
export type Distribution = 'normal' | 'uniform' | 'truncatedNormal';
export interface VarianceScalingArgs { scale?: number; mode?: FanMode; distribution?: Distribution; seed?: number }

/** Keras's VarianceScaling: variance scale / n, n the fan chosen by mode. */
export class VarianceScaling extends Initializer {
  static override className = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: Distribution;
  constructor(args: VarianceScalingArgs = {}) {
    super(args);
    this.scale = checkNumber('varianceScaling', 'args.scale', args.scale ?? 1, true);
    this.mode = args.mode ?? 'fanIn';
    this.distribution = args.distribution ?? 'normal';
    if (!['fanIn', 'fanOut', 'fanAvg'].includes(this.mode)) {
      throw new RangeError(`varianceScaling: args.mode must be 'fanIn', 'fanOut' or 'fanAvg', got ${describe(this.mode)}`);
    }
    if (!['normal', 'uniform', 'truncatedNormal'].includes(this.distribution)) {
      throw new RangeError(`varianceScaling: args.distribution must be 'normal', 'uniform' or 'truncatedNormal', got ${describe(this.distribution)}`);
    }
  }
  protected values(shape: number[], size: number): number[] {
    const { fanIn, fanOut } = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    const g = this.rng();
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return Array.from({ length: size }, () => limit * (2 * g.uniform() - 1));
    }
    if (this.distribution === 'normal') {
      const stddev = Math.sqrt(variance);
      return Array.from({ length: size }, () => stddev * g.normal());
    }
    // The standard deviation of a unit normal truncated to [-2, 2], corrected for as Keras does.
    return truncated(g, size, 0, Math.sqrt(variance) / 0.8796256610342398);
  }
  override getConfig(): Config {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, ...super.getConfig() };
  }
}

export interface SeedOnlyArgs { seed?: number }

/** A VarianceScaling with fixed scale, mode and distribution (Keras's named presets). */
export type ScalingPreset = (new (args?: SeedOnlyArgs) => VarianceScaling) & Omit<typeof VarianceScaling, 'prototype'>;

function scaling(className: string, scale: number, mode: FanMode, distribution: Distribution): ScalingPreset {
  const cls = class extends VarianceScaling {
    static override className = className;
    constructor(args: SeedOnlyArgs = {}) {
      super({ scale, mode, distribution, ...(args?.seed === undefined ? {} : { seed: args.seed }) });
    }
    override getConfig(): Config {
      return this.seed === undefined ? {} : { seed: this.seed };
    }
  };
  return cls;
}

export const GlorotUniform = scaling('GlorotUniform', 1, 'fanAvg', 'uniform');
export const GlorotNormal = scaling('GlorotNormal', 1, 'fanAvg', 'truncatedNormal');
export const HeUniform = scaling('HeUniform', 2, 'fanIn', 'uniform');
export const HeNormal = scaling('HeNormal', 2, 'fanIn', 'truncatedNormal');
export const LeCunUniform = scaling('LeCunUniform', 1, 'fanIn', 'uniform');
export const LeCunNormal = scaling('LeCunNormal', 1, 'fanIn', 'truncatedNormal');

export interface OrthogonalArgs { gain?: number; seed?: number }

/**
 * Keras's Orthogonal: the Q of a Gaussian matrix's QR (signs fixed so R's diagonal is
 * positive), over the shape flattened to [prod(shape[:-1]), shape[-1]]; rows orthonormal
 * when there are fewer rows than columns, columns otherwise.
 */
export class Orthogonal extends Initializer {
  static override className = 'Orthogonal';
  readonly gain: number;
  constructor(args: OrthogonalArgs = {}) {
    super(args);
    this.gain = checkNumber('orthogonal', 'args.gain', args.gain ?? 1);
  }
  protected values(shape: number[], size: number): Float64Array {
    if (shape.length < 2) throw new RangeError(`orthogonal: shape must have rank 2 or more, got [${shape.join(', ')}]`);
    const rows = size / shape[shape.length - 1]!;
    const cols = shape[shape.length - 1]!;
    const m = Math.max(rows, cols);
    const n = Math.min(rows, cols);
    const g = this.rng();
    // Columns of a [m, n] Gaussian matrix, orthonormalized by modified Gram-Schmidt run
    // twice (enough for full orthogonality in float64); R's diagonal is then positive.
    const q = Array.from({ length: n }, () => Float64Array.from({ length: m }, () => g.normal()));
    for (let j = 0; j < n; j++) {
      for (let pass = 0; pass < 2; pass++) {
        for (let k = 0; k < j; k++) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += q[k]![i]! * q[j]![i]!;
          for (let i = 0; i < m; i++) q[j]![i]! -= dot * q[k]![i]!;
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm += q[j]![i]! ** 2;
      norm = Math.sqrt(norm);
      for (let i = 0; i < m; i++) q[j]![i]! /= norm;
    }
    const out = new Float64Array(size);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        // rows >= cols: out = Q [m, n]; else out = Q^T.
        out[r * cols + c] = this.gain * (rows >= cols ? q[c]![r]! : q[r]![c]!);
      }
    }
    return out;
  }
  override getConfig(): Config {
    return { gain: this.gain, ...super.getConfig() };
  }
}

export interface IdentityArgs { gain?: number }
/** gain times the identity matrix (2-D shapes only; rectangular ones get ones on the diagonal). */
export class Identity extends Initializer {
  static override className = 'Identity';
  readonly gain: number;
  constructor(args: IdentityArgs = {}) {
    super();
    this.gain = checkNumber('identity', 'args.gain', args.gain ?? 1);
  }
  protected values(shape: number[], size: number): number[] {
    if (shape.length !== 2) throw new RangeError(`identity: shape must have rank 2, got [${shape.join(', ')}]`);
    const out = new Array<number>(size).fill(0);
    for (let i = 0; i < Math.min(shape[0]!, shape[1]!); i++) out[i * shape[1]! + i] = this.gain;
    return out;
  }
  override getConfig(): Config {
    return { gain: this.gain };
  }
}

type InitializerClass = (new (args?: never) => Initializer) & { className: string };

const CLASSES: InitializerClass[] = [
  Zeros, Ones, Constant as unknown as InitializerClass, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
  GlorotUniform, GlorotNormal, HeUniform, HeNormal, LeCunUniform, LeCunNormal, Orthogonal, Identity,
];
const registry = new Map<string, InitializerClass>(CLASSES.map((c) => [c.className, c]));

// 'glorotUniform', 'glorot_uniform', 'GlorotUniform' and 'lecunNormal' / 'leCunNormal' alike.
const key = (s: string) => s.replace(/_/g, '').toLowerCase();
const byKey = new Map<string, InitializerClass>(CLASSES.map((c) => [key(c.className), c]));
byKey.set('uniform', RandomUniform);
byKey.set('normal', RandomNormal);

/** An initializer, a registered name (tfjs or Keras spelling), or `{className, config}`. */
export type InitializerIdentifier = Initializer | string | { className: string; config?: Config };

export function getInitializer(id: InitializerIdentifier): Initializer {
  if (id instanceof Initializer) return id;
  if (typeof id === 'string') {
    const cls = byKey.get(key(id));
    if (!cls) throw new RangeError(`getInitializer: unknown initializer ${describe(id)}; known: ${CLASSES.map((c) => c.className).join(', ')}`);
    if (cls === (Constant as unknown as InitializerClass)) throw new RangeError(`getInitializer: 'constant' needs a value: pass constant({ value })`);
    return new cls();
  }
  if (id && typeof id === 'object' && typeof id.className === 'string') {
    const cls = registry.get(id.className) ?? byKey.get(key(id.className));
    if (!cls) throw new RangeError(`getInitializer: unknown initializer class ${describe(id.className)}`);
    return new (cls as unknown as new (args: Config) => Initializer)(id.config ?? {});
  }
  throw new TypeError(`getInitializer: identifier must be an Initializer, a name or {className, config}, got ${describe(id)}`);
}

export function serializeInitializer(init: Initializer): { className: string; config: Config } {
  return { className: init.className, config: init.getConfig() };
}

export const zeros = () => new Zeros();
export const ones = () => new Ones();
export const constant = (args: ConstantArgs) => new Constant(args);
export const randomNormal = (args?: RandomNormalArgs) => new RandomNormal(args);
export const randomUniform = (args?: RandomUniformArgs) => new RandomUniform(args);
export const truncatedNormal = (args?: TruncatedNormalArgs) => new TruncatedNormal(args);
export const varianceScaling = (args?: VarianceScalingArgs) => new VarianceScaling(args);
export const glorotUniform = (args?: SeedOnlyArgs) => new GlorotUniform(args);
export const glorotNormal = (args?: SeedOnlyArgs) => new GlorotNormal(args);
export const heUniform = (args?: SeedOnlyArgs) => new HeUniform(args);
export const heNormal = (args?: SeedOnlyArgs) => new HeNormal(args);
export const lecunUniform = (args?: SeedOnlyArgs) => new LeCunUniform(args);
export const lecunNormal = (args?: SeedOnlyArgs) => new LeCunNormal(args);
export const orthogonal = (args?: OrthogonalArgs) => new Orthogonal(args);
export const identity = (args?: IdentityArgs) => new Identity(args);
