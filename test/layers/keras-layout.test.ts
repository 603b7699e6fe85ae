// setWeights/getWeights({ layout: 'keras' }): Keras's get_weights() arrays (kernels
// [in, G*units], Keras's gate order) go in converted to the stored ONNX layout. Checked
// against a conversion written out by hand, and against Keras's own recurrence formulas run
// in float64 on the Keras arrays: the layer, given those arrays, must compute Keras's outputs.
import { describe, expect, it } from 'vitest';
import * as L from '../../src/layers/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const B = 2;
const T = 4;
const I = 3;

function random(rng: () => number, shape: number[]): Tensor {
  return new Tensor(Float32Array.from(uniformF32(rng, shape.reduce((a, b) => a * b, 1), -0.8, 0.8)), shape);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

// x [I] times kernel [rows, n] (row-major), plus h [u] times recurrent [u, n], in float64.
function project(x: ArrayLike<number>, kernel: Tensor): number[] {
  const [rows, n] = kernel.shape as [number, number];
  return Array.from({ length: n }, (_, c) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += x[r]! * kernel.data[r * n + c]!;
    return s;
  });
}

type KerasStep = (x: number[], h: number[], c: number[]) => { h: number[]; c: number[] };

/** Keras's cell formulas on Keras-layout weights, run over x [B, T, I]: the last h. */
function kerasRun(x: Tensor, units: number, step: KerasStep): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    let h = new Array<number>(units).fill(0);
    let c = new Array<number>(units).fill(0);
    for (let t = 0; t < T; t++) {
      const xt = Array.from(x.data.subarray((b * T + t) * I, (b * T + t + 1) * I));
      ({ h, c } = step(xt, h, c));
    }
    out.push(...h);
  }
  return out;
}

const gate = (z: number[], k: number, u: number) => z.slice(k * u, (k + 1) * u);

// float32 weights and inputs, four steps of O(1) activations: the layer's float32 arithmetic
// stays within ~1e-6 of the float64 formulas; a wrong gate block or a missing transpose is
// off by O(0.1).
const TOL = { rtol: 1e-5, atol: 1e-5 };

describe("setWeights({ layout: 'keras' })", () => {
  it('LSTM: the kernels are transposed and the gate blocks moved from i, f, c, o to i, o, f, c (by hand)', () => {
    const u = 2;
    const layer = L.lstm({ units: u });
    layer.apply(new Tensor(new Float32Array(B * T * I), [B, T, I]));
    const count = (n: number) => Float32Array.from({ length: n }, (_, i) => i + 1);
    const kernel = new Tensor(count(I * 4 * u), [I, 4 * u]);
    const recurrent = new Tensor(count(u * 4 * u), [u, 4 * u]);
    const bias = new Tensor(count(4 * u), [4 * u]);
    layer.setWeights([kernel, recurrent, bias], { layout: 'keras' });
    const kerasBlock: Record<string, number> = { i: 0, f: 1, c: 2, o: 3 };
    const stored = ['i', 'o', 'f', 'c'];
    const expectW = (keras: Tensor, rows: number) => {
      const W: number[] = [];
      for (const g of stored) for (let j = 0; j < u; j++) for (let r = 0; r < rows; r++) W.push(keras.data[r * 4 * u + kerasBlock[g]! * u + j]!);
      return W;
    };
    const [W, R, Bias] = layer.getWeights();
    expect(W!.shape).toEqual([4 * u, I]);
    expect(Array.from(W!.data)).toEqual(expectW(kernel, I));
    expect(Array.from(R!.data)).toEqual(expectW(recurrent, u));
    expect(Array.from(Bias!.data)).toEqual(stored.flatMap((g) => [1, 2].map((j) => kerasBlock[g]! * u + j)));
    const back = layer.getWeights({ layout: 'keras' });
    expect(back.map((t) => t.shape)).toEqual([[I, 4 * u], [u, 4 * u], [4 * u]]);
    back.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from([kernel, recurrent, bias][i]!.data)));
  });

  it("LSTM computes Keras's LSTM on Keras's arrays", () => {
    const rng = mulberry32(11);
    const u = 3;
    const x = random(rng, [B, T, I]);
    const [k, rk, b] = [random(rng, [I, 4 * u]), random(rng, [u, 4 * u]), random(rng, [4 * u])];
    const layer = L.lstm({ units: u });
    layer.apply(x);
    layer.setWeights([k!, rk!, b!], { layout: 'keras' });
    const expected = kerasRun(x, u, (xt, h, c) => {
      const z = project(xt, k!).map((v, i) => v + project(h, rk!)[i]! + b!.data[i]!);
      const [ig, fg, cg, og] = [0, 1, 2, 3].map((n) => gate(z, n, u));
      const c2 = c.map((cv, j) => sigmoid(fg![j]!) * cv + sigmoid(ig![j]!) * Math.tanh(cg![j]!));
      return { h: c2.map((cv, j) => sigmoid(og![j]!) * Math.tanh(cv)), c: c2 };
    });
    expectClose('lstm', Float64Array.from((layer.apply(x) as Tensor).data), Float64Array.from(expected), TOL);
  });

  it.each([true, false])("GRU (resetAfter %s) computes Keras's GRU on Keras's arrays", (resetAfter) => {
    const rng = mulberry32(resetAfter ? 12 : 13);
    const u = 2;
    const x = random(rng, [B, T, I]);
    const k = random(rng, [I, 3 * u]);
    const rk = random(rng, [u, 3 * u]);
    const b = random(rng, resetAfter ? [2, 3 * u] : [3 * u]);
    const layer = L.gru({ units: u, resetAfter });
    layer.apply(x);
    layer.setWeights([k, rk, b], { layout: 'keras' });
    const bIn = Array.from(b.data.subarray(0, 3 * u));
    const bRec = resetAfter ? Array.from(b.data.subarray(3 * u)) : new Array<number>(3 * u).fill(0);
    const expected = kerasRun(x, u, (xt, h, c) => {
      const xz = project(xt, k).map((v, i) => v + bIn[i]!);
      const hz = project(h, rk).map((v, i) => v + bRec[i]!);
      const z = gate(xz, 0, u).map((v, j) => sigmoid(v + gate(hz, 0, u)[j]!));
      const r = gate(xz, 1, u).map((v, j) => sigmoid(v + gate(hz, 1, u)[j]!));
      // reset_after: r scales the recurrent product; otherwise it scales h before it.
      const recurrentH = resetAfter
        ? gate(hz, 2, u).map((v, j) => r[j]! * v)
        : project(h.map((hv, j) => r[j]! * hv), new Tensor(Float32Array.from({ length: u * u }, (_, i) => rk.data[Math.floor(i / u) * 3 * u + 2 * u + (i % u)]!), [u, u]));
      const hh = gate(xz, 2, u).map((v, j) => Math.tanh(v + recurrentH[j]!));
      return { h: h.map((hv, j) => z[j]! * hv + (1 - z[j]!) * hh[j]!), c };
    });
    expectClose('gru', Float64Array.from((layer.apply(x) as Tensor).data), Float64Array.from(expected), TOL);
  });

  it("SimpleRNN: a square Keras kernel is transposed (it fits the stored shape either way, so only the layout option tells)", () => {
    const rng = mulberry32(14);
    const u = I;
    const x = random(rng, [B, T, I]);
    const [k, rk, b] = [random(rng, [I, u]), random(rng, [u, u]), random(rng, [u])];
    const layer = L.simpleRNN({ units: u });
    layer.apply(x);
    layer.setWeights([k!, rk!, b!], { layout: 'keras' });
    const expected = kerasRun(x, u, (xt, h, c) => ({ h: project(xt, k!).map((v, i) => Math.tanh(v + project(h, rk!)[i]! + b!.data[i]!)), c }));
    expectClose('simpleRNN', Float64Array.from((layer.apply(x) as Tensor).data), Float64Array.from(expected), TOL);
    const W = layer.getWeights()[0]!;
    expect(W.data[0 * I + 1]).toBe(k!.data[1 * u + 0]);
  });

  it("bidirectional: Keras's forward then backward arrays, each converted", () => {
    const rng = mulberry32(15);
    const u = 2;
    const layer = L.bidirectional({ layer: L.lstm({ units: u }) });
    layer.apply(random(rng, [B, T, I]));
    const keras = [[I, 4 * u], [u, 4 * u], [4 * u], [I, 4 * u], [u, 4 * u], [4 * u]].map((s) => random(rng, s));
    layer.setWeights(keras, { layout: 'keras' });
    const [fw, bw] = [layer.forwardLayer, layer.backwardLayer];
    const alone = L.lstm({ units: u });
    alone.apply(random(rng, [B, T, I]));
    alone.setWeights(keras.slice(3), { layout: 'keras' });
    expect(bw.getWeights().map((t) => Array.from(t.data))).toEqual(alone.getWeights().map((t) => Array.from(t.data)));
    expect(fw.getWeights({ layout: 'keras' }).map((t) => Array.from(t.data))).toEqual(keras.slice(0, 3).map((t) => Array.from(t.data)));
  });

  it('leaves layers whose weights are laid out as Keras alone; attention scalars are rank 0 in Keras', () => {
    const dense = L.dense({ units: 2, inputShape: [3] });
    dense.apply(new Tensor(new Float32Array(3), [1, 3]));
    const w = [new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]), new Tensor(Float32Array.from([7, 8]), [2])];
    dense.setWeights(w, { layout: 'keras' });
    expect(dense.getWeights().map((t) => Array.from(t.data))).toEqual([[1, 2, 3, 4, 5, 6], [7, 8]]);
    const attention = L.attention({ useScale: true });
    const q = new Tensor(new Float32Array(B * T * I), [B, T, I]);
    attention.apply([q, q]);
    attention.setWeights([new Tensor(Float32Array.from([2.5]), [])], { layout: 'keras' });
    expect(attention.getWeights()[0]!.shape).toEqual([1]);
    expect(attention.getWeights({ layout: 'keras' })[0]!.shape).toEqual([]);
  });

  it('names a weight with the wrong Keras shape, and a bad layout', () => {
    const layer = L.lstm({ units: 2, name: 'enc' });
    layer.apply(new Tensor(new Float32Array(B * T * I), [B, T, I]));
    const stored = layer.getWeights();
    expect(() => layer.setWeights(stored, { layout: 'keras' })).toThrow(
      'enc: setWeights: weights[0] (enc/lstm_cell/kernel) must be a float32 tensor [3, 8] (Keras layout), got a float32 tensor [8, 3]',
    );
    expect(() => layer.setWeights(stored, { layout: 'tf' as never })).toThrow("enc: setWeights: options.layout must be 'loom' or 'keras', got 'tf'");
    expect(() => layer.getWeights({ layout: 'onnx' as never })).toThrow("enc: getWeights: options.layout must be 'loom' or 'keras', got 'onnx'");
    expect(() => layer.setWeights(stored.slice(1), { layout: 'keras' })).toThrow('enc: setWeights: weights must be an array of 3 tensors, got an array of 2');
  });
});
