// fit/predict from the built package (dist/, as users load it): the worker thread starts
// from dist/worker.js, beside the bundle, in both the CommonJS and the ESM build.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, runNode } from '../helpers/node.js';

const program = (load: string) => `
  (async () => {
    const loom = ${load};
    // Counts LSTM calls on this (the main) thread; the worker loads its own copy of the classes.
    let mainThreadCalls = 0;
    const apply = loom.layers.LSTM.prototype.apply;
    loom.layers.LSTM.prototype.apply = function (...args) { mainThreadCalls++; return apply.apply(this, args); };
    loom.seed(1);
    const model = loom.sequential({ layers: [loom.layers.lstm({ units: 4, inputShape: [5, 2] }), loom.layers.dense({ units: 1 })] });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    const x = loom.randn([32, 5, 2], { seed: 2 });
    const y = loom.randn([32, 1], { seed: 3 });
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const p = await model.predict(x);
    await model.dispose();
    process.stdout.write(JSON.stringify({ epochs: history.epoch, shape: p.shape, finite: Array.from(p.data).every(Number.isFinite), mainThreadCalls }));
  })().catch((e) => { console.error(e); process.exit(1); });
`;

describe('the built package', () => {
  for (const [format, load] of [
    ['CommonJS', `require(${JSON.stringify(join(root, 'dist/index.cjs'))})`],
    ['ESM', `await import(${JSON.stringify(join(root, 'dist/index.js'))})`],
  ] as const) {
    it(`fits and predicts on the worker thread (${format})`, () => {
      const out = JSON.parse(runNode(program(load))) as Record<string, unknown>;
      expect(out).toEqual({ epochs: [0, 1], shape: [32, 1], finite: true, mainThreadCalls: 0 });
    });
  }
});
