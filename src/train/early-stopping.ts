// Stops training when a monitored quantity stops improving (Keras's EarlyStopping, with
// Keras 3's restoring of the best weights at the end of training).
import { argsObject, boolean, nonEmptyString, nonNegativeInteger, nonNegativeNumber, numberInRange, oneOf } from './args.js';
import { Callback, type Logs } from './callback.js';
import { copyWeights, higherIsBetter, improves, MODES, monitored, type Mode } from './monitor.js';
import type { Tensor } from '../tensor/tensor.js';

export interface EarlyStoppingArgs {
  /** Default 'val_loss'. */
  monitor?: string;
  /** An improvement must exceed this (default 0). */
  minDelta?: number;
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  verbose?: 0 | 1;
  mode?: Mode;
  /** Training stops unless the monitor beats this within `patience` epochs. */
  baseline?: number | null;
  /** At the end of training, put back the weights of the best epoch. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching (warm-up). */
  startFromEpoch?: number;
}

export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly baseline: number | null;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly maximize: boolean;
  wait = 0;
  stoppedEpoch = 0;
  best: number | null = null;
  bestEpoch = 0;
  private bestWeights: Tensor[] | null = null;

  constructor(args: EarlyStoppingArgs = {}) {
    super();
    const fn = 'earlyStopping';
    const a = argsObject(fn, args);
    this.monitor = nonEmptyString(fn, 'monitor', a.monitor ?? 'val_loss');
    this.minDelta = Math.abs(nonNegativeNumber(fn, 'minDelta', a.minDelta ?? 0));
    this.patience = nonNegativeInteger(fn, 'patience', a.patience ?? 0);
    this.verbose = oneOf(fn, 'verbose', a.verbose ?? 0, [0, 1]);
    this.mode = oneOf(fn, 'mode', a.mode ?? 'auto', MODES);
    this.baseline = a.baseline == null ? null : numberInRange(fn, 'baseline', a.baseline, -Infinity, Infinity);
    this.restoreBestWeights = boolean(fn, 'restoreBestWeights', a.restoreBestWeights ?? false);
    this.startFromEpoch = nonNegativeInteger(fn, 'startFromEpoch', a.startFromEpoch ?? 0);
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && higherIsBetter(this.monitor));
  }

  override onTrainBegin(): void {
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = null;
    this.bestEpoch = 0;
    this.bestWeights = null;
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    const model = this.requireModel('earlyStopping');
    if (epoch < this.startFromEpoch) return;
    const current = monitored('earlyStopping', this.monitor, logs);
    if (current === null) return;
    if (this.restoreBestWeights && this.bestWeights === null) this.bestWeights = copyWeights(model.getWeights());
    this.wait++;
    if (improves(this.maximize, this.minDelta, current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = copyWeights(model.getWeights());
      // Beating the best so far only resets patience once the baseline is beaten too.
      if (this.baseline === null || improves(this.maximize, this.minDelta, current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      model.stopTraining = true;
    }
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) console.log(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) console.log(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.requireModel('earlyStopping').setWeights(copyWeights(this.bestWeights));
    }
  }
}
