// Module: the model class users subclass (define-by-run) and Sequential extends. Adds the
// Keras training API to ModuleBase's structure: compile, fit, evaluate, predict, summary,
// save. fit/evaluate/predict run on a worker thread when the model, loss, metrics and
// optimizer can be rebuilt there from their configs, else in-process with a yield to the
// event loop after every batch (see README "Models and training").
import { noGrad } from '../autograd/tape.js';
import { writeModelFile } from '../io/file.js';
import type { Layer, Shape } from '../layers/layer.js';
import { formatShape } from '../tensor/format.js';
import { globalGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { Callback, type CustomCallbackArgs } from '../train/callbacks.js';
import type { History } from '../train/history.js';
import { getLoss, type Loss, type LossFunction } from '../train/losses.js';
import { getMetric, type Metric, type MetricFunction } from '../train/metrics.js';
import { getOptimizer, type Optimizer } from '../train/optimizers.js';
import { checkKeys } from './args.js';
import { BatchSync, createBatchSyncBuffer } from './batch-sync.js';
import { makeCallbacks } from './callbacks.js';
import {
  checkInputs,
  checkRows,
  classWeightsFor,
  fromData,
  range,
  sliceRows,
  subset,
  toData,
  type DataSet,
  type Inputs,
  type TensorData,
} from './data.js';
import { runEvaluate, runFit, runPredict, type Compiled, type FitPlan, type LoopHooks, type Logs } from './loop.js';
import { ModuleBase, type ForwardKwargs, type ModuleArgs, type SymbolicInput } from './module.js';
import type { DataSetData, EpochReply, FitEvent, ModelSpec, TrainedState } from './protocol.js';
import { printSummary, type SummaryRow } from './summary.js';
import { checkCheckpointable, modelArtifacts, optimizerStateOf, serializeModel, trainingSpecOf, unsupportedReason, warnMainThreadFit, type BuildInput } from './serialize.js';
import { WorkerHost, WorkerUnsupportedError } from './worker-host.js';

export interface ModelCompileArgs {
  /** An optimizer or its name ('adam', 'sgd', ...). */
  optimizer: string | Optimizer;
  /** A loss name ('meanSquaredError', 'binaryCrossentropy', ...), a Loss, or a function (trains in-process). */
  loss: string | Loss | LossFunction;
  /** Metric names ('accuracy', 'precision', ...), Metric objects or functions (these two train in-process). */
  metrics?: (string | Metric | MetricFunction)[];
}

const COMPILE_KEYS = ['optimizer', 'loss', 'metrics'] as const;

export interface ModelFitArgs {
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** 0 silent, 1 progress bar (one line per epoch when not a TTY), 2 one line per epoch. Default 1. */
  verbose?: 0 | 1 | 2;
  callbacks?: (Callback | CustomCallbackArgs)[] | Callback | CustomCallbackArgs;
  /** The last fraction of the rows (taken before shuffling, as Keras) held out for validation. */
  validationSplit?: number;
  /** [x, y] or [x, y, sampleWeight] to validate on at each epoch end; overrides validationSplit. */
  validationData?: [Inputs, Tensor] | [Inputs, Tensor, Tensor];
  /** Shuffle the training rows before each epoch (default true). */
  shuffle?: boolean;
  /** Weight per class (integer label, one-hot argmax, or 0/1 for one output). */
  classWeight?: Record<number, number>;
  /** Weight per row [N] (or per step [N, T]). */
  sampleWeight?: Tensor;
  /** The epoch to start at (resuming a run); epochs is the index to stop before, as Keras. */
  initialEpoch?: number;
  /** Truncated BPTT: cut each batch's time axis into windows of k steps (needs stateful recurrent layers). */
  truncatedBptt?: number;
  /** false trains on the calling thread (yielding between batches) even when a worker could. Default true. */
  useWorker?: boolean;
}

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'verbose',
  'callbacks',
  'validationSplit',
  'validationData',
  'shuffle',
  'classWeight',
  'sampleWeight',
  'initialEpoch',
  'truncatedBptt',
  'useWorker',
] as const;

export interface ModelEvaluateArgs {
  /** Default 32. */
  batchSize?: number;
  sampleWeight?: Tensor;
  useWorker?: boolean;
}

const EVALUATE_KEYS = ['batchSize', 'sampleWeight', 'useWorker'] as const;

export interface ModelPredictArgs {
  /** Default 32. */
  batchSize?: number;
  useWorker?: boolean;
}

const PREDICT_KEYS = ['batchSize', 'useWorker'] as const;

/** Whether a user callback has batch hooks (which may change the model between steps). */
function hasBatchHooks(c: Callback | CustomCallbackArgs): boolean {
  if (c instanceof Callback) return c.onBatchBegin !== Callback.prototype.onBatchBegin || c.onBatchEnd !== Callback.prototype.onBatchEnd;
  return c !== null && typeof c === 'object' && (c.onBatchBegin !== undefined || c.onBatchEnd !== undefined);
}

function sameValues(a: TensorData[], b: Tensor[]): boolean {
  return a.every((w, i) => {
    const mine = b[i]!.data;
    for (let j = 0; j < mine.length; j++) if (!Object.is(mine[j], w.data[j])) return false;
    return true;
  });
}

type MetricIdentifier = string | Metric | MetricFunction;

interface CompiledState extends Compiled {
  metricIdentifiers: MetricIdentifier[];
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `'${value}'`;
  return typeof value;
}

function positiveInt(op: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new RangeError(`${op}: ${name} must be a positive integer, got ${describe(v)}`);
  return v;
}

function dataOf(ds: DataSet): DataSetData {
  return { x: ds.x.map(toData), y: ds.y && toData(ds.y), sampleWeight: ds.sampleWeight && toData(ds.sampleWeight) };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Module extends ModuleBase {
  /** Set true (by a callback) to stop fit after the current batch; reset when fit starts. */
  private stopRequested = false;
  private stopFlag: Int32Array | null = null;
  private compiled: CompiledState | null = null;
  private fitting = false;
  private host: WorkerHost | null = null;
  /** The inputs (shape with batch 1, dtype) of the first call, to rebuild an unbuilt copy. */
  protected buildInputs: BuildInput[] | null = null;

  constructor(args: ModuleArgs = {}) {
    super(args);
  }

  get stopTraining(): boolean {
    return this.stopRequested;
  }

  set stopTraining(value: boolean) {
    this.stopRequested = value;
    if (this.stopFlag) Atomics.store(this.stopFlag, 0, value ? 1 : 0);
  }

  /** The compiled optimizer (callbacks change its learningRate). */
  get optimizer(): Optimizer {
    if (!this.compiled) throw new Error(`${this.name}: optimizer: the model is not compiled; call compile() first`);
    return this.compiled.optimizer;
  }

  /** Whether fit() is running on this model. */
  get isTraining(): boolean {
    return this.fitting;
  }

  override apply(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor | Tensor[] {
    if (this.buildInputs === null) {
      const list = Array.isArray(inputs) ? inputs : [inputs];
      if (list.every((t) => t instanceof Tensor && t.rank > 0)) {
        this.buildInputs = list.map((t) => ({ shape: [1, ...t.shape.slice(1)], dtype: t.dtype, array: Array.isArray(inputs) }));
      }
    }
    return super.apply(inputs, kwargs);
  }

  /** @internal Builds unbuilt layers by calling the model on inputs shaped as its first call's (zeros; int inputs ones). */
  buildFromInputs(inputs: BuildInput[]): void {
    this.buildInputs = inputs;
    const xs = inputs.map((b) => {
      const size = b.shape.reduce((a, c) => a * c, 1);
      return b.dtype === 'int32' ? new Tensor(new Int32Array(size).fill(1), b.shape, 'int32') : new Tensor(new Float32Array(size), b.shape);
    });
    noGrad(() => this.apply(inputs[0]?.array ? xs : xs[0]!, { training: false }));
    this.resetStates();
  }

  /** The config that rebuilds this model; Module subclasses registered with registerModel override it. */
  getConfig(): Record<string, unknown> {
    return { name: this.name };
  }

  /** Sets the loss, metrics and optimizer fit and evaluate use. */
  compile(args: ModelCompileArgs): void {
    const op = `${this.name}: compile`;
    if (args === null || typeof args !== 'object') throw new TypeError(`${op}: args must be an object, got ${describe(args)}`);
    checkKeys(op, args, COMPILE_KEYS);
    if (this.fitting) throw new Error(`${op}: the model is training; await fit() before compiling again`);
    if (args.optimizer === undefined) throw new TypeError(`${op}: args.optimizer is required (a name such as 'adam' or an Optimizer)`);
    if (args.loss === undefined) throw new TypeError(`${op}: args.loss is required (a name such as 'meanSquaredError', a Loss or a function)`);
    const metrics = args.metrics ?? [];
    if (!Array.isArray(metrics)) throw new TypeError(`${op}: args.metrics must be an array, got ${describe(metrics)}`);
    const loss = getLoss(args.loss);
    this.compiled = {
      loss,
      metrics: metrics.map((m) => getMetric(m, loss)),
      optimizer: getOptimizer(args.optimizer),
      metricIdentifiers: [...metrics],
    };
  }

  private requireCompiled(op: string): CompiledState {
    if (!this.compiled) throw new Error(`${this.name}: ${op}: the model is not compiled; call compile({optimizer, loss}) first`);
    return this.compiled;
  }

  /** Fresh metric objects (named metrics) so a worker-side or in-process run starts clean. */
  private freshCompiled(): Compiled {
    const c = this.requireCompiled('fit');
    return { loss: c.loss, optimizer: c.optimizer, metrics: c.metricIdentifiers.map((m) => getMetric(m, c.loss)) };
  }

  /** Builds the layers on main (weights are created here, the source of truth) before a worker copies them. */
  private ensureBuilt(xs: Tensor[]): void {
    if (this.layers.every((l) => l.built)) return;
    const first = xs.map((t) => sliceRows(t, 0, 1));
    noGrad(() => this.apply(xs.length === 1 ? first[0]! : first, { training: false }));
    this.resetStates();
  }

  /** Why this job cannot run on a worker, or null when it can. */
  private workerBlocker(useWorker: boolean | undefined, withTraining: boolean): string | null {
    if (useWorker === false) return 'useWorker: false';
    return unsupportedReason(this, withTraining ? this.compiled : null);
  }

  private modelSpec(): ModelSpec {
    return { config: JSON.stringify(serializeModel(this)), weights: this.getWeights().map(toData) };
  }

  private worker(): WorkerHost {
    this.host ??= new WorkerHost();
    return this.host;
  }

  /** Stops this model's worker thread (started by the first fit/evaluate/predict); a later call starts another. */
  async dispose(): Promise<void> {
    await this.host?.terminate();
    this.host = null;
  }

  private applyTrained(state: TrainedState): void {
    super.setWeights(state.weights.map(fromData));
    this.requireCompiled('fit').optimizer.setState(state.optimizerState);
  }

  /**
   * Trains the model (Keras's fit): epochs of shuffled batches, validation, callbacks.
   * Runs on the model's worker thread when it can (see README); resolves to the History.
   */
  async fit(x: Inputs, y: Tensor, args: ModelFitArgs = {}): Promise<History> {
    const op = `${this.name}: fit`;
    if (this.fitting) throw new Error(`${op}: this model is already training; await the running fit() before starting another`);
    this.fitting = true;
    try {
      return await this.fitNow(op, x, y, args);
    } finally {
      this.fitting = false;
      this.stopFlag = null;
    }
  }

  private async fitNow(op: string, x: Inputs, y: Tensor, args: ModelFitArgs): Promise<History> {
    if (args === null || typeof args !== 'object') throw new TypeError(`${op}: args must be an object, got ${describe(args)}`);
    checkKeys(op, args, FIT_KEYS);
    const compiled = this.requireCompiled('fit');
    const xs = this.checkX(op, 'x', x);
    const n = xs[0]!.shape[0]!;
    checkRows(op, 'y', y, n);
    const epochs = positiveInt(op, 'args.epochs', args.epochs, 1);
    const batchSize = positiveInt(op, 'args.batchSize', args.batchSize, 32);
    const initialEpoch = args.initialEpoch ?? 0;
    if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch >= epochs) {
      throw new RangeError(`${op}: args.initialEpoch must be an integer in [0, epochs = ${epochs}), got ${describe(args.initialEpoch)}`);
    }
    const verbose = args.verbose ?? 1;
    if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new RangeError(`${op}: args.verbose must be 0, 1 or 2, got ${describe(verbose)}`);
    const truncatedBptt = args.truncatedBptt === undefined ? null : positiveInt(op, 'args.truncatedBptt', args.truncatedBptt, 1);

    const sampleWeight: Tensor | null = args.sampleWeight === undefined ? null : checkRows(op, 'args.sampleWeight', args.sampleWeight, n);
    let classWeight: Record<number, number> | null = null;
    if (args.classWeight !== undefined) {
      if (args.classWeight === null || typeof args.classWeight !== 'object') throw new TypeError(`${op}: args.classWeight must be an object {class: weight}, got ${describe(args.classWeight)}`);
      // Checked on all of y now, so a missing class fails before training, not mid-epoch.
      classWeightsFor(op, y, args.classWeight);
      classWeight = { ...args.classWeight };
    }
    let train: DataSet = { x: xs, y, sampleWeight };
    let validation: DataSet | null = null;
    if (args.validationData !== undefined) {
      const vd = args.validationData;
      if (!Array.isArray(vd) || vd.length < 2 || vd.length > 3) throw new TypeError(`${op}: args.validationData must be [x, y] or [x, y, sampleWeight], got ${describe(vd)}`);
      const vx = this.checkX(op, 'args.validationData[0]', vd[0]);
      const vn = vx[0]!.shape[0]!;
      validation = { x: vx, y: checkRows(op, 'args.validationData[1]', vd[1], vn), sampleWeight: vd[2] === undefined ? null : checkRows(op, 'args.validationData[2]', vd[2], vn) };
    } else if (args.validationSplit !== undefined) {
      const split = args.validationSplit;
      if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new RangeError(`${op}: args.validationSplit must be a number in (0, 1), got ${describe(split)}`);
      const cut = Math.floor(n * (1 - split));
      if (cut === 0 || cut === n) throw new RangeError(`${op}: args.validationSplit ${split} of ${n} rows leaves an empty ${cut === 0 ? 'training' : 'validation'} set`);
      validation = subset(train, range(cut, n));
      train = subset(train, range(0, cut));
    }
    const trainRows = train.x[0]!.shape[0]!;
    if (trainRows === 0) throw new RangeError(`${op}: x must have at least one row, got 0`);
    const plan: FitPlan = {
      epochs,
      initialEpoch,
      batchSize,
      shuffle: args.shuffle ?? true,
      seed: globalGenerator().int(2 ** 31 - 1),
      truncatedBptt,
      classWeight,
      batchSync: null,
    };
    const userCallbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];

    this.ensureBuilt(xs);
    checkCheckpointable(op, this, args.callbacks);
    this.stopTraining = false;
    const { list, history } = makeCallbacks(this, args.callbacks, verbose, {
      epochs,
      initialEpoch,
      steps: Math.ceil(trainRows / batchSize),
      samples: trainRows,
      batchSize,
      verbose,
      doValidation: validation !== null,
      metrics: ['loss', ...compiled.metrics.map((m) => m.name)].flatMap((m) => (validation ? [m, `val_${m}`] : [m])),
    });
    await list.onTrainBegin({});
    const blocker = this.workerBlocker(args.useWorker, true);
    let ranOnWorker = false;
    let mainThreadReason = blocker;
    if (blocker === null) {
      try {
        const batchHooks = userCallbacks.some(hasBatchHooks);
        await this.fitOnWorker(train, validation, { ...plan, batchSync: batchHooks ? createBatchSyncBuffer(this) : null }, list);
        ranOnWorker = true;
      } catch (e) {
        if (!(e instanceof WorkerUnsupportedError)) throw e;
        mainThreadReason = e.message;
      }
    }
    if (!ranOnWorker) {
      if (args.useWorker !== false && mainThreadReason !== null) warnMainThreadFit(this, mainThreadReason);
      const hooks: LoopHooks = {
        epochBegin: (epoch) => list.onEpochBegin(epoch, {}),
        batchBegin: (batch, logs) => list.onBatchBegin(batch, logs),
        batchEnd: (batch, logs) => list.onBatchEnd(batch, logs),
        epochEnd: (epoch, logs) => list.onEpochEnd(epoch, logs),
        shouldStop: () => this.stopRequested,
      };
      const c = this.freshCompiled();
      await runFit(this, c, train, validation, plan, hooks, yieldToEventLoop);
    }
    await list.onTrainEnd({});
    return history;
  }

  private async fitOnWorker(train: DataSet, validation: DataSet | null, plan: FitPlan, list: Awaited<ReturnType<typeof makeCallbacks>>['list']): Promise<void> {
    const compiled = this.requireCompiled('fit');
    const stop = new SharedArrayBuffer(4);
    this.stopFlag = new Int32Array(stop);
    const sync = plan.batchSync && new BatchSync(plan.batchSync);
    sync?.init(this, compiled.optimizer);
    let queue: Promise<unknown> = Promise.resolve();
    let callbackError: unknown = null;
    const handle = async (event: FitEvent): Promise<EpochReply | void> => {
      if (callbackError !== null) {
        if (event.kind === 'batchBegin' || event.kind === 'batchEnd') sync?.release();
        return { stop: true };
      }
      switch (event.kind) {
        case 'epochBegin':
          return void (await list.onEpochBegin(event.epoch, {}));
        case 'batchBegin':
          await list.onBatchBegin(event.batch, event.logs);
          return void sync?.answer(this, compiled.optimizer);
        case 'batchEnd':
          // With batch sync the callbacks see this step's weights; else the last epoch's.
          sync?.receive(this);
          await list.onBatchEnd(event.batch, event.logs);
          return void sync?.answer(this, compiled.optimizer);
        case 'epochEnd': {
          this.applyTrained(event);
          const lr = compiled.optimizer.learningRate;
          await list.onEpochEnd(event.epoch, event.logs);
          const reply: EpochReply = { stop: this.stopRequested };
          const now = compiled.optimizer.learningRate;
          if (typeof now === 'number' && now !== lr) reply.learningRate = now;
          // Compared by value, so any way a callback wrote them (model or layer setWeights) counts.
          const weights = this.getWeights();
          if (!sameValues(event.weights, weights)) reply.weights = weights.map(toData);
          return reply;
        }
      }
    };
    // Callbacks run one event at a time, in the worker's order, even when they are async.
    const onEvent = (event: FitEvent): Promise<EpochReply | void> => {
      const done = queue.then(() => handle(event)).catch((e: unknown) => {
        callbackError ??= e;
        this.stopTraining = true;
        // The worker waits on batch events under batch sync: let it go on, to the stop flag.
        if (event.kind === 'batchBegin' || event.kind === 'batchEnd') sync?.release();
        return { stop: true };
      });
      queue = done;
      return done;
    };
    const spec = {
      kind: 'fit' as const,
      model: this.modelSpec(),
      training: trainingSpecOf(compiled),
      train: dataOf(train),
      validation: validation && dataOf(validation),
      plan,
      stopFlag: stop,
    };
    const result = (await this.worker().run(spec, onEvent)) as TrainedState;
    await queue;
    if (callbackError !== null) throw callbackError;
    this.applyTrained(result);
  }

  /** Loss and metrics on (x, y), as Keras's evaluate (returns the logs by name). */
  async evaluate(x: Inputs, y: Tensor, args: ModelEvaluateArgs = {}): Promise<Logs> {
    const op = `${this.name}: evaluate`;
    if (args === null || typeof args !== 'object') throw new TypeError(`${op}: args must be an object, got ${describe(args)}`);
    checkKeys(op, args, EVALUATE_KEYS);
    const compiled = this.requireCompiled('evaluate');
    const xs = this.checkX(op, 'x', x);
    const n = xs[0]!.shape[0]!;
    checkRows(op, 'y', y, n);
    if (n === 0) throw new RangeError(`${op}: x must have at least one row, got 0`);
    const batchSize = positiveInt(op, 'args.batchSize', args.batchSize, 32);
    const data: DataSet = { x: xs, y, sampleWeight: args.sampleWeight === undefined ? null : checkRows(op, 'args.sampleWeight', args.sampleWeight, n) };
    this.ensureBuilt(xs);
    // During fit the worker is busy and the main-thread copy holds the last epoch's weights.
    if (!this.fitting && this.workerBlocker(args.useWorker, true) === null) {
      try {
        const job = { kind: 'evaluate' as const, model: this.modelSpec(), training: trainingSpecOf(compiled), data: dataOf(data), batchSize };
        return (await this.worker().run(job)) as Logs;
      } catch (e) {
        if (!(e instanceof WorkerUnsupportedError)) throw e;
      }
    }
    return runEvaluate(this, this.freshCompiled(), data, batchSize, yieldToEventLoop);
  }

  /** The model's outputs for every row of x, computed in batches without recording. */
  async predict(x: Inputs, args: ModelPredictArgs = {}): Promise<Tensor | Tensor[]> {
    const op = `${this.name}: predict`;
    if (args === null || typeof args !== 'object') throw new TypeError(`${op}: args must be an object, got ${describe(args)}`);
    checkKeys(op, args, PREDICT_KEYS);
    const xs = this.checkX(op, 'x', x);
    if (xs[0]!.shape[0] === 0) throw new RangeError(`${op}: x must have at least one row, got 0`);
    const batchSize = positiveInt(op, 'args.batchSize', args.batchSize, 32);
    this.ensureBuilt(xs);
    if (!this.fitting && this.workerBlocker(args.useWorker, false) === null) {
      try {
        const out = (await this.worker().run({ kind: 'predict', model: this.modelSpec(), x: xs.map(toData), batchSize })) as TensorData | TensorData[];
        return Array.isArray(out) ? out.map(fromData) : fromData(out);
      } catch (e) {
        if (!(e instanceof WorkerUnsupportedError)) throw e;
      }
    }
    return runPredict(this, xs, batchSize, yieldToEventLoop);
  }

  /** The input shape the model declares (batch axis first, null for free axes), or null. */
  protected declaredInputShape(): Shape | null {
    return null;
  }

  /**
   * Checks x (the user's whole tensor, so errors show its shape, not a batch's) against the
   * declared input shape; the batch axis is free, as fit cuts batches of its own size.
   */
  private checkX(op: string, arg: string, x: Inputs): Tensor[] {
    const xs = checkInputs(op, arg, x);
    const declared = this.declaredInputShape();
    if (declared !== null) {
      if (xs.length !== 1) throw new TypeError(`${op}: ${arg} must be one tensor (the model has one input), got an array of ${xs.length}`);
      const t = xs[0]!;
      const free: Shape = [null, ...declared.slice(1)];
      if (t.rank !== free.length || !free.every((d, i) => d === null || d === t.shape[i])) {
        const pattern = free.map((d, i) => (d === null ? (i === 0 ? 'batch' : 'null') : String(d)));
        throw new RangeError(`${op}: ${arg} must be [${pattern.join(', ')}], got ${formatShape(t.shape)}`);
      }
    }
    return xs;
  }

  /**
   * The model's inputs as tfjs's model.inputs describes them (shape with null for free axes,
   * dtype): from the declared input shape, else from the first call; empty before either.
   */
  get inputs(): SymbolicInput[] {
    const declared = this.declaredInputShape();
    if (declared !== null) return [{ name: `${this.name}_input`, shape: [null, ...declared.slice(1)], dtype: 'float32' }];
    return (this.buildInputs ?? []).map((b, i, all) => ({
      name: all.length === 1 ? `${this.name}_input` : `${this.name}_input_${i + 1}`,
      shape: [null, ...b.shape.slice(1)],
      dtype: b.dtype,
    }));
  }

  /** A layer by name or by index in `layers` (tfjs's getLayer). */
  getLayer(nameOrIndex: string | number): Layer {
    const op = `${this.name}: getLayer`;
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= layers.length) {
        throw new RangeError(`${op}: index must be an integer in [0, ${layers.length}), got ${nameOrIndex}`);
      }
      return layers[nameOrIndex]!;
    }
    if (typeof nameOrIndex !== 'string') throw new TypeError(`${op}: nameOrIndex must be a layer name or an index, got ${describe(nameOrIndex)}`);
    const found = layers.find((l) => l.name === nameOrIndex);
    if (!found) throw new RangeError(`${op}: no layer named '${nameOrIndex}'; the layers are ${layers.map((l) => `'${l.name}'`).join(', ') || 'none'}`);
    return found;
  }

  /** The rows of the summary table: one per layer. */
  protected summaryRows(): SummaryRow[] {
    return this.layers.map((l) => ({ name: l.name, className: l.className, outputShape: 'multiple', params: l.built ? l.countParams() : 0 }));
  }

  /** Prints Keras's summary table (layer (type), output shape, param #, totals). */
  summary(lineLength?: number, positions?: number[], printFn: (line: string) => void = console.log): void {
    const unbuilt = this.layers.find((l) => !l.built);
    if (unbuilt) {
      throw new Error(`${this.name}: summary: the model is not built (${unbuilt.name} has no weights yet): call it once, fit it, or give the first layer inputShape`);
    }
    const rows = this.summaryRows();
    const trainable = this.trainableWeights.reduce((s, w) => s + w.value.size, 0);
    const total = this.weights.reduce((s, w) => s + w.value.size, 0);
    printSummary({ name: this.name, className: (this.constructor as typeof ModuleBase).className, rows, total, trainable }, { lineLength, positions, printFn });
  }

  /** Saves config, weights, training config and optimizer state to one file, atomically. */
  async save(path: string): Promise<void> {
    const unbuilt = this.layers.find((l) => !l.built);
    if (unbuilt) throw new Error(`${this.name}: save: the model is not built (${unbuilt.name} has no weights yet): call it once or fit it first`);
    await writeModelFile(path, modelArtifacts(this, this.compiled, this.compiled ? optimizerStateOf(this.compiled.optimizer) : null));
  }

  /** @internal The recorded first-call inputs (for serialization). */
  getBuildInputs(): BuildInput[] | null {
    return this.buildInputs;
  }

  /** @internal Restores compile state from a file's training config. */
  restoreCompiled(compiled: { loss: Loss; metrics: (string | Metric)[]; optimizer: Optimizer }): void {
    this.compiled = { loss: compiled.loss, optimizer: compiled.optimizer, metrics: compiled.metrics.map((m) => getMetric(m, compiled.loss)), metricIdentifiers: compiled.metrics };
  }

  /** @internal The compile state (for serialization). */
  getCompiled(): CompiledState | null {
    return this.compiled;
  }
}
