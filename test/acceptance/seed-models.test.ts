// Acceptance: the seed models build and print Keras's parameter counts in summary().
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

function summaryOf(model: loom.Sequential): string[] {
  const lines: string[] = [];
  model.summary(undefined, undefined, (l) => lines.push(l));
  return lines;
}

function row(lines: string[], name: string): string[] {
  const line = lines.find((l) => l.startsWith(`${name} (`));
  expect(line, `a row for ${name}`).toBeDefined();
  return line!.split(/\s{2,}/);
}

describe('seed models (Keras parameter counts)', () => {
  it('SimpleRNN(32) on 1 feature = 1088', () => {
    const model = loom.sequential({ layers: [loom.layers.simpleRNN({ units: 32, inputShape: [null, 1], name: 'rnn' })] });
    const lines = summaryOf(model);
    expect(row(lines, 'rnn')).toEqual(['rnn (SimpleRNN)', '(None, 32)', '1,088']);
    expect(lines).toContain('Total params: 1,088');
    expect(model.countParams()).toBe(1088);
  });

  it('Embedding(10000, 2) -> SimpleRNN(32) -> Dense(1) = 20000 + 1120 + 33 = 21153', () => {
    const model = loom.sequential({
      name: 'seed',
      layers: [
        loom.layers.embedding({ inputDim: 10000, outputDim: 2, inputShape: [null], name: 'emb' }),
        loom.layers.simpleRNN({ units: 32, name: 'rnn' }),
        loom.layers.dense({ units: 1, name: 'out' }),
      ],
    });
    const lines = summaryOf(model);
    expect(lines[0]).toBe('Model: "seed"');
    expect(row(lines, 'emb')).toEqual(['emb (Embedding)', '(None, None, 2)', '20,000']);
    expect(row(lines, 'rnn')).toEqual(['rnn (SimpleRNN)', '(None, 32)', '1,120']);
    expect(row(lines, 'out')).toEqual(['out (Dense)', '(None, 1)', '33']);
    expect(lines).toContain('Total params: 21,153');
    expect(lines).toContain('Trainable params: 21,153');
    expect(lines).toContain('Non-trainable params: 0');
  });

  it('Embedding(10000, 128) -> Bi(LSTM(64, seq)) -> Bi(LSTM(64)) -> Dense(1, sigmoid) = 1,280,000 + 98,816 + 98,816 + 129', () => {
    const model = loom.sequential({
      layers: [
        loom.layers.embedding({ inputDim: 10000, outputDim: 128, maskZero: true, inputShape: [null], name: 'emb' }),
        loom.layers.bidirectional({ layer: loom.layers.lstm({ units: 64, returnSequences: true }), name: 'bi1' }),
        loom.layers.bidirectional({ layer: loom.layers.lstm({ units: 64 }), mergeMode: 'concat', name: 'bi2' }),
        loom.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }),
      ],
    });
    const lines = summaryOf(model);
    expect(row(lines, 'emb')).toEqual(['emb (Embedding)', '(None, None, 128)', '1,280,000']);
    expect(row(lines, 'bi1')).toEqual(['bi1 (Bidirectional)', '(None, None, 128)', '98,816']);
    expect(row(lines, 'bi2')).toEqual(['bi2 (Bidirectional)', '(None, 128)', '98,816']);
    expect(row(lines, 'out')).toEqual(['out (Dense)', '(None, 1)', '129']);
    expect(lines).toContain(`Total params: ${(1280000 + 98816 + 98816 + 129).toLocaleString('en-US')}`);
  });

  it('counts frozen layers as non-trainable', () => {
    const emb = loom.layers.embedding({ inputDim: 10000, outputDim: 2, inputShape: [null], trainable: false });
    const model = loom.sequential({ layers: [emb, loom.layers.simpleRNN({ units: 32 }), loom.layers.dense({ units: 1 })] });
    const lines = summaryOf(model);
    expect(lines).toContain('Total params: 21,153');
    expect(lines).toContain('Trainable params: 1,153');
    expect(lines).toContain('Non-trainable params: 20,000');
  });
});
