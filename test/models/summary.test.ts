// summary() keeps its columns aligned when a cell is longer than its column: the cell is
// cut, as tfjs-layers' printRow and Keras's print_row do.
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

describe('summary', () => {
  it('truncates long cells at the column end', () => {
    const long = 'a_very_long_layer_name_that_does_not_fit_in_the_first_column';
    const m = loom.sequential({ layers: [loom.layers.dense({ units: 3, inputShape: [2], name: long }), loom.layers.dense({ units: 1, name: 'out' })] });
    const lines: string[] = [];
    m.summary(65, undefined, (l) => lines.push(l));
    const row = lines.find((l) => l.startsWith('a_very'))!;
    // Columns end at 29 and 55 (0.45 and 0.85 of 65); the name keeps 28 characters and a space.
    expect(row).toBe(`${long.slice(0, 28)} (None, 3)`.padEnd(55) + '9');
    const header = lines.find((l) => l.startsWith('Layer (type)'))!;
    expect(row.indexOf('(None, 3)')).toBe(header.indexOf('Output Shape'));
    expect(lines.find((l) => l.startsWith('out (Dense)'))).toBe('out (Dense)'.padEnd(29) + '(None, 1)'.padEnd(26) + '4');
    expect(Math.max(...lines.map((l) => l.length))).toBe(65);
  });
});
