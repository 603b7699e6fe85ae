// The callbacks by name, as tfjs's `tf.callbacks`, and the callback protocol.
import { CSVLogger, type CSVLoggerArgs } from './csv-logger.js';
import { EarlyStopping, type EarlyStoppingArgs } from './early-stopping.js';
import { ModelCheckpoint, type ModelCheckpointArgs } from './model-checkpoint.js';
import { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce-lr-on-plateau.js';

export {
  Callback,
  CallbackList,
  CustomCallback,
  toCallback,
  type CustomCallbackArgs,
  type Logs,
  type TrainingModel,
  type TrainingParams,
} from './callback.js';
export { CSVLogger, type CSVLoggerArgs } from './csv-logger.js';
export { EarlyStopping, type EarlyStoppingArgs } from './early-stopping.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './model-checkpoint.js';
export type { Mode } from './monitor.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauArgs } from './reduce-lr-on-plateau.js';

export const earlyStopping = (args?: EarlyStoppingArgs): EarlyStopping => new EarlyStopping(args);
export const modelCheckpoint = (args: ModelCheckpointArgs): ModelCheckpoint => new ModelCheckpoint(args);
export const reduceLROnPlateau = (args?: ReduceLROnPlateauArgs): ReduceLROnPlateau => new ReduceLROnPlateau(args);
export const csvLogger = (args: CSVLoggerArgs): CSVLogger => new CSVLogger(args);
