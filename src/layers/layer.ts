// The Layer base class, shaped as tfjs-layers' (name, build, apply, computeOutputShape,
// computeMask, weights, getConfig/fromConfig) but define-by-run: apply() runs at once and
// records on the autograd tape, so a layer is called on tensors, not symbolic inputs.
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';
import { checkConfigKeys } from './config-keys.js';
import { getInitializer, type InitializerIdentifier } from './initializers.js';
import { fromKerasLayout, toKerasLayout, type WeightsOptions } from './keras-layout.js';

/** A shape with the batch (and other free) axes as null, as tfjs's. */
export type Shape = (number | null)[];

/** The keyword arguments of apply(). */
export interface ApplyKwargs {
  /** Training mode: dropout is active only when true (default false, as tfjs). */
  training?: boolean;
  /** The input's mask ([batch, time], 1 = real step); defaults to the mask the layer that
   * produced the input attached to it (see getMask). Pass null to ignore that mask. */
  mask?: Tensor | Tensor[] | null;
  /** Recurrent layers: the initial state(s), as Keras's initial_state. */
  initialState?: Tensor[];
  /** Attention layers: also return the attention scores. */
  returnAttentionScores?: boolean;
}

/** The config keys every layer accepts (tfjs's LayerArgs). */
export interface LayerArgs {
  /** Unique by default: the snake-case class name and a counter, `lstm_1`. */
  name?: string;
  /** Whether the layer's weights are updated by training (default true). */
  trainable?: boolean;
  /** The input shape without the batch axis, for the first layer of a sequential model. */
  inputShape?: Shape;
  /** The input shape with the batch axis (fixed batch size: stateful RNNs). */
  batchInputShape?: Shape;
  /** With inputShape: the fixed batch size. */
  batchSize?: number;
  /** Only 'float32' weights exist; accepted for tfjs compatibility. */
  dtype?: 'float32';
  /** Initial weight values (tfjs's `weights`), as setWeights takes them. */
  weights?: Tensor[];
}

/** A weight of a layer: its value is a leaf tensor updated in place by optimizers. */
export class LayerVariable {
  /** `<layer name>/<weight name>`, as Keras's. */
  readonly name: string;
  readonly value: Tensor;
  private readonly declaredTrainable: boolean;
  private readonly owner: Layer;

  constructor(owner: Layer, name: string, value: Tensor, trainable: boolean) {
    this.owner = owner;
    this.name = `${owner.name}/${name}`;
    this.value = value;
    this.declaredTrainable = trainable;
    value.requireGrad(this.trainable);
  }

  /** Trainable when declared so and its layer is trainable. */
  get trainable(): boolean {
    return this.declaredTrainable && this.owner.trainable;
  }

  /** Re-reads the trainable flag into the value's requiresGrad. */
  sync(): void {
    this.value.requiresGrad = this.trainable;
  }
}

/** A serializable config: JSON values only. */
export type LayerConfig = Record<string, unknown>;

const nameCounters = new Map<string, number>();

/** `LSTM` -> `lstm`, `SimpleRNN` -> `simple_rnn`, `LayerNormalization` -> `layer_normalization`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

function uniqueName(className: string): string {
  const prefix = toSnakeCase(className);
  const n = (nameCounters.get(prefix) ?? 0) + 1;
  nameCounters.set(prefix, n);
  return `${prefix}_${n}`;
}

// The mask a layer attached to its output, as Keras's tensor._keras_mask: the next layer
// picks it up when apply() is not given one, so a masking embedding reaches the RNN.
const masks = new WeakMap<Tensor, Tensor>();

/** The mask attached to a layer's output, or null. */
export function getMask(t: Tensor): Tensor | null {
  return masks.get(t) ?? null;
}

/** Attaches (or with null, removes) a mask on a tensor. */
export function setMask(t: Tensor, mask: Tensor | null): void {
  if (mask) masks.set(t, mask);
  else masks.delete(t);
}

/**
 * Sees every layer call while loom.onnx's exporter traces a model (src/onnx/export/trace.ts):
 * it gets the call and `run`, which performs it, and returns run's outputs. Null otherwise.
 */
export type ApplyTraceHook = (layer: Layer, inputs: Tensor | Tensor[], kwargs: ApplyKwargs, run: () => Tensor | Tensor[]) => Tensor | Tensor[];

let applyTraceHook: ApplyTraceHook | null = null;

/** Installs (or with null, removes) the hook; returns the one it replaces. For the ONNX exporter only. */
export function setApplyTraceHook(next: ApplyTraceHook | null): ApplyTraceHook | null {
  const previous = applyTraceHook;
  applyTraceHook = next;
  return previous;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'object') return 'an object';
  return String(value);
}

function checkShapeArg(op: string, arg: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || !shape.every((d) => d === null || (Number.isInteger(d) && d >= 0))) {
    throw new TypeError(`${op}: ${arg} must be an array of non-negative integers or null, got ${JSON.stringify(shape)}`);
  }
  return [...(shape as Shape)];
}

export abstract class Layer {
  /** The registered class name (serialization key), as tfjs's/Keras's. */
  static className = 'Layer';
  /**
   * The config keys the class's ...Args interface takes, base classes' included (listed with
   * configKeys<Args>(), which the compiler holds to the interface). The constructor rejects
   * any other key, naming it. A subclass adding keys declares them; Layer itself declares
   * none (null), so a user layer written against it is checked once it declares its own.
   */
  static configKeys: readonly string[] | null = null;

  name: string;
  built = false;
  /** Whether this layer produces and consumes masks (passes its input mask through by default). */
  supportsMasking = false;
  /** Whether this layer (or one it wraps) carries recurrent state between calls. */
  stateful = false;
  /** The input shape with the batch axis, when given in the config. */
  readonly batchInputShape: Shape | null;
  private _trainable: boolean;
  private readonly ownWeights: LayerVariable[] = [];
  private initialWeights: Tensor[] | null;

  constructor(args: LayerArgs = {}) {
    const op = this.opName;
    if (args === null || typeof args !== 'object') throw new TypeError(`${op}: args must be an object, got ${describeValue(args)}`);
    const cls = new.target as typeof Layer;
    if (cls.configKeys) checkConfigKeys(cls.className, cls.configKeys, args);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`${op}: args.name must be a non-empty string, got ${describeValue(args.name)}`);
    }
    if (args.dtype !== undefined && args.dtype !== 'float32') {
      throw new TypeError(`${op}: args.dtype must be 'float32', got ${describeValue(args.dtype)}`);
    }
    this.name = args.name ?? uniqueName(this.className);
    this._trainable = args.trainable ?? true;
    if (args.batchInputShape !== undefined && args.batchInputShape !== null) {
      this.batchInputShape = checkShapeArg(op, 'args.batchInputShape', args.batchInputShape);
    } else if (args.inputShape !== undefined && args.inputShape !== null) {
      const batch = args.batchSize ?? null;
      if (batch !== null && !(Number.isInteger(batch) && batch > 0)) {
        throw new RangeError(`${op}: args.batchSize must be a positive integer, got ${describeValue(batch)}`);
      }
      this.batchInputShape = [batch, ...checkShapeArg(op, 'args.inputShape', args.inputShape)];
    } else {
      this.batchInputShape = null;
    }
    this.initialWeights = args.weights ?? null;
  }

  /** The registered class name of this instance. */
  get className(): string {
    return (this.constructor as typeof Layer).className;
  }

  /** The registered class name, as tfjs's getClassName(). */
  getClassName(): string {
    return this.className;
  }

  /** The prefix of this layer's error messages: its name. */
  protected get opName(): string {
    return this.name ?? toSnakeCase(this.className);
  }

  get trainable(): boolean {
    return this._trainable;
  }

  /** Freezing a layer freezes its sublayers, as Keras's. */
  set trainable(value: boolean) {
    this._trainable = value;
    for (const layer of this.sublayers()) layer.trainable = value;
    for (const w of this.ownWeights) w.sync();
  }

  /** Layers whose weights belong to this one (wrappers, RNN cells). */
  protected sublayers(): Layer[] {
    return [];
  }

  /** Creates the weights for inputs of this shape (batch axis included). */
  build(_inputShape: Shape | Shape[]): void {
    this.built = true;
  }

  /** Adds a weight made by an initializer; `shape` is the stored (loomrnn) shape. */
  protected addWeight(name: string, shape: number[], initializer: InitializerIdentifier, trainable = true): LayerVariable {
    const value = getInitializer(initializer).apply(shape);
    return this.addVariable(name, value, trainable);
  }

  /** Adds a weight with a given initial value (taken as is, not copied). */
  protected addVariable(name: string, value: Tensor, trainable = true): LayerVariable {
    const v = new LayerVariable(this, name, value, trainable);
    this.ownWeights.push(v);
    return v;
  }

  /** The layer's computation on already-checked inputs; subclasses implement it. */
  protected abstract call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[];

  /**
   * Runs the layer (building it on the first call) and records on the tape. Output masks
   * (computeMask) are attached to the outputs, so the next layer finds them.
   */
  apply(inputs: Tensor | Tensor[], kwargs: ApplyKwargs = {}): Tensor | Tensor[] {
    if (applyTraceHook === null) return this.applyNow(inputs, kwargs);
    return applyTraceHook(this, inputs, kwargs, () => this.applyNow(inputs, kwargs));
  }

  private applyNow(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[] {
    const op = this.name;
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (list.length === 0) throw new TypeError(`${op}: inputs must be a tensor or a non-empty array of tensors, got an empty array`);
    list.forEach((t, i) => {
      if (!(t instanceof Tensor)) {
        const what = Array.isArray(inputs) ? `inputs[${i}]` : 'inputs';
        throw new TypeError(`${op}: ${what} must be a Tensor, got ${describeValue(t)}`);
      }
    });
    if (kwargs === null || typeof kwargs !== 'object') {
      throw new TypeError(`${op}: kwargs must be an object, got ${describeValue(kwargs)}`);
    }
    let mask = kwargs.mask;
    if (mask === undefined) {
      const found = list.map((t) => getMask(t));
      mask = Array.isArray(inputs) ? (found.some((m) => m) ? (found as Tensor[]) : null) : found[0]!;
    }
    if (!this.built) {
      if (this.batchInputShape && !Array.isArray(inputs)) this.checkDeclaredShape(inputs);
      const shapes = list.map((t) => [...t.shape] as Shape);
      this.build(Array.isArray(inputs) ? shapes : shapes[0]!);
      this.built = true;
      if (this.initialWeights) {
        this.setWeights(this.initialWeights);
        this.initialWeights = null;
      }
    }
    const outputs = this.call(inputs, { ...kwargs, mask });
    const outMask = this.computeMask(inputs, mask ?? null);
    const outList = Array.isArray(outputs) ? outputs : [outputs];
    const maskList = Array.isArray(outMask) ? outMask : outList.map(() => outMask);
    outList.forEach((t, i) => setMask(t, maskList[i] ?? null));
    return outputs;
  }

  /** The declared input shape's axes for error messages: sizes, and names for free axes. */
  protected inputPattern(shape: Shape): (number | string)[] {
    return shape.map((d, i) => d ?? (i === 0 ? 'batch' : 'null'));
  }

  /** Checks an input against inputShape / batchInputShape before building from it (the batch
   * size is free here: only stateful layers hold to it, and check it themselves). */
  private checkDeclaredShape(x: Tensor): void {
    const declared = [null, ...this.batchInputShape!.slice(1)];
    const ok = x.rank === declared.length && declared.every((d, i) => d === null || d === x.shape[i]);
    if (!ok) throw new RangeError(`${this.name}: input must be [${this.inputPattern(declared).join(', ')}], got ${formatShape(x.shape)}`);
  }

  /** The output shape for an input shape, without running the layer. Default: unchanged. */
  computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] {
    return inputShape;
  }

  /** The output mask: the input mask when the layer supports masking, else null. */
  computeMask(_inputs: Tensor | Tensor[], mask: Tensor | Tensor[] | null): Tensor | Tensor[] | null {
    return this.supportsMasking ? mask : null;
  }

  /** All weights: trainable first, then non-trainable, as Keras's `weights`. */
  get weights(): LayerVariable[] {
    const all = [...this.ownWeights, ...this.sublayers().flatMap((l) => l.weights)];
    return [...all.filter((w) => w.trainable), ...all.filter((w) => !w.trainable)];
  }

  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }

  get nonTrainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => !w.trainable);
  }

  /** The trainable values, for an optimizer (as PyTorch's parameters()). */
  parameters(): Tensor[] {
    return this.trainableWeights.map((w) => w.value);
  }

  /** The number of weight values, trainable or not (Keras's count_params). */
  countParams(): number {
    if (!this.built) {
      throw new Error(`${this.name}: countParams needs the layer built: call it once or give it inputShape`);
    }
    return this.weights.reduce((n, w) => n + w.value.size, 0);
  }

  /** Copies of the weight values, in `weights` order; `{ layout: 'keras' }` gives them as
   * Keras stores them (recurrent kernels [in, G*units] in Keras's gate order). */
  getWeights(options?: WeightsOptions): Tensor[] {
    return toKerasLayout(`${this.name}: getWeights`, this.weights, copyWeights(this.weights), options);
  }

  /**
   * Overwrites the weights in place (in `weights` order), so optimizers keep their references.
   * They are in loomrnn's layout (recurrent weights as ONNX's), or with `{ layout: 'keras' }`
   * as Keras's get_weights() returns them, converted here.
   */
  setWeights(weights: Tensor[], options?: WeightsOptions): void {
    assignWeights(this.name, this.weights, fromKerasLayout(`${this.name}: setWeights`, this.weights, weights, options));
  }

  /** Stateful recurrent layers: zero (or set) the carried states; wrappers reset the
   * stateful layers they hold. A no-op elsewhere. */
  resetStates(_states?: Tensor[]): void {
    for (const layer of this.sublayers()) if (layer.stateful) layer.resetStates();
  }

  /** The config that rebuilds this layer (without weights), as tfjs's getConfig. */
  getConfig(): LayerConfig {
    const config: LayerConfig = { name: this.name, trainable: this.trainable, dtype: 'float32' };
    if (this.batchInputShape) config['batchInputShape'] = [...this.batchInputShape];
    return config;
  }

  /** A layer from its config: `LSTM.fromConfig(config)`, or tfjs's `fromConfig(cls, config)`. */
  static fromConfig<T extends Layer>(this: new (args: never) => T, config: LayerConfig): T;
  static fromConfig<T extends Layer>(cls: new (args: never) => T, config: LayerConfig): T;
  static fromConfig(this: unknown, clsOrConfig: unknown, config?: unknown): Layer {
    const self = this as typeof Layer;
    const op = `${typeof self?.className === 'string' ? self.className : 'Layer'}.fromConfig`;
    const twoArgs = typeof clsOrConfig === 'function';
    const cls = (twoArgs ? clsOrConfig : this) as typeof Layer;
    if (typeof cls !== 'function' || !(cls.prototype instanceof Layer)) {
      throw new TypeError(`${op}: cls must be a Layer subclass, got ${describeValue(cls)}`);
    }
    const given = twoArgs ? config : clsOrConfig;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new TypeError(`${op}: config must be an object, got ${describeValue(given)}`);
    }
    return new (cls as unknown as new (args: object) => Layer)(cls.configToArgs(given as LayerConfig));
  }

  /** The constructor args a config stands for; wrappers rebuild the layers it serializes. */
  protected static configToArgs(config: LayerConfig): object {
    return config;
  }

  toString(): string {
    return `${this.className}(${this.name})`;
  }
}

/** Checks an input's rank and fixed sizes; `pattern` entries: a size, or a name for a free axis. */
export function checkInput(layer: string, x: Tensor, pattern: (number | string)[], what = 'input'): void {
  const ok = x.shape.length === pattern.length && pattern.every((p, i) => typeof p === 'string' || p === x.shape[i]);
  if (!ok) {
    throw new RangeError(`${layer}: ${what} must be [${pattern.join(', ')}], got ${formatShape(x.shape)}`);
  }
}

/** Checks a float32 input. */
export function checkFloat(layer: string, x: Tensor, what = 'input'): void {
  if (x.dtype !== 'float32') throw new TypeError(`${layer}: ${what} must be float32, got ${x.dtype} ${formatShape(x.shape)}`);
}

/** Reads one tensor from apply()'s inputs, or throws naming the layer. */
export function single(layer: string, inputs: Tensor | Tensor[]): Tensor {
  if (Array.isArray(inputs)) {
    if (inputs.length !== 1) throw new TypeError(`${layer}: expects one input tensor, got an array of ${inputs.length}`);
    return inputs[0]!;
  }
  return inputs;
}

/** Reads one mask from apply()'s mask argument. */
export function singleMask(mask: Tensor | Tensor[] | null | undefined): Tensor | null {
  if (!mask) return null;
  return Array.isArray(mask) ? (mask[0] ?? null) : mask;
}

/** Copies of the variables' values, in order. */
export function copyWeights(variables: readonly LayerVariable[]): Tensor[] {
  return variables.map((w) => new Tensor(Float32Array.from(w.value.data as Float32Array), w.value.shape));
}

/**
 * Writes `weights` into the variables in place (so optimizers keep their references),
 * after checking every one: nothing is written when any is wrong.
 */
export function assignWeights(owner: string, variables: readonly LayerVariable[], weights: Tensor[]): void {
  const op = `${owner}: setWeights`;
  if (!Array.isArray(weights) || weights.length !== variables.length) {
    throw new RangeError(`${op}: weights must be an array of ${variables.length} tensors, got ${describeValue(weights)}`);
  }
  weights.forEach((w, i) => {
    const target = variables[i]!;
    if (!(w instanceof Tensor) || w.dtype !== 'float32' || formatShape(w.shape) !== formatShape(target.value.shape)) {
      throw new RangeError(`${op}: weights[${i}] (${target.name}) must be a float32 tensor ${formatShape(target.value.shape)}, got ${describeValue(w)}`);
    }
  });
  weights.forEach((w, i) => {
    const value = variables[i]!.value;
    (value.data as Float32Array).set(w.data as Float32Array);
    value.markModified();
  });
}
