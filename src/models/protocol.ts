// The messages between a model on the main thread and its worker thread.
//
// main -> worker:  { type: 'run', id, job }            a fit / evaluate / predict job
//                  { type: 'reply', id, reply }         the answer to an epochEnd event
// worker -> main:  { type: 'event', id, event }        fit progress; epochEnd waits for a reply
//                  { type: 'result', id, value }       the job's result
//                  { type: 'error', id, error }        the job failed (the worker lives on)
//
// Every job carries the model (config + weights) and, for fit/evaluate, the training
// config, so the worker never holds state the main thread does not also have: the main
// thread's model is the source of truth, updated by the worker at each epoch end.
// Stopping at a batch boundary does not wait for a message: the main thread sets a flag in
// a SharedArrayBuffer the worker reads before each batch.
import type { SerializedLoss } from '../train/losses.js';
import type { OptimizerState } from '../train/optimizer.js';
import type { SerializedOptimizer } from '../train/optimizers.js';
import type { TensorData } from './data.js';
import type { FitPlan, Logs } from './loop.js';

/** A model the worker can rebuild. */
export interface ModelSpec {
  /** JSON of the model's serialized config; the worker caches a built model per config. */
  config: string;
  weights: TensorData[];
}

/** A loom.metrics.* object: its class and the constructor arguments that rebuild it. */
export interface SerializedMetric {
  className: string;
  config: Record<string, unknown>;
}

/** What compile() was given, in a form that crosses threads. */
export interface TrainingSpec {
  loss: SerializedLoss;
  /** Metric names and loom.metrics.* objects (metric functions keep training in-process). */
  metrics: (string | SerializedMetric)[];
  optimizer: SerializedOptimizer;
  optimizerState: OptimizerState;
}

export interface DataSetData {
  x: TensorData[];
  y: TensorData | null;
  sampleWeight: TensorData | null;
}

export type Job =
  | { kind: 'fit'; model: ModelSpec; training: TrainingSpec; train: DataSetData; validation: DataSetData | null; plan: FitPlan; stopFlag: SharedArrayBuffer }
  | { kind: 'evaluate'; model: ModelSpec; training: TrainingSpec; data: DataSetData; batchSize: number }
  | { kind: 'predict'; model: ModelSpec; x: TensorData[]; batchSize: number };

/** The training state the worker hands back at each epoch end and when fit finishes. */
export interface TrainedState {
  weights: TensorData[];
  optimizerState: OptimizerState;
}

export type FitEvent =
  | { kind: 'epochBegin'; epoch: number }
  | { kind: 'batchBegin'; batch: number; logs: Logs }
  | { kind: 'batchEnd'; batch: number; logs: Logs }
  | ({ kind: 'epochEnd'; epoch: number; logs: Logs } & TrainedState);

/** The main thread's answer at an epoch end, after its callbacks ran. */
export interface EpochReply {
  stop: boolean;
  /** A new learning rate set by a callback (e.g. reduceLROnPlateau). */
  learningRate?: number;
  /** Weights a callback set (e.g. earlyStopping restoring the best ones). */
  weights?: TensorData[];
}

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** The model cannot be rebuilt in the worker (e.g. an unregistered custom layer). */
  unsupported?: boolean;
}

export type ToWorker = { type: 'run'; id: number; job: Job } | { type: 'reply'; id: number; reply: EpochReply };

export type FromWorker =
  | { type: 'event'; id: number; event: FitEvent }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError };
