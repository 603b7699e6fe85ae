// Streams epoch logs to a CSV file, a row written (and flushed) per epoch (Keras's CSVLogger).
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { argsObject, boolean, nonEmptyString } from './args.js';
import { Callback, type Logs } from './callback.js';

export interface CSVLoggerArgs {
  filename: string;
  /** Default ','. */
  separator?: string;
  /** Add to an existing file (its header kept) rather than overwrite it (default false). */
  append?: boolean;
}

/** Writes one row per epoch: 'epoch' then the log keys of the first epoch, sorted ('NA' when missing). */
export class CSVLogger extends Callback {
  readonly filename: string;
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private writeHeader = true;

  constructor(args: CSVLoggerArgs) {
    super();
    const fn = 'csvLogger';
    const a = argsObject(fn, args);
    this.filename = nonEmptyString(fn, 'filename', a.filename);
    this.separator = nonEmptyString(fn, 'separator', a.separator ?? ',');
    this.append = boolean(fn, 'append', a.append ?? false);
  }

  override async onTrainBegin(): Promise<void> {
    this.keys = null;
    await mkdir(dirname(this.filename), { recursive: true });
    if (this.append) {
      const size = await stat(this.filename).then((s) => s.size, () => 0);
      this.writeHeader = size === 0;
    } else {
      await writeFile(this.filename, '');
      this.writeHeader = true;
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.keys ??= Object.keys(logs).sort();
    const cell = (v: unknown) => {
      const s = typeof v === 'number' ? String(v) : 'NA';
      return s.includes(this.separator) || s.includes('"') ? `"${s.replaceAll('"', '""')}"` : s;
    };
    let text = '';
    if (this.writeHeader) {
      text += ['epoch', ...this.keys].map((k) => (k.includes(this.separator) ? `"${k}"` : k)).join(this.separator) + '\n';
      this.writeHeader = false;
    }
    text += [String(epoch), ...this.keys.map((k) => cell(logs[k]))].join(this.separator) + '\n';
    await appendFile(this.filename, text);
  }
}
