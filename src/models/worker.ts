// The worker thread's side (see protocol.ts): rebuilds the model from its config and
// weights, runs one job at a time with the same loops as in-process training, and streams
// fit's events back; at each epoch end it waits for the main thread's callbacks to answer.
import { parentPort } from 'node:worker_threads';
// The whole library: every built-in layer, loss, metric and optimizer registers itself.
import '../index.js';
import { getMetric } from '../train/metrics.js';
import { fromData, toData, type DataSet } from './data.js';
import { runEvaluate, runFit, runPredict, type Compiled, type LoopHooks } from './loop.js';
import type { Module } from './model.js';
import type { DataSetData, EpochReply, FitEvent, FromWorker, Job, ModelSpec, ToWorker, TrainedState, TrainingSpec, WireError } from './protocol.js';
import { compiledFromSpec, deserializeModel, type SerializedModel } from './serialize.js';

const port = parentPort!;
let cached: { config: string; model: Module } | null = null;
const waiting = new Map<number, (reply: EpochReply) => void>();
let queue: Promise<void> = Promise.resolve();

class Unsupported extends Error {}

function post(msg: FromWorker, transfer: ArrayBuffer[] = []): void {
  port.postMessage(msg, transfer);
}

function modelFor(spec: ModelSpec): Module {
  if (cached?.config !== spec.config) {
    try {
      cached = { config: spec.config, model: deserializeModel(JSON.parse(spec.config) as SerializedModel) };
    } catch (e) {
      throw new Unsupported(`the worker thread, which knows only loomrnn's own classes, cannot rebuild the model (${(e as Error).message})`);
    }
  }
  cached.model.setWeights(spec.weights.map(fromData));
  cached.model.resetStates();
  return cached.model;
}

function compiledFor(spec: TrainingSpec): Compiled {
  const c = compiledFromSpec(spec);
  c.optimizer.setState(spec.optimizerState);
  return { loss: c.loss, optimizer: c.optimizer, metrics: c.metrics.map((m) => getMetric(m, c.loss)) };
}

function dataSet(d: DataSetData): DataSet {
  return { x: d.x.map(fromData), y: d.y && fromData(d.y), sampleWeight: d.sampleWeight && fromData(d.sampleWeight) };
}

/** The weights (their buffers transferred, not copied) and optimizer state to send back. */
function trained(model: Module, compiled: Compiled): { value: TrainedState; transfer: ArrayBuffer[] } {
  const weights = model.getWeights().map(toData);
  const optimizerState = compiled.optimizer.getState();
  const transfer = weights.map((w) => w.data.buffer as ArrayBuffer);
  return { value: { weights, optimizerState }, transfer };
}

async function fit(id: number, job: Extract<Job, { kind: 'fit' }>): Promise<{ value: TrainedState; transfer: ArrayBuffer[] }> {
  const model = modelFor(job.model);
  const compiled = compiledFor(job.training);
  const flag = new Int32Array(job.stopFlag);
  let stop = false;
  const event = (e: FitEvent, transfer: ArrayBuffer[] = []) => post({ type: 'event', id, event: e }, transfer);
  const hooks: LoopHooks = {
    epochBegin: (epoch) => event({ kind: 'epochBegin', epoch }),
    batchBegin: (batch, logs) => event({ kind: 'batchBegin', batch, logs }),
    batchEnd: (batch, logs) => event({ kind: 'batchEnd', batch, logs }),
    epochEnd: async (epoch, logs) => {
      const reply = new Promise<EpochReply>((resolve) => waiting.set(id, resolve));
      const { value, transfer } = trained(model, compiled);
      event({ kind: 'epochEnd', epoch, logs, ...value }, transfer);
      const r = await reply;
      if (r.weights) model.setWeights(r.weights.map(fromData));
      if (r.learningRate !== undefined) compiled.optimizer.learningRate = r.learningRate;
      if (r.stop) stop = true;
    },
    shouldStop: () => stop || Atomics.load(flag, 0) === 1,
  };
  await runFit(model, compiled, dataSet(job.train), job.validation && dataSet(job.validation), job.plan, hooks);
  return trained(model, compiled);
}

async function run(id: number, job: Job): Promise<void> {
  try {
    let value: unknown;
    let transfer: ArrayBuffer[] = [];
    if (job.kind === 'fit') {
      ({ value, transfer } = await fit(id, job));
    } else if (job.kind === 'evaluate') {
      value = await runEvaluate(modelFor(job.model), compiledFor(job.training), dataSet(job.data), job.batchSize);
    } else {
      const out = await runPredict(modelFor(job.model), job.x.map(fromData), job.batchSize);
      value = Array.isArray(out) ? out.map(toData) : toData(out);
    }
    post({ type: 'result', id, value }, transfer);
  } catch (e) {
    const err = e as Error;
    const error: WireError = { name: err.name ?? 'Error', message: err.message ?? String(e), ...(err.stack ? { stack: err.stack } : {}) };
    if (e instanceof Unsupported) error.unsupported = true;
    post({ type: 'error', id, error });
  }
}

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'reply') {
    const resolve = waiting.get(msg.id);
    waiting.delete(msg.id);
    resolve?.(msg.reply);
    return;
  }
  // One job at a time: jobs share the cached model.
  queue = queue.then(() => run(msg.id, msg.job));
});
