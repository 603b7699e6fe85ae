// Lowers the learning rate when the monitor stops improving (Keras's ReduceLROnPlateau).
import { argsObject, nonEmptyString, nonNegativeInteger, nonNegativeNumber, oneOf, positiveNumber } from './args.js';
import { Callback, type Logs } from './callback.js';
import { higherIsBetter, improves, MODES, monitored, type Mode } from './monitor.js';
import { LearningRateSchedule } from './schedules.js';

export interface ReduceLROnPlateauArgs {
  monitor?: string;
  /** New rate = rate * factor; in (0, 1) (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  verbose?: 0 | 1;
  mode?: Mode;
  /** Improvements smaller than this do not count (default 1e-4). */
  minDelta?: number;
  /** Epochs to wait after a reduction before watching again (default 0). */
  cooldown?: number;
  /** The rate never goes below this (default 0). */
  minLr?: number;
}

export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly verbose: number;
  readonly mode: Mode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly maximize: boolean;
  wait = 0;
  cooldownCounter = 0;
  best: number | null = null;

  constructor(args: ReduceLROnPlateauArgs = {}) {
    super();
    const fn = 'reduceLROnPlateau';
    const a = argsObject(fn, args);
    this.monitor = nonEmptyString(fn, 'monitor', a.monitor ?? 'val_loss');
    this.factor = positiveNumber(fn, 'factor', a.factor ?? 0.1);
    if (this.factor >= 1) throw new RangeError(`${fn}: factor must be below 1 (it multiplies the rate), got ${this.factor}`);
    this.patience = nonNegativeInteger(fn, 'patience', a.patience ?? 10);
    this.verbose = oneOf(fn, 'verbose', a.verbose ?? 0, [0, 1]);
    this.mode = oneOf(fn, 'mode', a.mode ?? 'auto', MODES);
    this.minDelta = nonNegativeNumber(fn, 'minDelta', a.minDelta ?? 1e-4);
    this.cooldown = nonNegativeInteger(fn, 'cooldown', a.cooldown ?? 0);
    this.minLr = nonNegativeNumber(fn, 'minLr', a.minLr ?? 0);
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && higherIsBetter(this.monitor));
  }

  override onTrainBegin(): void {
    const model = this.requireModel('reduceLROnPlateau');
    if (model.optimizer.learningRate instanceof LearningRateSchedule) {
      throw new TypeError('reduceLROnPlateau: the optimizer\'s learningRate is a schedule, which sets the rate itself; use a number');
    }
    this.wait = 0;
    this.cooldownCounter = 0;
    this.best = null;
  }

  override onEpochEnd(epoch: number, logs?: Logs): void {
    const optimizer = this.requireModel('reduceLROnPlateau').optimizer;
    const lr = optimizer.learningRate as number;
    if (logs) logs.learning_rate = lr;
    const current = monitored('reduceLROnPlateau', this.monitor, logs);
    if (current === null) return;
    const inCooldown = this.cooldownCounter > 0;
    if (inCooldown) {
      this.cooldownCounter--;
      this.wait = 0;
    }
    if (improves(this.maximize, this.minDelta, current, this.best)) {
      this.best = current;
      this.wait = 0;
    } else if (!inCooldown) {
      this.wait++;
      if (this.wait >= this.patience && lr > this.minLr) {
        const next = Math.max(lr * this.factor, this.minLr);
        optimizer.learningRate = next;
        if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${next}.`);
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }
}
