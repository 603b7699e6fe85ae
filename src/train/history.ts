// The record of a fit(): logs per epoch, and a plot of them as SVG. Charts are made with
// Vega-Lite and rendered by Vega's headless SVG renderer (pure JS, no browser or canvas).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { argsObject, describe, nonEmptyString, positiveInteger } from './args.js';
import { Callback, type Logs } from './callback.js';

export interface PlotOptions {
  /** Which quantities to draw (train names; 'val_' twins come along). Default: all logged. */
  metrics?: string[];
  /** Width of each panel in pixels (default 480). */
  width?: number;
  /** Height of each panel in pixels (default 200). */
  height?: number;
  /** Default 'Training history'. */
  title?: string;
}

/** A chart row: one value of one quantity at one epoch. */
interface Point {
  epoch: number;
  metric: string;
  split: 'train' | 'validation';
  value: number;
}

/** Also a Callback: fit() gives it each epoch's logs. */
export class History extends Callback {
  /** The epochs trained (0-based, as Keras). */
  epoch: number[] = [];
  /** Per logged name, one value per entry of `epoch` (NaN where that epoch did not log it). */
  history: Record<string, number[]> = {};

  override onTrainBegin(): void {
    this.epoch = [];
    this.history = {};
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const n = this.epoch.length;
    this.epoch.push(epoch);
    for (const [key, value] of Object.entries(logs)) {
      if (typeof value !== 'number') continue;
      (this.history[key] ??= new Array<number>(n).fill(NaN)).push(value);
    }
    for (const values of Object.values(this.history)) if (values.length === n) values.push(NaN);
  }

  /** The Vega-Lite specification plot() renders: one panel per quantity, train and validation. */
  plotSpec(options: PlotOptions = {}): Record<string, unknown> {
    const fn = 'History.plot';
    const o = argsObject(fn, options);
    const width = positiveInteger(fn, 'width', o.width ?? 480);
    const height = positiveInteger(fn, 'height', o.height ?? 200);
    const title = o.title === undefined ? 'Training history' : nonEmptyString(fn, 'title', o.title);
    const logged = Object.keys(this.history);
    const base = (k: string) => k.replace(/^val_/, '');
    const names = [...new Set(logged.map(base))];
    let selected = names;
    if (o.metrics !== undefined) {
      if (!Array.isArray(o.metrics)) throw new TypeError(`${fn}: metrics must be an array of names, got ${describe(o.metrics)}`);
      for (const m of o.metrics) {
        if (!names.includes(m)) throw new RangeError(`${fn}: metrics names '${m}', which was not logged; logged: ${names.join(', ')}`);
      }
      selected = o.metrics;
    }
    if (this.epoch.length === 0) throw new RangeError(`${fn}: the history is empty (no epoch has ended)`);
    const values: Point[] = [];
    for (const metric of selected) {
      for (const [key, split] of [[metric, 'train'], [`val_${metric}`, 'validation']] as const) {
        this.history[key]?.forEach((value, i) => {
          if (Number.isFinite(value)) values.push({ epoch: this.epoch[i]! + 1, metric, split, value });
        });
      }
    }
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title,
      data: { values },
      facet: { row: { field: 'metric', type: 'nominal', title: null, sort: selected, header: { labelAngle: 0, labelAlign: 'left', labelFontWeight: 'bold' } } },
      spec: {
        width,
        height,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
          color: { field: 'split', type: 'nominal', title: null, scale: { domain: ['train', 'validation'] } },
        },
      },
      resolve: { scale: { y: 'independent' } },
      config: { background: 'white' },
    };
  }

  /** The plot as an SVG string. */
  async toSVG(options: PlotOptions = {}): Promise<string> {
    const spec = this.plotSpec(options);
    const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
    const compiled = vegaLite.compile(spec as never).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    try {
      return await view.toSVG();
    } finally {
      view.finalize();
    }
  }

  /** Writes the loss and metric curves, train and validation, per epoch, as an SVG file. */
  async plot(path: string, options: PlotOptions = {}): Promise<void> {
    nonEmptyString('History.plot', 'path', path);
    const svg = await this.toSVG(options);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, svg);
  }
}
