// The callback protocol with Keras semantics. Every hook may be async; CallbackList awaits
// each in turn, so a callback that saves a checkpoint finishes before the next epoch starts.
import type { Tensor } from '../tensor/tensor.js';
import { argsObject, describe } from './args.js';
import type { Optimizer } from './optimizer.js';

/** Numbers logged per batch or epoch: 'loss', metric names, their 'val_' forms, ... */
export type Logs = Record<string, number>;

/** What a callback may do to the model being trained. */
export interface TrainingModel {
  /** Set to true to end fit() after the current epoch. */
  stopTraining: boolean;
  getWeights(): Tensor[];
  setWeights(weights: Tensor[]): void;
  optimizer: Optimizer;
  save(path: string): Promise<void>;
}

/** What fit() tells callbacks before training (Keras's `params`). */
export interface TrainingParams {
  epochs: number;
  /** Batches per epoch, when known. */
  steps?: number | null;
  /** Samples per epoch, when known. */
  samples?: number | null;
  batchSize?: number | null;
  initialEpoch?: number;
  verbose?: 0 | 1 | 2;
  /** Names logged at epoch end (e.g. ['loss', 'acc', 'val_loss', 'val_acc']). */
  metrics?: string[];
  [key: string]: unknown;
}

type Hook = void | Promise<void>;

export class Callback {
  model: TrainingModel | null = null;
  params: TrainingParams | null = null;

  setModel(model: TrainingModel): void {
    this.model = model;
  }
  setParams(params: TrainingParams): void {
    this.params = params;
  }
  onTrainBegin(_logs?: Logs): Hook {}
  onTrainEnd(_logs?: Logs): Hook {}
  onEpochBegin(_epoch: number, _logs?: Logs): Hook {}
  onEpochEnd(_epoch: number, _logs?: Logs): Hook {}
  onBatchBegin(_batch: number, _logs?: Logs): Hook {}
  onBatchEnd(_batch: number, _logs?: Logs): Hook {}

  /** The model, or an error naming the callback when fit() has not set one. */
  protected requireModel(fn: string): TrainingModel {
    if (!this.model) throw new Error(`${fn}: no model: the callback must be passed to fit() (or given one with setModel)`);
    return this.model;
  }
}

/** tfjs's CustomCallbackArgs: any of the hooks as plain functions. */
export interface CustomCallbackArgs {
  onTrainBegin?: (logs?: Logs) => Hook;
  onTrainEnd?: (logs?: Logs) => Hook;
  onEpochBegin?: (epoch: number, logs?: Logs) => Hook;
  onEpochEnd?: (epoch: number, logs?: Logs) => Hook;
  onBatchBegin?: (batch: number, logs?: Logs) => Hook;
  onBatchEnd?: (batch: number, logs?: Logs) => Hook;
}

const HOOKS = ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd'] as const;

export class CustomCallback extends Callback {
  constructor(private readonly args: CustomCallbackArgs) {
    super();
    const a = argsObject('customCallback', args);
    for (const key of Object.keys(a)) {
      if (!(HOOKS as readonly string[]).includes(key)) throw new RangeError(`customCallback: unknown hook '${key}'; known: ${HOOKS.join(', ')}`);
      const hook = (a as Record<string, unknown>)[key];
      if (hook !== undefined && typeof hook !== 'function') throw new TypeError(`customCallback: ${key} must be a function, got ${describe(hook)}`);
    }
  }
  override onTrainBegin(logs?: Logs): Hook {
    return this.args.onTrainBegin?.(logs);
  }
  override onTrainEnd(logs?: Logs): Hook {
    return this.args.onTrainEnd?.(logs);
  }
  override onEpochBegin(epoch: number, logs?: Logs): Hook {
    return this.args.onEpochBegin?.(epoch, logs);
  }
  override onEpochEnd(epoch: number, logs?: Logs): Hook {
    return this.args.onEpochEnd?.(epoch, logs);
  }
  override onBatchBegin(batch: number, logs?: Logs): Hook {
    return this.args.onBatchBegin?.(batch, logs);
  }
  override onBatchEnd(batch: number, logs?: Logs): Hook {
    return this.args.onBatchEnd?.(batch, logs);
  }
}

/** A Callback as is; a plain object of hooks wrapped as a CustomCallback. */
export function toCallback(c: Callback | CustomCallbackArgs, index = 0): Callback {
  if (c instanceof Callback) return c;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) {
    throw new TypeError(`callbacks[${index}] must be a Callback or an object of hooks (onEpochEnd, ...), got ${describe(c)}`);
  }
  return new CustomCallback(c);
}

/** Runs a list of callbacks in order, awaiting each hook. */
export class CallbackList {
  readonly callbacks: Callback[];

  constructor(callbacks: readonly (Callback | CustomCallbackArgs)[] = [], options: { model?: TrainingModel; params?: TrainingParams } = {}) {
    if (!Array.isArray(callbacks)) throw new TypeError(`CallbackList: callbacks must be an array, got ${describe(callbacks)}`);
    this.callbacks = callbacks.map(toCallback);
    if (options.model) this.setModel(options.model);
    if (options.params) this.setParams(options.params);
  }

  append(callback: Callback | CustomCallbackArgs): void {
    this.callbacks.push(toCallback(callback, this.callbacks.length));
  }
  setModel(model: TrainingModel): void {
    for (const c of this.callbacks) c.setModel(model);
  }
  setParams(params: TrainingParams): void {
    for (const c of this.callbacks) c.setParams(params);
  }
  async onTrainBegin(logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin(logs);
  }
  async onTrainEnd(logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd(logs);
  }
  async onEpochBegin(epoch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin(epoch, logs);
  }
  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd(epoch, logs);
  }
  async onBatchBegin(batch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin(batch, logs);
  }
  async onBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd(batch, logs);
  }
}
