// The training, evaluation and prediction loops. The same code runs on a worker thread
// (worker.ts drives it and forwards its events to the main thread) and, for models that
// cannot be rebuilt from a config there, in-process (model.ts drives it and yields to the
// event loop between batches). The loops know nothing of callbacks: they report through
// LoopHooks and ask shouldStop() before each batch.
import { noGrad } from '../autograd/tape.js';
import { getMask } from '../layers/layer.js';
import type { Loss } from '../train/losses.js';
import type { Metric } from '../train/metrics.js';
import type { Optimizer } from '../train/optimizers.js';
import { Generator, globalGenerator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';
import { BatchSync } from './batch-sync.js';
import { batches, classWeightsFor, concatRows, permutation, range, rowCount, sliceTime, subset, type DataSet } from './data.js';
import type { ModuleBase } from './module.js';

export type Logs = Record<string, number>;

/** What a compiled model trains with. */
export interface Compiled {
  loss: Loss;
  metrics: Metric[];
  optimizer: Optimizer;
}

/** The fit options the loop needs, already checked and resolved. */
export interface FitPlan {
  epochs: number;
  initialEpoch: number;
  batchSize: number;
  shuffle: boolean;
  /**
   * Seeds the shuffling and, for the run, the global generator (dropout without a seed of
   * its own), so a seeded program gives the same result on a worker and in-process.
   */
  seed: number;
  truncatedBptt: number | null;
  /** Keras's classWeight: weighs the loss (not the metrics) by each row's class. */
  classWeight: Record<number, number> | null;
  /**
   * Set when fit runs on a worker and a callback has batch hooks: the shared memory through
   * which each batch waits for the main thread's callbacks (see batch-sync.ts).
   */
  batchSync: SharedArrayBuffer | null;
}

export interface LoopHooks {
  epochBegin(epoch: number): Promise<void> | void;
  batchBegin(batch: number, logs: Logs): Promise<void> | void;
  batchEnd(batch: number, logs: Logs): Promise<void> | void;
  /** Called with the epoch's logs (validation included); may change the model, optimizer or stop flag. */
  epochEnd(epoch: number, logs: Logs): Promise<void> | void;
  /** Checked before each batch and after each epoch. */
  shouldStop(): boolean;
}

const NON_FINITE = /^fit: (.*) at epoch (\d+), batch (\d+) \(the step was not applied/;

/** Thrown for a non-finite loss or gradient; the weights are those before the batch. */
export class NonFiniteLossError extends Error {
  /** 0-based, as callbacks number epochs (the message counts from 1, as Keras's log). */
  readonly epoch: number;
  readonly batch: number;

  constructor(what: string, epoch: number, batch: number) {
    super(`fit: ${what} at epoch ${epoch + 1}, batch ${batch} (the step was not applied; the weights are those before this batch)`);
    this.name = 'NonFiniteLossError';
    this.epoch = epoch;
    this.batch = batch;
  }

  /** Rebuilds the error from its message (what crosses from a worker thread), or null if it is not one. */
  static fromMessage(message: string): NonFiniteLossError | null {
    const m = NON_FINITE.exec(message);
    return m ? new NonFiniteLossError(m[1]!, Number(m[2]) - 1, Number(m[3])) : null;
  }
}

/**
 * Shows an error's string `code` in its stack header as Node prints its own
 * (`LoomError [EINVAL]: ...`). Only name, message and stack cross from a worker thread, so
 * this is how the code reaches the main thread, which reads it back (codeFromStack).
 */
function withCodeInStack(e: unknown): unknown {
  const code = (e as { code?: unknown } | null)?.code;
  if (!(e instanceof Error) || typeof code !== 'string' || !e.stack) return e;
  const head = `${e.name}: `;
  if (e.stack.startsWith(head)) e.stack = `${e.name} [${code}]: ${e.stack.slice(head.length)}`;
  return e;
}

/** The code withCodeInStack put in a stack header, or null. */
export function codeFromStack(stack: string | undefined): string | null {
  return (stack && /^\w+ \[([A-Za-z0-9_]+)\]: /.exec(stack)?.[1]) || null;
}

async function codedErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw withCodeInStack(e);
  }
}

function single(op: string, out: Tensor | Tensor[]): Tensor {
  if (Array.isArray(out)) {
    if (out.length !== 1) throw new TypeError(`${op}: the model must return one tensor to compute a loss, got an array of ${out.length}`);
    return out[0]!;
  }
  return out;
}

function inputsOf(xs: Tensor[]): Tensor | Tensor[] {
  return xs.length === 1 ? xs[0]! : xs;
}

// Metrics see padded steps as weight 0, as Keras feeds an output's mask into its metrics.
function metricWeight(pred: Tensor, sampleWeight: Tensor | null): Tensor | undefined {
  const mask = getMask(pred);
  if (!mask) return sampleWeight ?? undefined;
  const m = Float32Array.from(mask.data as ArrayLike<number>, (v) => (v ? 1 : 0));
  if (sampleWeight) {
    const repeat = m.length / sampleWeight.size;
    for (let i = 0; i < m.length; i++) m[i]! *= sampleWeight.data[Math.floor(i / repeat)]!;
  }
  return new Tensor(m, mask.shape);
}

function allFinite(params: Tensor[]): boolean {
  for (const p of params) {
    const g = p.grad?.data;
    if (!g) continue;
    for (let i = 0; i < g.length; i++) if (!Number.isFinite(g[i]!)) return false;
  }
  return true;
}

interface Where {
  epoch: number;
  batch: number;
  classWeight: Record<number, number> | null;
}

interface StepResult {
  loss: number;
  /** Rows (or steps, for per-step targets) the loss averaged over, for the epoch mean. */
  weight: number;
}

/** sampleWeight (per row or per step) times the per-row class weights, for the loss. */
function weightsForLoss(sw: Tensor | null, y: Tensor, classWeight: Record<number, number> | null): Tensor | null {
  if (!classWeight) return sw;
  const cw = classWeightsFor('fit', y, classWeight);
  if (!sw) return new Tensor(cw, [cw.length]);
  const repeat = sw.size / cw.length;
  return new Tensor(Float32Array.from(sw.data, (v, i) => v * cw[Math.floor(i / repeat)]!), sw.shape);
}

/** One optimizer step on one batch: forward, loss, backward, step, metrics. */
function trainStep(model: ModuleBase, compiled: Compiled, x: Tensor[], y: Tensor, sw: Tensor | null, where: Where): number {
  const params = model.parameters();
  compiled.optimizer.zeroGrad(params);
  const pred = single('fit', model.apply(inputsOf(x), { training: true }));
  const mask = getMask(pred);
  const lw = weightsForLoss(sw, y, where.classWeight);
  const loss = compiled.loss.call(y, pred, { ...(lw ? { sampleWeight: lw } : {}), ...(mask ? { mask } : {}) });
  const value = loss.item();
  if (!Number.isFinite(value)) throw new NonFiniteLossError(`the loss is ${value}`, where.epoch, where.batch);
  loss.backward();
  if (!allFinite(params)) throw new NonFiniteLossError('a gradient is not finite', where.epoch, where.batch);
  compiled.optimizer.step(params);
  noGrad(() => {
    const p = pred.detach();
    const w = metricWeight(pred, sw);
    for (const m of compiled.metrics) m.update(y, p, w);
  });
  return value;
}

/**
 * Truncated BPTT over one batch: the time axis is cut into windows of k steps, each a
 * forward/backward/step of its own, with stateful recurrent layers carrying the state
 * (cut from the graph) from one window to the next. Per-step targets ([B, T, ...]) are
 * cut the same way; a per-sequence target is fitted on the last window only, the
 * earlier ones just advancing the state.
 */
function truncatedStep(model: ModuleBase, compiled: Compiled, x: Tensor[], y: Tensor, sw: Tensor | null, k: number, where: Where): StepResult {
  const steps = x[0]!.shape[1]!;
  x.forEach((t, i) => {
    if (t.rank < 2 || t.shape[1] !== steps) {
      throw new RangeError(`fit: truncatedBptt needs every input shaped [batch, time, ...] with the same time, got x[${i}] ${JSON.stringify(t.shape)}`);
    }
  });
  const perStep = y.rank >= 2 && y.shape[1] === steps;
  model.resetStates();
  let total = 0;
  let weight = 0;
  for (let s = 0; s < steps; s += k) {
    const e = Math.min(s + k, steps);
    const xw = x.map((t) => sliceTime(t, s, e));
    if (perStep) {
      const sww = sw && sw.rank >= 2 && sw.shape[1] === steps ? sliceTime(sw, s, e) : sw;
      total += trainStep(model, compiled, xw, sliceTime(y, s, e), sww, where) * (e - s);
      weight += e - s;
    } else if (e < steps) {
      noGrad(() => model.apply(inputsOf(xw), { training: true }));
    } else {
      total += trainStep(model, compiled, xw, y, sw, where);
      weight = 1;
    }
  }
  return { loss: total / weight, weight };
}

function metricLogs(metrics: Metric[], prefix = ''): Logs {
  const logs: Logs = {};
  for (const m of metrics) logs[prefix + m.name] = m.result();
  return logs;
}

/** Runs the epochs of fit; returns when done, stopped, or throws. */
export async function runFit(model: ModuleBase, compiled: Compiled, train: DataSet, validation: DataSet | null, plan: FitPlan, hooks: LoopHooks, yieldEvery?: () => Promise<void>): Promise<void> {
  if (!train.y) throw new TypeError('fit: y is required');
  if (plan.truncatedBptt !== null && model.statefulLayers().length === 0) {
    throw new RangeError(`fit: truncatedBptt (${plan.truncatedBptt}) carries state between windows, so the model needs a recurrent layer with stateful: true; got none`);
  }
  const generator = new Generator(plan.seed);
  // The global generator is seeded from the run's seed (and restored after), so unseeded
  // dropout draws the same masks whichever thread trains.
  const global = globalGenerator();
  const saved = global.getState();
  global.setState(generator.fork().getState());
  try {
    await codedErrors(() => epochs(model, compiled, train, validation, plan, hooks, generator, yieldEvery));
  } finally {
    global.setState(saved);
  }
}

async function epochs(model: ModuleBase, compiled: Compiled, train: DataSet, validation: DataSet | null, plan: FitPlan, hooks: LoopHooks, generator: Generator, yieldEvery?: () => Promise<void>): Promise<void> {
  const sync = plan.batchSync && new BatchSync(plan.batchSync);
  const n = rowCount(train);
  for (let epoch = plan.initialEpoch; epoch < plan.epochs; epoch++) {
    await hooks.epochBegin(epoch);
    for (const m of compiled.metrics) m.reset();
    const order = plan.shuffle ? permutation(n, generator) : range(0, n);
    let lossSum = 0;
    let lossWeight = 0;
    let batch = 0;
    for (const rows of batches(order, plan.batchSize)) {
      if (hooks.shouldStop()) break;
      await hooks.batchBegin(batch, { batch, size: rows.length });
      sync?.awaitMain(model, compiled.optimizer);
      const b = subset(train, rows);
      const where = { epoch, batch, classWeight: plan.classWeight };
      const step = plan.truncatedBptt !== null
        ? truncatedStep(model, compiled, b.x, b.y!, b.sampleWeight, plan.truncatedBptt, where)
        : { loss: trainStep(model, compiled, b.x, b.y!, b.sampleWeight, where), weight: 1 };
      lossSum += step.loss * rows.length;
      lossWeight += rows.length;
      sync?.publish(model);
      // Running means over the epoch so far, as Keras's batch logs and progress bar show.
      await hooks.batchEnd(batch, { batch, size: rows.length, loss: lossSum / lossWeight, ...metricLogs(compiled.metrics) });
      sync?.awaitMain(model, compiled.optimizer);
      batch++;
      if (yieldEvery) await yieldEvery();
    }
    const logs: Logs = { loss: lossWeight > 0 ? lossSum / lossWeight : NaN, ...metricLogs(compiled.metrics) };
    if (validation) {
      const v = await evaluate(model, compiled, validation, plan.batchSize, yieldEvery);
      for (const [k, value] of Object.entries(v)) logs[`val_${k}`] = value;
    }
    await hooks.epochEnd(epoch, logs);
    if (hooks.shouldStop()) break;
  }
}

/** Loss (mean over rows) and metrics of the model on a data set, without training. */
export function runEvaluate(model: ModuleBase, compiled: Compiled, data: DataSet, batchSize: number, yieldEvery?: () => Promise<void>): Promise<Logs> {
  return codedErrors(() => evaluate(model, compiled, data, batchSize, yieldEvery));
}

async function evaluate(model: ModuleBase, compiled: Compiled, data: DataSet, batchSize: number, yieldEvery?: () => Promise<void>): Promise<Logs> {
  for (const m of compiled.metrics) m.reset();
  const n = rowCount(data);
  let lossSum = 0;
  for (const rows of batches(range(0, n), batchSize)) {
    const b = subset(data, rows);
    noGrad(() => {
      const pred = single('evaluate', model.apply(inputsOf(b.x), { training: false }));
      const mask = getMask(pred);
      const loss = compiled.loss.call(b.y!, pred, { ...(b.sampleWeight ? { sampleWeight: b.sampleWeight } : {}), ...(mask ? { mask } : {}) });
      lossSum += loss.item() * rows.length;
      const w = metricWeight(pred, b.sampleWeight);
      for (const m of compiled.metrics) m.update(b.y!, pred, w);
    });
    if (yieldEvery) await yieldEvery();
  }
  return { loss: lossSum / n, ...metricLogs(compiled.metrics) };
}

/** The model's outputs for every row, computed in batches. */
export function runPredict(model: ModuleBase, x: Tensor[], batchSize: number, yieldEvery?: () => Promise<void>): Promise<Tensor | Tensor[]> {
  return codedErrors(() => predict(model, x, batchSize, yieldEvery));
}

async function predict(model: ModuleBase, x: Tensor[], batchSize: number, yieldEvery?: () => Promise<void>): Promise<Tensor | Tensor[]> {
  const n = x[0]!.shape[0]!;
  const parts: Tensor[][] = [];
  let multi = false;
  for (const rows of batches(range(0, n), batchSize)) {
    const xb = x.map((t) => subset({ x: [t], y: null, sampleWeight: null }, rows).x[0]!);
    const out = noGrad(() => model.apply(inputsOf(xb), { training: false }));
    multi = Array.isArray(out);
    parts.push(Array.isArray(out) ? out : [out]);
    if (yieldEvery) await yieldEvery();
  }
  if (parts.length === 0) throw new RangeError('predict: x must have at least one row, got 0');
  const outputs = parts[0]!.map((_, i) => concatRows(parts.map((p) => p[i]!)));
  return multi ? outputs : outputs[0]!;
}
