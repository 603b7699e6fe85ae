// The callback list fit() drives on the main thread: History first (so callbacks see the
// epoch recorded), the user's callbacks, then the progress display, as Keras orders them.
import { Callback, CallbackList, type CustomCallbackArgs, type TrainingModel, type TrainingParams } from '../train/callbacks.js';
import { History } from '../train/history.js';
import { ProgressLogger } from '../train/progress.js';

export function makeCallbacks(
  model: TrainingModel,
  callbacks: (Callback | CustomCallbackArgs)[] | Callback | CustomCallbackArgs | undefined,
  verbose: 0 | 1 | 2,
  params: TrainingParams,
): { list: CallbackList; history: History } {
  const user = callbacks === undefined ? [] : Array.isArray(callbacks) ? callbacks : [callbacks];
  const history = new History();
  const list = new CallbackList([history, ...user, ...(verbose > 0 ? [new ProgressLogger({ verbose })] : [])], { model, params });
  return { list, history };
}
