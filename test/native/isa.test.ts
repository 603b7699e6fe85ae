// One binary, three instruction-set levels: every level must give the same answers as the
// best one within 1e-5 relative to the output's scale. Each level runs in its own process (LOOMRNN_ISA is read
// once, at load).
import { describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { runNode } from '../helpers/node.js';

const levels = ['sse', 'avx2', 'avx512'] as const;
const available = levels.filter((l) => levels.indexOf(l) <= levels.indexOf(loom.backend().isa));

// GEMM, and forward + backward of each cell kind with lengths, both directions.
const program = `
const loom = require('./dist/index.cjs');
let s = 12345;
const rand = (n) => Float32Array.from({ length: n }, () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648 - 0.5; });
const T = loom.Tensor;
const out = { isa: loom.backend().isa };
const A = new T(rand(67 * 129), [67, 129]), B = new T(rand(129 * 301), [129, 301]);
out.gemm = Array.from(loom.ops.gemm(A, B).data);
for (const [cell, G] of [['rnn', 1], ['lstm', 4], ['gru', 3]]) {
  const [t, b, i, h, d] = [7, 3, 5, 33, 2];
  const inputs = {
    X: new T(rand(t * b * i), [t, b, i]), W: new T(rand(d * G * h * i), [d, G * h, i]),
    R: new T(rand(d * G * h * h), [d, G * h, h]), B: new T(rand(d * 2 * G * h), [d, 2 * G * h]),
    sequenceLens: new T(new Int32Array([7, 4, 1]), [b]),
  };
  const options = { cell, hiddenSize: h, direction: 'bidirectional', linearBeforeReset: cell === 'gru' };
  const f = loom.ops.recurrentForward(inputs, options, { training: true });
  const g = loom.ops.recurrentBackward(f.saved, { dY: new T(rand(t * d * b * h), [t, d, b, h]) });
  out[cell] = [...f.Y.data, ...f.Yh.data, ...g.dX.data, ...g.dW.data, ...g.dR.data, ...g.dB.data];
}
process.stdout.write(JSON.stringify(out));
`;

describe('ISA levels', () => {
  const results = Object.fromEntries(
    available.map((level) => [level, JSON.parse(runNode(program, { LOOMRNN_ISA: level })) as Record<string, unknown>]),
  );
  const best = available[available.length - 1]!;

  it.each(available)('%s runs at the level asked for', (level) => {
    expect(results[level]!.isa).toBe(level);
  });

  for (const key of ['gemm', 'rnn', 'lstm', 'gru']) {
    it.each(available.filter((l) => l !== best))(`${key}: %s matches the best level within 1e-5 relative`, (level) => {
      const want = results[best]![key] as number[];
      const got = results[level]![key] as number[];
      expect(got.length).toBe(want.length);
      // Relative to the output's scale (max-norm): levels sum in different orders, so an
      // element that cancels to near zero cannot agree to 1e-5 of itself in float32.
      const scale = Math.max(...want.map(Math.abs));
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / scale);
      expect(worst).toBeLessThan(1e-5);
    });
  }
});
