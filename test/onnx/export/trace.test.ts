// Export by tracing: a Module's forward() (layers, attention, functional ops in plain code)
// runs once on example inputs and becomes a graph of standard ops. Each model is checked
// against onnxruntime-node and, imported back as a generic graph, against itself, at batch
// sizes (and, where the axes are declared free, lengths) other than the example's.
import { describe, expect, it } from 'vitest';
import { noGrad } from '../../../src/autograd/tape.js';
import * as F from '../../../src/functional/index.js';
import * as layers from '../../../src/layers/index.js';
import { Layer, type ApplyKwargs } from '../../../src/layers/layer.js';
import { Module } from '../../../src/models/model.js';
import type { ForwardKwargs } from '../../../src/models/module.js';
import { sequential } from '../../../src/models/sequential.js';
import { compare } from '../../../src/onnx/compare.js';
import { exportModel, type ExportOptions } from '../../../src/onnx/export/export.js';
import { importModel } from '../../../src/onnx/import/index.js';
import { decodeModel } from '../../../src/onnx/proto.js';
import { seed } from '../../../src/tensor/random.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { floats, paddedIds, PARITY, randomizeWeights, rngFor, type Rng } from './parity.js';

const I = 3;
const H = 4;
const V = 9;

const list = (t: Tensor | Tensor[]) => (Array.isArray(t) ? t : [t]);

/** A float mask [B, T] whose row b has lengths[b] ones then zeros (right-padded, as recurrent layers need). */
function lengthsMask(lengths: number[], T: number): Tensor {
  const data = new Float32Array(lengths.length * T);
  lengths.forEach((len, b) => data.fill(1, b * T, b * T + len));
  return new Tensor(data, [lengths.length, T]);
}

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect([...a.shape]).toEqual([...b.shape]);
  let max = 0;
  for (let i = 0; i < a.size; i++) max = Math.max(max, Math.abs(a.data[i]! - b.data[i]!));
  return max;
}

/**
 * Exports `model` traced on `example`, then for every run of inputs: onnxruntime-node against
 * loomrnn's forward, and the file imported back as a generic graph against loomrnn's forward.
 */
async function expectTraced(model: Module, example: Tensor | Tensor[], runs: Tensor[][], options: Omit<ExportOptions, 'exampleInputs'> = {}): Promise<Uint8Array> {
  const bytes = await exportModel(model, undefined, { exampleInputs: example, ...options });
  const imported = await importModel(bytes, { generic: true });
  for (const inputs of runs) {
    const what = inputs.map((t) => `[${t.shape.join(', ')}]`).join(' ');
    const result = await compare(model, bytes, inputs);
    expect(result.maxAbs, `onnxruntime, inputs ${what}`).toBeLessThanOrEqual(PARITY);
    const ours = list(noGrad(() => model.forward(inputs.length === 1 ? inputs[0]! : inputs, { training: false })));
    const back = list(noGrad(() => imported.forward(inputs.length === 1 ? inputs[0]! : inputs, { training: false })));
    expect(back.length).toBe(ours.length);
    ours.forEach((t, i) => {
      expect(t.size).toBeGreaterThan(0);
      expect(maxAbsDiff(back[i]!, t), `imported output ${i}, inputs ${what}`).toBeLessThanOrEqual(PARITY);
    });
  }
  return bytes;
}

/** Encoder LSTM whose final states start the decoder LSTM; Luong attention of the decoder over the encoder; dense head. */
class LuongSeq2Seq extends Module {
  readonly encoder = layers.lstm({ units: H, returnSequences: true, returnState: true });
  readonly decoder = layers.lstm({ units: H, returnSequences: true });
  readonly attention = layers.attention({ useScale: true });
  readonly head = layers.dense({ units: 3, activation: 'softmax' });

  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor {
    const [source, target] = inputs as Tensor[];
    const [encoded, h, c] = this.encoder.apply(source!, kwargs) as Tensor[];
    const decoded = this.decoder.apply(target!, { ...kwargs, initialState: [h!, c!] }) as Tensor;
    const context = this.attention.apply([decoded, encoded!], kwargs) as Tensor;
    return this.head.apply(F.concat([decoded, context], -1), kwargs) as Tensor;
  }
}

/** GRU encoder under explicit masks; causal additive self-attention over it; returns the output and the attention weights. */
class MaskedAdditive extends Module {
  readonly gru = layers.gru({ units: H, returnSequences: true, resetAfter: false });
  readonly attention = layers.additiveAttention({ causal: true });
  readonly head = layers.dense({ units: 2 });

  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor[] {
    const [x, mask] = inputs as Tensor[];
    const states = this.gru.apply(x!, { ...kwargs, mask: mask! }) as Tensor;
    const [attended, weights] = this.attention.apply([states, states], { ...kwargs, mask: [mask!, mask!], returnAttentionScores: true }) as Tensor[];
    return [this.head.apply(attended!, kwargs) as Tensor, weights!];
  }
}

/** Masks that flow on their own: a maskZero embedding's mask reaches the GRU and then the attention's query and value. */
class EmbeddedAdditive extends Module {
  readonly embedding = layers.embedding({ inputDim: V, outputDim: 5, maskZero: true });
  readonly gru = layers.gru({ units: H, returnSequences: true, resetAfter: true });
  readonly attention = layers.additiveAttention({ useScale: true });
  readonly luong = layers.attention({ scoreMode: 'concat', useScale: true });

  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor {
    const states = this.gru.apply(this.embedding.apply(inputs, kwargs), kwargs) as Tensor;
    const additive = this.attention.apply([states, states], kwargs) as Tensor;
    return F.add(additive, this.luong.apply([states, states], kwargs) as Tensor);
  }
}

/** Pooling written with functional ops around two dense layers: x [B, T, I], y [B, I]. */
class FunctionalPooling extends Module {
  readonly keys = layers.dense({ units: H });
  readonly query = layers.dense({ units: H });
  readonly gamma = F.tensor(Float32Array.from({ length: H }, (_, i) => 1 + 0.1 * i), [H]);

  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor {
    const [x, y] = inputs as Tensor[];
    const [B, T] = x!.shape as [number, number];
    const h = F.layerNorm(F.tanh(this.keys.apply(x!, kwargs) as Tensor), this.gamma, null, { epsilon: 1e-2 });
    // Batch and time folded into one axis (-1) and back.
    const folded = F.reshape(F.relu(F.reshape(h, [-1, H])), [B, T, H]);
    const q = F.expandDims(F.sigmoid(this.query.apply(y!, kwargs) as Tensor), 1);
    const weights = F.softmax(F.sum(F.mul(folded, q), -1), -1);
    const context = F.squeeze(F.matmul(F.expandDims(weights, 1), h), 1);
    const average = F.mean(h, 1);
    // The first step, sliced with the example's sizes: batch and time stay free.
    const first = F.reshape(F.slice(h, [0, 0, 0], [B, 1, H]), [B, H]);
    const last = F.squeeze(F.slice(h, [0, T - 1, 0], [-1, 1, -1]), 1);
    const gram = F.reshape(F.matmul(h, h, { transposeA: true }), [B, H * H]);
    const peak = F.max(F.transpose(h, [0, 2, 1]), -1);
    const gated = F.where(F.maximum(F.sub(context, average), 0), F.div(first, 2), F.scale(last, -1));
    const stacked = F.reshape(F.stack([peak, gated], 1), [B, 2 * H]);
    return F.concat([context, F.exp(F.neg(F.abs(average))), stacked, F.relu(gram)], -1);
  }
}

function built<M extends Module>(model: M, rng: Rng, example: Tensor | Tensor[]): M {
  noGrad(() => model.forward(example, { training: false }));
  randomizeWeights(model, rng);
  return model;
}

describe('traced export of Module subclasses', () => {
  it('an encoder-decoder LSTM with Luong attention and a dense head', async () => {
    seed(1);
    const rng = rngFor(11);
    const example = [floats(rng, [2, 5, I]), floats(rng, [2, 3, I])];
    const model = built(new LuongSeq2Seq(), rng, example);
    const bytes = await expectTraced(model, example, [[floats(rng, [4, 5, I]), floats(rng, [4, 3, I])], [floats(rng, [3, 7, I]), floats(rng, [3, 2, I])], [floats(rng, [1, 1, I]), floats(rng, [1, 6, I])]], {
      inputNames: ['source', 'target'],
      outputNames: ['probabilities'],
      dynamicAxes: { source: { 1: 'source_time' }, target: { 1: 'target_time' } },
    });
    const graph = decodeModel(bytes).graph;
    expect(graph.inputs.map((v) => [v.name, v.dims])).toEqual([
      ['source', ['batch', 'source_time', I]],
      ['target', ['batch', 'target_time', I]],
    ]);
    expect(graph.outputs.map((v) => [v.name, v.dims])).toEqual([['probabilities', ['batch', 'target_time', 3]]]);
    const ops = graph.nodes.map((n) => n.opType);
    expect(ops.filter((t) => t === 'LSTM')).toHaveLength(2);
    // The decoder starts from the encoder's final states: its node takes initial_h and initial_c.
    const decoder = graph.nodes.filter((n) => n.opType === 'LSTM')[1]!;
    expect(decoder.inputs).toHaveLength(7);
    expect(ops).toEqual(expect.arrayContaining(['MatMul', 'Softmax', 'Mul', 'Concat']));
  });

  it('a GRU with additive causal attention under explicit masks, returning the attention weights', async () => {
    seed(2);
    const rng = rngFor(12);
    const example = [floats(rng, [3, 4, I]), lengthsMask([4, 2, 3], 4)];
    const model = built(new MaskedAdditive(), rng, example);
    const bytes = await expectTraced(model, example, [[floats(rng, [5, 6, I]), lengthsMask([6, 1, 4, 5, 2], 6)], [floats(rng, [2, 3, I]), lengthsMask([3, 3], 3)]], {
      inputNames: ['x', 'mask'],
      dynamicAxes: { x: { 1: 'time' }, mask: { 1: 'time' } },
    });
    const graph = decodeModel(bytes).graph;
    expect(graph.outputs.map((v) => v.dims)).toEqual([
      ['batch', 'time', 2],
      ['batch', 'time', 'time'],
    ]);
    const ops = graph.nodes.map((n) => n.opType);
    // The mask's lengths feed the GRU's sequence_lens; the causal pattern comes from Range.
    expect(graph.nodes.find((n) => n.opType === 'GRU')!.inputs[4]).not.toBe('');
    expect(ops).toEqual(expect.arrayContaining(['GRU', 'Tanh', 'ReduceSum', 'Range', 'Greater', 'Softmax']));
  });

  it('masks that flow from a maskZero embedding into a GRU and two attention layers', async () => {
    seed(3);
    const rng = rngFor(13);
    const example = paddedIds(rng, [4, 2, 3], 4, V);
    const model = built(new EmbeddedAdditive(), rng, example);
    await expectTraced(model, example, [[paddedIds(rng, [5, 1, 3, 4, 2], 5, V)], [paddedIds(rng, [2], 2, V)]], { dynamicAxes: { input: { 1: 'time' } } });
  });

  it('functional ops called directly in forward()', async () => {
    seed(4);
    const rng = rngFor(14);
    const example = [floats(rng, [2, 5, I]), floats(rng, [2, I])];
    const model = built(new FunctionalPooling(), rng, example);
    const runs = [[floats(rng, [6, 5, I]), floats(rng, [6, I])], [floats(rng, [1, 5, I]), floats(rng, [1, I])]];
    // Opset 18 moved ReduceMean/ReduceMax's axes from an attribute to an input.
    await expectTraced(model, example, runs, { opset: 18 });
    const bytes = await expectTraced(model, example, runs);
    const graph = decodeModel(bytes).graph;
    expect(graph.outputs[0]!.dims).toEqual(['batch', 4 * H + H * H]);
    expect(graph.nodes.map((n) => n.opType)).toEqual(expect.arrayContaining(['Slice', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'ReduceMean', 'ReduceMax', 'Where', 'Max', 'Sqrt']));
    // The constant gamma made in the constructor is baked in as an initializer.
    expect(graph.initializers.some((t) => t.name.startsWith('constant') && t.dims.join() === String(H))).toBe(true);
  });

  it('a Sequential exports by tracing too, when given example inputs', async () => {
    seed(5);
    const rng = rngFor(15);
    const model = sequential({ layers: [layers.gru({ units: H, returnSequences: true, inputShape: [null, I] }), layers.layerNormalization(), layers.dense({ units: 2 })] });
    randomizeWeights(model, rng);
    const bytes = await expectTraced(model, floats(rng, [2, 3, I]), [[floats(rng, [4, 6, I])]], { dynamicAxes: { input: { 1: 'time' } } });
    const file = decodeModel(bytes);
    expect(file.opset).toBe(17);
    expect(file.metadata).toEqual({});
  });
});

class Unexportable extends Layer {
  static override className = 'Unexportable';
  protected call(inputs: Tensor | Tensor[], _kwargs: ApplyKwargs): Tensor {
    return F.mul(inputs as Tensor, 2);
  }
}

describe('traced export errors name what cannot be exported', () => {
  const x = () => floats(rngFor(7), [2, 3, I]);

  it('a functional op without an emitter', async () => {
    class WithLoss extends Module {
      readonly dense = layers.dense({ units: 2 });
      override forward(inputs: Tensor | Tensor[]): Tensor {
        const logits = this.dense.apply(inputs) as Tensor;
        return F.softmaxCrossEntropy(logits, F.softmax(logits));
      }
    }
    await expect(exportModel(new WithLoss(), undefined, { exampleInputs: x() })).rejects.toThrow(
      /^exportModel: cannot export functional op F\.softmaxCrossEntropy called in forward\(\): it has no ONNX emitter \(traceable ops: .*matmul/,
    );
  });

  it('a layer without an emitter, a stateful layer, and training-mode dropout', async () => {
    class WithCustom extends Module {
      readonly custom = new Unexportable({ name: 'mystery' });
      override forward(inputs: Tensor | Tensor[]): Tensor {
        return this.custom.apply(inputs) as Tensor;
      }
    }
    await expect(exportModel(new WithCustom(), undefined, { exampleInputs: x() })).rejects.toThrow(/^exportModel: cannot export layer mystery \(Unexportable\)/);
    class Streaming extends Module {
      readonly gru = layers.gru({ name: 'streaming_gru', units: 2, stateful: true, batchInputShape: [2, 3, I] });
      override forward(inputs: Tensor | Tensor[]): Tensor {
        return this.gru.apply(inputs) as Tensor;
      }
    }
    await expect(exportModel(new Streaming(), undefined, { exampleInputs: x() })).rejects.toThrow(
      /^exportModel: cannot export layer streaming_gru \(GRU\): it is stateful; a traced graph does not carry states between runs/,
    );
    class WithDropout extends Module {
      override forward(inputs: Tensor | Tensor[]): Tensor {
        return F.dropout(inputs as Tensor, 0.5);
      }
    }
    await expect(exportModel(new WithDropout(), undefined, { exampleInputs: x() })).rejects.toThrow(/^exportModel: cannot export functional op F\.dropout: dropout ran in training mode/);
  });

  it('an output not computed from the inputs, and bad options', async () => {
    class Detached extends Module {
      override forward(inputs: Tensor | Tensor[]): Tensor {
        return new Tensor(Float32Array.from((inputs as Tensor).data), (inputs as Tensor).shape);
      }
    }
    await expect(exportModel(new Detached(), undefined, { exampleInputs: x() })).rejects.toThrow(/^exportModel: output 0 of detached_\d+\.forward was not computed by layers or functional ops/);
    const model = new LuongSeq2Seq();
    await expect(exportModel(model, undefined, { exampleInputs: [] })).rejects.toThrow(new TypeError('exportModel: options.exampleInputs must be a Tensor or a non-empty array of tensors, got an array of 0'));
    await expect(exportModel(model, undefined, { exampleInputs: [x(), x()], inputNames: ['a'] })).rejects.toThrow(new RangeError('exportModel: options.inputNames must name 2 value(s), got 1'));
    await expect(exportModel(model, undefined, { exampleInputs: [x(), x()], dynamicAxes: { b: [1] } })).rejects.toThrow(
      new RangeError("exportModel: options.dynamicAxes names 'b', which is not an input; the inputs are [input_0, input_1]"),
    );
    await expect(exportModel(model, undefined, { inputNames: ['a'] })).rejects.toThrow(new TypeError('exportModel: options.inputNames applies to a traced export: give options.exampleInputs too'));
    await expect(exportModel(model)).rejects.toThrow(/^exportModel: model must be a Sequential model, or any Module with options.exampleInputs to trace its forward\(\), got a LuongSeq2Seq/);
  });

  it('leaves layers and functional ops untraced afterwards, also after a failed export', async () => {
    const dense = layers.dense({ units: 2 });
    class Failing extends Module {
      readonly dense = dense;
      override forward(inputs: Tensor | Tensor[]): Tensor {
        return F.softmaxCrossEntropy(this.dense.apply(inputs) as Tensor, F.zeros([2, 3, 2]));
      }
    }
    await expect(exportModel(new Failing(), undefined, { exampleInputs: x() })).rejects.toThrow(/F\.softmaxCrossEntropy/);
    // Were a hook left behind, these would throw (no graph is being built).
    expect(F.softmaxCrossEntropy(dense.apply(x()) as Tensor, F.zeros([2, 3, 2])).size).toBeGreaterThan(0);
  });
});
