// Acceptance: whole-model gradient checks. The analytic gradient (float32, through the
// layers' recorded ops and one backward) of L = sum(model(x) * probe) with respect to every
// weight (and float inputs) is compared with central finite differences of a float64
// reference forward of the same model (test/reference/models.ts) at the same weights.
//
// Tolerance: the float64 differences are exact to ~1e-8 (eps 1e-6, smooth functions with
// O(1) second derivatives). The float32 analytic gradients accumulate rounding of ~1e-7
// relative per op over a few dozen ops on O(1) values (~1e-6 at worst; ~4e-8 measured), so
// atol 1e-5 plus rtol 1e-4 leaves headroom while any wrong gate, transposed weight or
// ignored mask shows as an O(1e-2..1) error.
import { describe, it } from 'vitest';
import * as loom from '../../src/index.js';
import { expectClose, type Tolerance } from '../helpers/compare.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';
import { additiveAttentionRef, denseRef, embeddingRef, recurrentLayerRef, type CellWeights } from '../reference/models.js';

const TOL: Tolerance = { atol: 1e-5, rtol: 1e-4 };
const EPS = 1e-6;

interface Checked {
  name: string;
  tensor: loom.Tensor;
}

/**
 * Compares d/dt sum(forward() * probe) for every checked tensor with central differences of
 * `reference` (which reads the float64 copies of the checked tensors, in order).
 */
function checkGradients(label: string, checked: Checked[], forward: () => loom.Tensor, reference: (w: Float64Array[]) => Float64Array, probeSeed: number): void {
  for (const c of checked) c.tensor.grad = null;
  const out = forward();
  const probe = uniformF32(mulberry32(probeSeed), out.size);
  const loss = loom.sum(loom.mul(out, new loom.Tensor(Float32Array.from(probe), out.shape)));
  loss.backward();
  const w64 = checked.map((c) => Float64Array.from(c.tensor.data));
  const objective = () => {
    const y = reference(w64);
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * probe[i]!;
    return s;
  };
  // The reference at the model's weights must reproduce the model's output first.
  expectClose(`${label}: forward`, out.data, reference(w64), { atol: 1e-5, rtol: 1e-4 }, out.shape);
  checked.forEach((c, k) => {
    const w = w64[k]!;
    const numeric = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) {
      const keep = w[i]!;
      w[i] = keep + EPS;
      const plus = objective();
      w[i] = keep - EPS;
      const minus = objective();
      w[i] = keep;
      numeric[i] = (plus - minus) / (2 * EPS);
    }
    const analytic = c.tensor.grad?.data ?? new Float32Array(w.length);
    expectClose(`${label}: d/d ${c.name}`, analytic, numeric, TOL, c.tensor.shape);
  });
}

function weightsOf(model: { weights: { name: string; value: loom.Tensor }[] }): Checked[] {
  return model.weights.map((w) => ({ name: w.name, tensor: w.value }));
}

const cellAt = (w: Float64Array[], k: number): CellWeights => ({ kernel: w[k]!, recurrentKernel: w[k + 1]!, bias: w[k + 2]! });

describe('whole-model gradient checks (float64 finite differences)', () => {
  it('embedding(maskZero) -> bidirectional LSTM (masked, mixed lengths) -> dense', () => {
    loom.seed(11);
    const [V, E, H, O, B, T] = [7, 3, 4, 2, 3, 5];
    const model = loom.sequential({
      layers: [
        loom.layers.embedding({ inputDim: V, outputDim: E, maskZero: true, inputShape: [T] }),
        loom.layers.bidirectional({ layer: loom.layers.lstm({ units: H }) }),
        loom.layers.dense({ units: O }),
      ],
    });
    // Right-padded rows of lengths 5, 3 and 1 (0 = padding).
    const ids = [3, 1, 4, 1, 5, 2, 6, 5, 0, 0, 6, 0, 0, 0, 0];
    const lengths = [5, 3, 1];
    const x = new loom.Tensor(Int32Array.from(ids), [B, T]);
    // Biases start at zero (and 1 for the forget gate); perturb every weight so no gradient is trivially 0.
    model.setWeights(model.getWeights().map((w, i) => new loom.Tensor(Float32Array.from(uniformF32(mulberry32(100 + i), w.size, -0.6, 0.6)), w.shape)));
    const checked = weightsOf(model);
    checkGradients(
      'bi-LSTM model',
      checked,
      () => model.apply(x, { training: true }) as loom.Tensor,
      (w) => {
        const emb = embeddingRef(w[0]!, E, ids);
        const { Yh } = recurrentLayerRef({ cell: 'lstm', units: H, cells: [cellAt(w, 1), cellAt(w, 4)], x: emb, batch: B, steps: T, lengths });
        // Yh [B, 2, H] row-major is exactly Keras's concat [forward, backward] per row.
        return denseRef(Yh, B, w[7]!, w[8]!, O);
      },
      1,
    );
  });

  it('a GRU stack (resetAfter, returnSequences -> last state), with the input gradient', () => {
    loom.seed(12);
    const [B, T, I, H1, H2] = [3, 4, 3, 4, 3];
    const model = loom.sequential({
      layers: [loom.layers.gru({ units: H1, returnSequences: true, inputShape: [T, I] }), loom.layers.gru({ units: H2 })],
    });
    model.setWeights(model.getWeights().map((w, i) => new loom.Tensor(Float32Array.from(uniformF32(mulberry32(200 + i), w.size, -0.6, 0.6)), w.shape)));
    const x = new loom.Tensor(Float32Array.from(uniformF32(mulberry32(7), B * T * I)), [B, T, I]).requireGrad();
    checkGradients(
      'GRU stack',
      [...weightsOf(model), { name: 'x', tensor: x }],
      () => model.apply(x, { training: true }) as loom.Tensor,
      (w) => {
        const first = recurrentLayerRef({ cell: 'gru', units: H1, cells: [cellAt(w, 0)], x: w[6]!, batch: B, steps: T, linearBeforeReset: true });
        return recurrentLayerRef({ cell: 'gru', units: H2, cells: [cellAt(w, 3)], x: first.Y, batch: B, steps: T, linearBeforeReset: true }).Yh;
      },
      2,
    );
  });

  it('an attention decoder step (define-by-run Module: GRU step, Bahdanau attention over masked encoder outputs, dense)', () => {
    loom.seed(13);
    const [B, E, H, Te, V] = [3, 3, 4, 5, 6];
    const lengths = [5, 2, 4];

    class DecoderStep extends loom.Module {
      cell = loom.layers.gru({ units: H, returnState: true });
      attention = loom.layers.additiveAttention({});
      out = loom.layers.dense({ units: V });

      override forward(inputs: loom.Tensor | loom.Tensor[]): loom.Tensor {
        const [x, h, encoded, encodedMask] = inputs as loom.Tensor[];
        const [, state] = this.cell.apply(x!, { initialState: [h!] }) as loom.Tensor[];
        const queryMask = loom.ones([B, 1]);
        const context = this.attention.apply([loom.expandDims(state!, 1), encoded!], { mask: [queryMask, encodedMask!] }) as loom.Tensor;
        return this.out.apply(loom.concat([state!, loom.squeeze(context, 1)], 1)) as loom.Tensor;
      }
    }

    const step = new DecoderStep();
    const rng = mulberry32(9);
    const x = new loom.Tensor(Float32Array.from(uniformF32(rng, B * E)), [B, 1, E]);
    const h = new loom.Tensor(Float32Array.from(uniformF32(rng, B * H)), [B, H]).requireGrad();
    const enc = new loom.Tensor(Float32Array.from(uniformF32(rng, B * Te * H)), [B, Te, H]).requireGrad();
    const maskData = new Float32Array(B * Te);
    lengths.forEach((n, b) => maskData.fill(1, b * Te, b * Te + n));
    const encMask = new loom.Tensor(maskData, [B, Te]);
    const inputs = [x, h, enc, encMask];
    step.apply(inputs);
    step.setWeights(step.getWeights().map((w, i) => new loom.Tensor(Float32Array.from(uniformF32(mulberry32(300 + i), w.size, -0.6, 0.6)), w.shape)));
    const names = step.weights.map((w) => w.name);
    checkGradients(
      'attention decoder step',
      [...weightsOf(step), { name: 'h', tensor: h }, { name: 'encoded', tensor: enc }],
      () => step.apply(inputs) as loom.Tensor,
      (w) => {
        const at = (suffix: string) => w[names.findIndex((n) => n.endsWith(suffix))]!;
        const [wh, wEnc] = [w[names.length]!, w[names.length + 1]!];
        const cell = { kernel: at('gru_cell/kernel'), recurrentKernel: at('gru_cell/recurrent_kernel'), bias: at('gru_cell/bias') };
        const { Yh } = recurrentLayerRef({ cell: 'gru', units: H, cells: [cell], x: Float64Array.from(x.data), batch: B, steps: 1, initialH: wh, linearBeforeReset: true });
        const context = additiveAttentionRef(Yh, wEnc, at('/scale'), B, Te, lengths);
        const joined = new Float64Array(B * 2 * H);
        for (let b = 0; b < B; b++) {
          joined.set(Yh.subarray(b * H, (b + 1) * H), b * 2 * H);
          joined.set(context.subarray(b * H, (b + 1) * H), b * 2 * H + H);
        }
        return denseRef(joined, B, at(step.out.name + '/kernel'), at(step.out.name + '/bias'), V);
      },
      3,
    );
  });
});
