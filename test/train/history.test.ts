// History: the per-epoch record, and its SVG plot rendered by Vega in Node.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { History } from '../../src/train/history.js';

function trained(): History {
  const h = new History();
  h.onTrainBegin();
  for (let e = 0; e < 6; e++) {
    h.onEpochEnd(e, { loss: 1 / (e + 1), acc: 0.5 + 0.07 * e, val_loss: 1.2 / (e + 1) + 0.01 * e, val_acc: 0.45 + 0.06 * e });
  }
  return h;
}

/** The texts drawn in an SVG. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('History', () => {
  it('records every epoch; a key that appears late is padded with NaN so indexes line up', () => {
    const h = new History();
    h.onTrainBegin();
    h.onEpochEnd(0, { loss: 2 });
    h.onEpochEnd(1, { loss: 1, learning_rate: 0.1 });
    h.onEpochEnd(2, { learning_rate: 0.05 });
    expect(h.epoch).toEqual([0, 1, 2]);
    expect(h.history.loss).toEqual([2, 1, NaN]);
    expect(h.history.learning_rate).toEqual([NaN, 0.1, 0.05]);
    h.onTrainBegin();
    expect(h.epoch).toEqual([]);
  });

  it('the plot spec has one panel per quantity with train and validation points', () => {
    const spec = trained().plotSpec() as { data: { values: { metric: string; split: string; epoch: number }[] }; facet: { row: { sort: string[] } } };
    expect(spec.facet.row.sort).toEqual(['loss', 'acc']);
    const values = spec.data.values;
    expect(values.filter((v) => v.metric === 'loss' && v.split === 'train')).toHaveLength(6);
    expect(values.filter((v) => v.metric === 'acc' && v.split === 'validation')).toHaveLength(6);
    expect(values[0]).toEqual({ epoch: 1, metric: 'loss', split: 'train', value: 1 });
  });

  describe('plot', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'loom-plot-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes an SVG with a line per split and panel, axes, legend and title', async () => {
      const path = join(dir, 'sub', 'curves.svg');
      await trained().plot(path);
      const svg = await readFile(path, 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toMatch(/<\/svg>\s*$/);
      const t = texts(svg);
      for (const label of ['Training history', 'loss', 'acc', 'epoch', 'train', 'validation']) expect(t).toContain(label);
      // Two panels, each with a train and a validation line: four line marks with 6 vertices.
      const lines = [...svg.matchAll(/<path[^>]*aria-roledescription="line mark"[^>]*d="([^"]+)"/g)];
      expect(lines).toHaveLength(4);
      for (const [, d] of lines) expect((d!.match(/L/g) ?? []).length).toBe(5);
      // Six x ticks, one per epoch, labelled as integers.
      for (const e of ['1', '2', '3', '4', '5', '6']) expect(t).toContain(e);
    });

    it('options pick the quantities, size and title; bad options name the value', async () => {
      const h = trained();
      const svg = await h.toSVG({ metrics: ['acc'], width: 300, height: 120, title: 'Accuracy' });
      const t = texts(svg);
      expect(t).toContain('Accuracy');
      expect(t).not.toContain('loss');
      expect([...svg.matchAll(/aria-roledescription="line mark"/g)]).toHaveLength(2);
      expect(() => h.plotSpec({ metrics: ['auc'] })).toThrow("History.plot: metrics names 'auc', which was not logged; logged: loss, acc");
      expect(() => h.plotSpec({ width: 0 })).toThrow('History.plot: width must be a positive integer, got 0');
      expect(() => new History().plotSpec()).toThrow('History.plot: the history is empty (no epoch has ended)');
    });
  });
});
