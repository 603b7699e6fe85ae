// The optimizer base: reads each parameter's .grad, clips and decays it, and updates .data
// in place. Per-parameter state ("slots": moments, accumulators) is a Float32Array each,
// allocated on a parameter's first step; later steps allocate nothing.
import { Tensor } from '../tensor/tensor.js';
import { formatShape } from '../tensor/format.js';
import { argsObject, describe, nonNegativeInteger, nonNegativeNumber, positiveNumber } from './args.js';
import { deserializeSchedule, LearningRateSchedule, serializeSchedule, type SerializedSchedule } from './schedules.js';

export interface OptimizerArgs {
  /** A number or a schedule of `iterations`. */
  learningRate?: number | LearningRateSchedule;
  /** Rescale each parameter's gradient to at most this L2 norm (Keras's clipnorm). */
  clipnorm?: number | null;
  /** Clip every gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Rescale all gradients together to at most this global L2 norm (torch.nn.utils.clip_grad_norm_). */
  globalClipnorm?: number | null;
  /** L2 penalty: weightDecay * param is added to the gradient (PyTorch's weight_decay). AdamW decouples it. */
  weightDecay?: number | null;
}

export interface OptimizerConfig {
  learningRate: number | SerializedSchedule;
  clipnorm: number | null;
  clipvalue: number | null;
  globalClipnorm: number | null;
  weightDecay: number | null;
  [key: string]: unknown;
}

/** What getState returns: `iterations`, and `<slot>/<i>` per parameter i of the last step. */
export type OptimizerState = Record<string, Float32Array | number>;

// torch.nn.utils.clip_grad_norm_ divides by (norm + 1e-6).
const CLIP_GRAD_NORM_EPS = 1e-6;

interface Slots {
  arrays: Float32Array[];
  /** The clipped / decayed gradient, when any transform applies. */
  scratch: Float32Array | null;
}

export abstract class Optimizer {
  static className = 'Optimizer';
  /** Updates applied so far; schedules read it. */
  iterations = 0;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly weightDecay: number | null;
  protected readonly fn: string;
  private lr: number | LearningRateSchedule;
  private readonly slots = new Map<Tensor, Slots>();
  private order: Tensor[] = [];
  private pending: Map<number, Map<string, Float32Array>> | null = null;

  protected constructor(fn: string, args: OptimizerArgs, defaultLearningRate: number) {
    this.fn = fn;
    const a = argsObject(fn, args);
    this.lr = checkLearningRate(fn, a.learningRate ?? defaultLearningRate);
    const optional = (name: keyof OptimizerArgs, check: typeof positiveNumber) =>
      a[name] == null ? null : check(fn, name, a[name]);
    this.clipnorm = optional('clipnorm', positiveNumber);
    this.clipvalue = optional('clipvalue', positiveNumber);
    this.globalClipnorm = optional('globalClipnorm', positiveNumber);
    this.weightDecay = optional('weightDecay', nonNegativeNumber);
    const clips = (['clipnorm', 'clipvalue', 'globalClipnorm'] as const).filter((k) => this[k] !== null);
    if (clips.length > 1) {
      throw new RangeError(`${fn}: only one of clipnorm, clipvalue and globalClipnorm can be set (as Keras), got ${clips.join(' and ')}`);
    }
  }

  get learningRate(): number | LearningRateSchedule {
    return this.lr;
  }

  set learningRate(value: number | LearningRateSchedule) {
    this.lr = checkLearningRate(this.fn, value);
  }

  /** The learning rate the next update uses. */
  get currentLearningRate(): number {
    return this.lr instanceof LearningRateSchedule ? this.lr.call(this.iterations) : this.lr;
  }

  /** Names of the per-parameter state arrays, in getState's keys. */
  protected abstract slotNames(): readonly string[];

  /** Initial value of a slot (0 unless an optimizer says otherwise). */
  protected slotInit(_name: string): number {
    return 0;
  }

  /** Whether weightDecay is added to the gradient (false for decoupled decay). */
  protected get coupledWeightDecay(): boolean {
    return true;
  }

  /**
   * One update of p from gradient g (already clipped and decayed); `t` is the 1-based
   * update count (for bias corrections).
   */
  protected abstract apply(p: Float32Array, g: Float32Array, slots: Float32Array[], lr: number, t: number): void;

  /** Updates every parameter that has a gradient, in place; parameters without one are skipped. */
  step(params: Tensor[]): void {
    const fn = `${this.fn}.step`;
    if (!Array.isArray(params)) throw new TypeError(`${fn}: params must be an array of Tensors, got ${describe(params)}`);
    params.forEach((p, i) => {
      if (!(p instanceof Tensor) || p.dtype !== 'float32') throw new TypeError(`${fn}: params[${i}] must be a float32 Tensor, got ${describe(p)}`);
      const g = p.grad;
      if (g !== null && (g.size !== p.size || g.shape.some((d, k) => d !== p.shape[k]))) {
        throw new RangeError(`${fn}: params[${i}].grad must be shaped as the parameter ${formatShape(p.shape)}, got ${formatShape(g.shape)}`);
      }
    });
    const lr = this.currentLearningRate;
    if (!Number.isFinite(lr) || lr < 0) throw new RangeError(`${fn}: the learning rate must be a non-negative number, got ${lr} at iteration ${this.iterations}`);
    this.remember(params);
    let globalScale = 1;
    if (this.globalClipnorm !== null) {
      let sq = 0;
      for (const p of params) if (p.grad) sq += squaredNorm(p.grad.data as Float32Array);
      const coef = this.globalClipnorm / (Math.sqrt(sq) + CLIP_GRAD_NORM_EPS);
      if (coef < 1) globalScale = coef;
    }
    const t = this.iterations + 1;
    params.forEach((p, i) => {
      if (!p.grad) return;
      const slots = this.slotsFor(p, i);
      const g = this.effectiveGradient(p, slots, globalScale);
      this.apply(p.data as Float32Array, g, slots.arrays, lr, t);
      p.markModified();
    });
    this.iterations = t;
  }

  /** Clears gradients for the next backward: zero-filled in place (no new buffer). */
  zeroGrad(params: Tensor[]): void {
    if (!Array.isArray(params)) throw new TypeError(`${this.fn}.zeroGrad: params must be an array of Tensors, got ${describe(params)}`);
    for (const p of params) p.grad?.data.fill(0);
  }

  private effectiveGradient(p: Tensor, slots: Slots, globalScale: number): Float32Array {
    const grad = p.grad!.data as Float32Array;
    const decay = this.coupledWeightDecay ? this.weightDecay ?? 0 : 0;
    let scale = globalScale;
    if (this.clipnorm !== null) {
      // Keras: g * clipnorm / max(norm, clipnorm).
      const norm = Math.sqrt(squaredNorm(grad));
      if (norm > this.clipnorm) scale = this.clipnorm / norm;
    }
    const clip = this.clipvalue;
    if (scale === 1 && clip === null && decay === 0) return grad;
    slots.scratch ??= new Float32Array(grad.length);
    const out = slots.scratch;
    const w = p.data as Float32Array;
    for (let i = 0; i < grad.length; i++) {
      let g = grad[i]! * scale;
      if (clip !== null) g = g > clip ? clip : g < -clip ? -clip : g;
      out[i] = g + decay * w[i]!;
    }
    return out;
  }

  private remember(params: Tensor[]): void {
    if (params.length === this.order.length && params.every((p, i) => p === this.order[i])) return;
    this.order = [...params];
  }

  private slotsFor(p: Tensor, index: number): Slots {
    let s = this.slots.get(p);
    if (s) return s;
    const restored = this.pending?.get(index);
    const arrays = this.slotNames().map((name) => {
      const saved = restored?.get(name);
      if (!saved) return new Float32Array(p.size).fill(this.slotInit(name));
      if (saved.length !== p.size) {
        throw new RangeError(`${this.fn}.setState: '${name}/${index}' holds ${saved.length} values, but parameter ${index} has ${p.size} (${formatShape(p.shape)})`);
      }
      return Float32Array.from(saved);
    });
    this.pending?.delete(index);
    s = { arrays, scratch: null };
    this.slots.set(p, s);
    return s;
  }

  /** A copy of the state: iterations and every slot of the parameters of the last step. */
  getState(): OptimizerState {
    const state: OptimizerState = { iterations: this.iterations };
    const names = this.slotNames();
    this.order.forEach((p, i) => {
      const s = this.slots.get(p);
      if (s) names.forEach((name, k) => (state[`${name}/${i}`] = Float32Array.from(s.arrays[k]!)));
    });
    for (const [i, slots] of this.pending ?? []) {
      for (const [name, arr] of slots) state[`${name}/${i}`] ??= Float32Array.from(arr);
    }
    return state;
  }

  /**
   * Restores getState's output. Slots attach to parameters by position in the next step's
   * params (the order getState saw), so the same model's parameters resume their moments.
   */
  setState(state: OptimizerState): void {
    const fn = `${this.fn}.setState`;
    if (state === null || typeof state !== 'object') throw new TypeError(`${fn}: state must be an object, got ${describe(state)}`);
    const iterations = nonNegativeInteger(fn, 'state.iterations', state.iterations);
    const names = new Set(this.slotNames());
    const pending = new Map<number, Map<string, Float32Array>>();
    for (const [key, value] of Object.entries(state)) {
      if (key === 'iterations') continue;
      const m = /^(\w+)\/(\d+)$/.exec(key);
      if (!m || !names.has(m[1]!)) {
        throw new RangeError(`${fn}: unknown state key '${key}'; ${this.fn} keeps ${[...names].map((n) => `'${n}/<i>'`).join(', ') || 'no slots'}`);
      }
      if (!(value instanceof Float32Array)) throw new TypeError(`${fn}: state['${key}'] must be a Float32Array, got ${describe(value)}`);
      const i = Number(m[2]);
      if (!pending.has(i)) pending.set(i, new Map());
      pending.get(i)!.set(m[1]!, Float32Array.from(value));
    }
    this.slots.clear();
    this.pending = pending;
    this.iterations = iterations;
  }

  getConfig(): OptimizerConfig {
    return {
      learningRate: this.lr instanceof LearningRateSchedule ? serializeSchedule(this.lr) : this.lr,
      clipnorm: this.clipnorm,
      clipvalue: this.clipvalue,
      globalClipnorm: this.globalClipnorm,
      weightDecay: this.weightDecay,
    };
  }
}

function checkLearningRate(fn: string, lr: unknown): number | LearningRateSchedule {
  if (lr instanceof LearningRateSchedule) return lr;
  return positiveNumber(fn, 'learningRate', lr);
}

/** Optimizer args from a config: a serialized schedule becomes a schedule again. */
export function argsFromConfig<T extends OptimizerArgs>(config: OptimizerConfig): T {
  const lr = config.learningRate;
  return { ...config, learningRate: typeof lr === 'number' ? lr : deserializeSchedule(lr) } as unknown as T;
}

function squaredNorm(g: Float32Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  return s;
}
