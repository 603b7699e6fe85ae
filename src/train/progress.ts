// fit()'s console output, as Keras's: on a terminal a progress bar redrawn in place per
// batch; elsewhere (pipes, CI logs) one line per epoch, so logs are not flooded with frames.
import { argsObject, describe, oneOf, positiveInteger, nonNegativeNumber } from './args.js';
import { Callback, type Logs } from './callback.js';

/** Where progress goes: process.stdout or anything with write() (and isTTY to get the bar). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgressArgs {
  /** 0 silent, 1 a bar on a TTY (a line per epoch elsewhere), 2 a line per epoch (default 1). */
  verbose?: 0 | 1 | 2;
  /** Default process.stdout. */
  stream?: ProgressStream;
  /** Milliseconds, monotonic (default performance.now). */
  clock?: () => number;
  /** Characters inside the bar's brackets (default 30). */
  width?: number;
  /** Least milliseconds between redraws of the bar (default 50, as Keras). */
  interval?: number;
}

// Log keys that describe the batch rather than measure the model.
const NOT_SHOWN = new Set(['batch', 'size']);

// Keras's '%.4f', or '%.4e' for small values (Python's exponent has at least two digits).
function formatValue(v: number): string {
  if (Math.abs(v) > 1e-3) return v.toFixed(4);
  return v.toExponential(4).replace(/e([+-])(\d)$/, 'e$10$2');
}

// Whole seconds, truncated as Keras's '%d'.
function formatEta(seconds: number): string {
  const s = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, '0');
  if (s >= 3600) return `${Math.floor(s / 3600)}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${s}s`;
}

function formatPerStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

export class ProgressLogger extends Callback {
  readonly verbose: 0 | 1 | 2;
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly width: number;
  private readonly interval: number;
  private epochStart = 0;
  private lastDraw = -Infinity;
  private lastWidth = 0;
  private steps = 0;
  private samples = 0;
  private batchLogs: Logs = {};

  constructor(args: ProgressArgs = {}) {
    super();
    const fn = 'progress';
    const a = argsObject(fn, args);
    this.verbose = oneOf(fn, 'verbose', a.verbose ?? 1, [0, 1, 2]);
    const stream = a.stream ?? process.stdout;
    if (stream === null || typeof stream !== 'object' || typeof stream.write !== 'function') {
      throw new TypeError(`${fn}: stream must have a write(text) method, got ${describe(stream)}`);
    }
    this.stream = stream;
    if (a.clock !== undefined && typeof a.clock !== 'function') throw new TypeError(`${fn}: clock must be a function returning milliseconds, got ${describe(a.clock)}`);
    this.clock = a.clock ?? (() => performance.now());
    this.width = positiveInteger(fn, 'width', a.width ?? 30);
    this.interval = nonNegativeNumber(fn, 'interval', a.interval ?? 50);
  }

  /** Whether this run draws the bar (verbose 1 on a terminal). */
  get drawsBar(): boolean {
    return this.verbose === 1 && this.stream.isTTY === true;
  }

  private get epochs(): number | null {
    return typeof this.params?.epochs === 'number' ? this.params.epochs : null;
  }

  private get target(): number | null {
    const s = this.params?.steps;
    return typeof s === 'number' && s > 0 ? s : null;
  }

  override onEpochBegin(epoch: number): void {
    this.epochStart = this.clock();
    this.lastDraw = -Infinity;
    this.lastWidth = 0;
    this.steps = 0;
    this.samples = 0;
    this.batchLogs = {};
    if (this.drawsBar) this.stream.write(`Epoch ${epoch + 1}/${this.epochs ?? '?'}\n`);
  }

  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.steps = batch + 1;
    const size = logs.size ?? this.params?.batchSize;
    if (typeof size === 'number') this.samples += size;
    this.batchLogs = logs;
    if (!this.drawsBar) return;
    const now = this.clock();
    if (now - this.lastDraw < this.interval && this.steps !== this.target) return;
    this.lastDraw = now;
    this.draw(this.barLine(now, false, logs));
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.verbose === 0) return;
    const now = this.clock();
    const merged = { ...this.batchLogs, ...logs };
    if (this.drawsBar) {
      this.draw(this.barLine(now, true, merged));
      this.stream.write('\n');
      return;
    }
    const parts = [`Epoch ${epoch + 1}/${this.epochs ?? '?'}`];
    if (this.steps > 0) parts.push(`${this.steps}/${this.target ?? this.steps}`);
    parts.push(...this.timing(now, true));
    this.stream.write([...parts, ...this.values(merged)].join(' - ') + '\n');
  }

  private draw(line: string): void {
    const pad = this.lastWidth > line.length ? ' '.repeat(this.lastWidth - line.length) : '';
    this.lastWidth = line.length;
    this.stream.write(`\r${line}${pad}`);
  }

  private barLine(now: number, done: boolean, logs: Logs): string {
    const target = this.target;
    let bar: string;
    if (target === null) {
      bar = `${this.steps}/Unknown`;
    } else {
      const digits = String(target).length;
      const filled = Math.floor((this.width * Math.min(this.steps, target)) / target);
      let inner = '';
      if (filled > 0) inner = '='.repeat(filled - 1) + (this.steps < target ? '>' : '=');
      bar = `${String(this.steps).padStart(digits)}/${target} [${inner}${'.'.repeat(this.width - filled)}]`;
    }
    return [bar, ...this.timing(now, done), ...this.values(logs)].join(' - ');
  }

  /** 'ETA: 3s' while running; '3s 30ms/step' when done; then samples/s. */
  private timing(now: number, done: boolean): string[] {
    const elapsed = (now - this.epochStart) / 1000;
    const out: string[] = [];
    const target = this.target;
    if (done) {
      out.push(this.steps > 0 ? `${formatEta(elapsed)} ${formatPerStep(elapsed / this.steps)}` : formatEta(elapsed));
    } else if (target !== null && this.steps > 0 && this.steps < target) {
      out.push(`ETA: ${formatEta((elapsed / this.steps) * (target - this.steps))}`);
    }
    if (this.samples > 0 && elapsed > 0) out.push(`${Math.round(this.samples / elapsed)} samples/s`);
    return out;
  }

  private values(logs: Logs): string[] {
    return Object.entries(logs)
      .filter(([k, v]) => !NOT_SHOWN.has(k) && typeof v === 'number')
      .map(([k, v]) => `${k}: ${formatValue(v)}`);
  }
}

export const progress = (args?: ProgressArgs): ProgressLogger => new ProgressLogger(args);
