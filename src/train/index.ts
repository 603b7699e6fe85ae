// The training pieces: losses, metrics, optimizers and schedules, callbacks, history, progress.
export * as losses from './losses.js';
export * as metrics from './metrics.js';
export * as optimizers from './optimizers.js';
export * as schedules from './schedules.js';
// tfjs's tf.train: the optimizer factories with tfjs's positional arguments.
export * as train from './tfjs-train.js';
export * as callbacks from './callbacks.js';
export { getLoss, serializeLoss, reduceLoss, type Loss, type LossCallOptions, type LossFunction, type Reduction, type SerializedLoss } from './losses.js';
export { getMetric, Mean, type Metric, type MetricFunction } from './metrics.js';
export { Optimizer, type OptimizerArgs, type OptimizerConfig, type OptimizerState } from './optimizer.js';
export { getOptimizer, serializeOptimizer, type SerializedOptimizer } from './optimizers.js';
export { LearningRateSchedule, serializeSchedule, deserializeSchedule } from './schedules.js';
export {
  Callback,
  CallbackList,
  CustomCallback,
  toCallback,
  type CustomCallbackArgs,
  type Logs,
  type TrainingModel,
  type TrainingParams,
} from './callbacks.js';
export { History, type PlotOptions } from './history.js';
export { ProgressLogger, progress, type ProgressArgs, type ProgressStream } from './progress.js';
