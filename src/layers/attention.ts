// Dot-product (Luong) and additive (Bahdanau) attention, as Keras's Attention and
// AdditiveAttention: inputs [query, value] or [query, value, key], masks [queryMask,
// valueMask]; masked value steps get no weight, masked query steps output zeros.
import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { configKeys, LAYER_KEYS, type KeyMap } from './config-keys.js';
import { getInitializer, serializeInitializer, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type ApplyKwargs, type LayerArgs, type LayerConfig, type LayerVariable, type Shape } from './layer.js';
import { setKerasLayout } from './keras-layout.js';
import { registerLayer } from './serialization.js';

// Added to the scores of masked value steps, as Keras (softmax then gives them exactly 0
// in float32 against any real score).
const MASKED_SCORE = -1e9;

export interface BaseAttentionArgs extends LayerArgs {
  /** Dropout on the attention weights while training, in [0, 1). */
  dropout?: number;
  /** Each query step attends only to value steps at or before it (decoder self-attention). */
  causal?: boolean;
  /** Seeds the weights' dropout stream. */
  seed?: number;
}

const BASE_ATTENTION_KEYS = { ...LAYER_KEYS, dropout: true, causal: true, seed: true } as const satisfies KeyMap<BaseAttentionArgs>;

abstract class BaseAttention extends Layer {
  readonly dropout: number;
  readonly causal: boolean;
  readonly seed: number | null;
  private readonly generator: Generator | null;

  constructor(args: BaseAttentionArgs) {
    super(args);
    const rate = args.dropout ?? 0;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new RangeError(`${this.name}: args.dropout must be in [0, 1), got ${String(rate)}`);
    this.dropout = rate;
    this.causal = args.causal ?? false;
    this.seed = args.seed ?? null;
    this.generator = args.seed === undefined ? null : new Generator(args.seed);
    this.supportsMasking = true;
  }

  /** Scores [B, Tq, Tv] of query [B, Tq, D] against key [B, Tv, D]. */
  protected abstract scores(query: Tensor, key: Tensor): Tensor;

  private parts(inputs: Tensor | Tensor[]): { query: Tensor; value: Tensor; key: Tensor } {
    if (!Array.isArray(inputs) || inputs.length < 2 || inputs.length > 3) {
      const got = Array.isArray(inputs) ? `an array of ${inputs.length}` : 'one tensor';
      throw new TypeError(`${this.name}: inputs must be [query, value] or [query, value, key], got ${got}`);
    }
    const [query, value, key = value] = inputs as [Tensor, Tensor, Tensor?];
    ([['query', query], ['value', value], ['key', key]] as const).forEach(([what, t]) => {
      if (t.dtype !== 'float32') throw new TypeError(`${this.name}: ${what} must be float32, got ${t.dtype} ${formatShape(t.shape)}`);
      if (t.rank !== 3) throw new RangeError(`${this.name}: ${what} must be [batch, time, dim], got ${formatShape(t.shape)}`);
    });
    const [B, , D] = query.shape as [number, number, number];
    if (value.shape[0] !== B || key.shape[0] !== B || key.shape[1] !== value.shape[1] || key.shape[2] !== D) {
      throw new RangeError(
        `${this.name}: key must be [${B}, ${value.shape[1]}, ${D}] (query's batch and dim, value's time), got ${formatShape(key.shape)} with query ${formatShape(query.shape)} and value ${formatShape(value.shape)}`,
      );
    }
    return { query, value, key };
  }

  private masks(mask: Tensor | Tensor[] | null | undefined, B: number, Tq: number, Tv: number): { q: Tensor | null; v: Tensor | null } {
    if (!mask) return { q: null, v: null };
    const list = Array.isArray(mask) ? mask : [mask];
    const check = (m: Tensor | null | undefined, what: string, T: number) => {
      if (!m) return null;
      if (!(m instanceof Tensor) || m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== T) {
        throw new RangeError(`${this.name}: ${what} mask must be [${B}, ${T}], got ${m instanceof Tensor ? formatShape(m.shape) : String(m)}`);
      }
      return m;
    };
    return { q: check(list[0], 'query', Tq), v: check(list[1], 'value', Tv) };
  }

  override build(inputShape: Shape | Shape[]): void {
    if (!Array.isArray(inputShape[0]) || inputShape.length < 2 || inputShape.length > 3) {
      const got = Array.isArray(inputShape[0]) ? `an array of ${inputShape.length}` : 'one tensor';
      throw new TypeError(`${this.name}: inputs must be [query, value] or [query, value, key], got ${got}`);
    }
    const shapes = inputShape as Shape[];
    const dim = shapes[0]![2];
    if (typeof dim !== 'number') throw new RangeError(`${this.name}: query must be [batch, time, dim] with a known dim, got ${JSON.stringify(shapes[0])}`);
    this.buildScores(dim);
    this.built = true;
  }

  protected abstract buildScores(dim: number): void;

  protected call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[] {
    const { query, value, key } = this.parts(inputs);
    const [B, Tq] = query.shape as [number, number];
    const Tv = value.shape[1]!;
    const masks = this.masks(kwargs.mask, B, Tq, Tv);
    let scores = this.scores(query, key);
    const bias = this.scoreBias(masks.v, B, Tq, Tv);
    if (bias) scores = F.add(scores, bias);
    let weights = F.softmax(scores, -1);
    if (kwargs.training && this.dropout > 0) {
      weights = F.dropout(weights, this.dropout, { training: true, ...(this.generator ? { generator: this.generator } : {}) });
    }
    let output = F.matmul(weights, value);
    if (masks.q) output = F.mul(output, F.expandDims(masks.q, 2));
    return kwargs.returnAttentionScores ? [output, weights] : output;
  }

  /** MASKED_SCORE where the value mask is 0 or (causal) the value step is after the query step. */
  private scoreBias(valueMask: Tensor | null, B: number, Tq: number, Tv: number): Tensor | null {
    if (!valueMask && !this.causal) return null;
    const bias = new Float32Array(B * Tq * Tv);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < Tq; i++) {
        for (let j = 0; j < Tv; j++) {
          const masked = (valueMask && valueMask.data[b * Tv + j] === 0) || (this.causal && j > i);
          if (masked) bias[(b * Tq + i) * Tv + j] = MASKED_SCORE;
        }
      }
    }
    return new Tensor(bias, [B, Tq, Tv]);
  }

  /** The query's mask: the output has the query's steps. */
  override computeMask(_inputs: Tensor | Tensor[], mask: Tensor | Tensor[] | null): Tensor | null {
    if (!mask) return null;
    return Array.isArray(mask) ? (mask[0] ?? null) : mask;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [q, v] = inputShape as Shape[];
    return [q![0] ?? null, q![1] ?? null, v![2] ?? null];
  }

  override getConfig(): LayerConfig {
    const config: LayerConfig = { ...super.getConfig(), dropout: this.dropout, causal: this.causal };
    if (this.seed !== null) config['seed'] = this.seed;
    return config;
  }
}

export interface AttentionArgs extends BaseAttentionArgs {
  /** Learn a scalar multiplying the scores (default false). */
  useScale?: boolean;
  /** 'dot' (default): q . k; 'concat': sum(tanh(q + k)) times a learned scalar. */
  scoreMode?: 'dot' | 'concat';
}

/** Luong (dot-product) attention: softmax(q k^T [* scale]) v. */
export class Attention extends BaseAttention {
  static override className = 'Attention';
  static override configKeys = configKeys<AttentionArgs>()({ ...BASE_ATTENTION_KEYS, useScale: true, scoreMode: true });
  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  scale: LayerVariable | null = null;
  concatScoreWeight: LayerVariable | null = null;

  constructor(args: AttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? false;
    this.scoreMode = args.scoreMode ?? 'dot';
    if (this.scoreMode !== 'dot' && this.scoreMode !== 'concat') {
      throw new RangeError(`${this.name}: args.scoreMode must be 'dot' or 'concat', got '${String(args.scoreMode)}'`);
    }
  }

  protected buildScores(): void {
    if (this.useScale) this.scale = this.addWeight('scale', [1], 'ones');
    if (this.scoreMode === 'concat') this.concatScoreWeight = this.addWeight('concat_score_weight', [1], 'ones');
    // Keras's scalars are rank 0.
    for (const w of [this.scale, this.concatScoreWeight]) if (w) setKerasLayout(w, { shape: [], units: 1, gates: [0], transpose: false });
  }

  protected scores(query: Tensor, key: Tensor): Tensor {
    if (this.scoreMode === 'dot') {
      const s = F.matmul(query, key, { transposeB: true });
      return this.scale ? F.mul(s, this.scale.value) : s;
    }
    let sum = F.add(F.expandDims(query, 2), F.expandDims(key, 1));
    if (this.scale) sum = F.mul(sum, this.scale.value);
    return F.mul(F.sum(F.tanh(sum), -1), this.concatScoreWeight!.value);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode };
  }
}
registerLayer(Attention);

export interface AdditiveAttentionArgs extends BaseAttentionArgs {
  /** Learn a per-dimension scale of the tanh (default true). */
  useScale?: boolean;
  /** The scale's initializer (default 'glorotUniform', as Keras). */
  scaleInitializer?: InitializerIdentifier;
}

/** Bahdanau (additive) attention: softmax(sum(scale * tanh(q + k), -1)) v. */
export class AdditiveAttention extends BaseAttention {
  static override className = 'AdditiveAttention';
  static override configKeys = configKeys<AdditiveAttentionArgs>()({ ...BASE_ATTENTION_KEYS, useScale: true, scaleInitializer: true });
  readonly useScale: boolean;
  readonly scaleInitializer: Initializer;
  scale: LayerVariable | null = null;

  constructor(args: AdditiveAttentionArgs = {}) {
    super(args);
    this.useScale = args.useScale ?? true;
    this.scaleInitializer = getInitializer(args.scaleInitializer ?? 'glorotUniform');
  }

  protected buildScores(dim: number): void {
    if (this.useScale) this.scale = this.addWeight('scale', [dim], this.scaleInitializer);
  }

  protected scores(query: Tensor, key: Tensor): Tensor {
    // [B, Tq, 1, D] + [B, 1, Tv, D] -> [B, Tq, Tv, D], reduced over D.
    let t = F.tanh(F.add(F.expandDims(query, 2), F.expandDims(key, 1)));
    if (this.scale) t = F.mul(t, this.scale.value);
    return F.sum(t, -1);
  }

  override getConfig(): LayerConfig {
    return { ...super.getConfig(), useScale: this.useScale, scaleInitializer: serializeInitializer(this.scaleInitializer) };
  }
}
registerLayer(AdditiveAttention);
