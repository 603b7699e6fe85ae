import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

class Encoder extends loom.Module {
  embed = loom.layers.embedding({ inputDim: 10, outputDim: 3 });
  rnn = loom.layers.gru({ units: 4, returnSequences: true });
  override forward(x: loom.Tensor | loom.Tensor[]): loom.Tensor {
    return this.rnn.apply(this.embed.apply(x)) as loom.Tensor;
  }
}

class Tagger extends loom.Module {
  encoder = new Encoder();
  heads = new Map([['tags', loom.layers.dense({ units: 5 })]]);
  shared = loom.layers.dense({ units: 4, activation: 'tanh' });
  // The same layer twice: its weights count once.
  again = [this.shared, this.shared];
  notALayer = { units: 3 };
  override forward(x: loom.Tensor | loom.Tensor[]): loom.Tensor {
    const h = this.shared.apply(this.encoder.apply(x) as loom.Tensor) as loom.Tensor;
    return this.heads.get('tags')!.apply(h) as loom.Tensor;
  }
}

const ids = new loom.Tensor(Int32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);

describe('Module (define-by-run)', () => {
  it('finds child layers and modules in properties, arrays and Maps, each once', () => {
    const m = new Tagger();
    expect(m.children().map((c) => c.constructor.name)).toEqual(['Encoder', 'Dense', 'Dense']);
    m.apply(ids);
    expect(m.layers.map((l) => l.className)).toEqual(['Embedding', 'GRU', 'Dense', 'Dense']);
    // embedding 30, GRU 3*(4*(3+4)+2*4) = 108, heads 4*5+5 = 25, shared 4*4+4 = 20.
    expect(m.countParams()).toBe(30 + 108 + 25 + 20);
    expect(m.parameters()).toHaveLength(1 + 3 + 2 + 2);
    expect(new Set(m.parameters()).size).toBe(m.parameters().length);
    expect(m.name).toMatch(/^tagger_\d+$/);
  });

  it('trains with loom.grad-style code: backward fills every parameter gradient', () => {
    loom.seed(1);
    const m = new Tagger();
    const loss = loom.mean(loom.square(m.apply(ids) as loom.Tensor));
    loss.backward();
    for (const p of m.parameters()) expect(p.grad?.shape).toEqual(p.shape);
  });

  it('getWeights copies; setWeights checks count and shapes', () => {
    const m = new Encoder();
    m.apply(ids);
    const ws = m.getWeights();
    (ws[0]!.data as Float32Array).fill(7);
    expect(m.weights[0]!.value.data[0]).not.toBe(7);
    m.setWeights(ws);
    expect(m.weights[0]!.value.data[0]).toBe(7);
    expect(() => m.setWeights(ws.slice(1))).toThrow(/setWeights: weights must be an array of 4 tensors, got an array of 3/);
    const wrong = [...ws];
    wrong[1] = new loom.Tensor(new Float32Array(2), [2]);
    expect(() => m.setWeights(wrong)).toThrow(/weights\[1\] \(.*kernel\) must be a float32 tensor \[12, 3\], got a float32 tensor \[2\]/);
  });

  it('names what is missing', () => {
    const bare = new loom.Module();
    expect(() => bare.apply(ids)).toThrow(/forward is not implemented: subclass Module/);
    const m = new Encoder();
    expect(() => m.countParams()).toThrow(/needs every layer built \(embedding_\d+ is not\)/);
    expect(() => m.summary()).toThrow(/summary: the model is not built/);
    expect(() => m.optimizer).toThrow(/not compiled; call compile\(\) first/);
    expect(() => new loom.Module({ name: '' })).toThrow(/args\.name must be a non-empty string/);
  });

  it('prints a summary with every layer (output shapes "multiple", as Keras for subclassed models)', () => {
    const m = new Tagger({ name: 'tagger' } as never);
    m.apply(ids);
    const lines: string[] = [];
    m.summary(80, undefined, (l) => lines.push(l));
    expect(lines[0]).toBe('Model: "tagger"');
    expect(lines).toContain('Total params: 183');
    expect(lines.filter((l) => l.includes('multiple'))).toHaveLength(4);
    expect(lines[1]).toHaveLength(80);
  });
});
