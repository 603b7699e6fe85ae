// Saves the model after each epoch (or only when the monitor improves) to a path filled in
// from the epoch's logs, as Keras's ModelCheckpoint.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { argsObject, boolean, nonEmptyString, numberInRange, oneOf } from './args.js';
import { Callback, type Logs } from './callback.js';
import { higherIsBetter, improves, MODES, monitored, type Mode } from './monitor.js';
import { formatTemplate } from './template.js';

export interface ModelCheckpointArgs {
  /** Path template: '{epoch}' (1-based), any log key ('{val_loss:.4f}', '{epoch:02d}'). */
  filepath: string;
  /** Default 'val_loss'. */
  monitor?: string;
  verbose?: 0 | 1;
  /** Save only when the monitor improves on the best so far. */
  saveBestOnly?: boolean;
  mode?: Mode;
  /** With saveBestOnly: only save once the monitor beats this. */
  initialValueThreshold?: number | null;
}

export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly mode: Mode;
  readonly maximize: boolean;
  best: number | null;
  /** Paths written, in order. */
  readonly saved: string[] = [];

  constructor(args: ModelCheckpointArgs) {
    super();
    const fn = 'modelCheckpoint';
    const a = argsObject(fn, args);
    this.filepath = nonEmptyString(fn, 'filepath', a.filepath);
    this.monitor = nonEmptyString(fn, 'monitor', a.monitor ?? 'val_loss');
    this.verbose = oneOf(fn, 'verbose', a.verbose ?? 0, [0, 1]);
    this.saveBestOnly = boolean(fn, 'saveBestOnly', a.saveBestOnly ?? false);
    this.mode = oneOf(fn, 'mode', a.mode ?? 'auto', MODES);
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && higherIsBetter(this.monitor));
    this.best = a.initialValueThreshold == null ? null : numberInRange(fn, 'initialValueThreshold', a.initialValueThreshold, -Infinity, Infinity);
    // Fail at construction on a malformed template, not after the first epoch's training.
    formatTemplate(fn, this.filepath, { epoch: 1 }, { partial: true });
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    const model = this.requireModel('modelCheckpoint');
    const path = formatTemplate('modelCheckpoint', this.filepath, { ...logs, epoch: epoch + 1 });
    if (this.saveBestOnly) {
      const current = monitored('modelCheckpoint', this.monitor, logs);
      if (current === null) return;
      if (!improves(this.maximize, 0, current, this.best)) {
        if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best}`);
        return;
      }
      if (this.verbose > 0) console.log(`Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose > 0) {
      console.log(`Epoch ${epoch + 1}: saving model to ${path}`);
    }
    await mkdir(dirname(path), { recursive: true });
    await model.save(path);
    this.saved.push(path);
  }
}
