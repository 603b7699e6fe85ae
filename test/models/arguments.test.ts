// compile/fit/evaluate/predict arguments: unknown options are named (with a "did you mean"),
// and x is checked against the declared input shape up front, as the user passed it.
import { afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';

const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});

function model(): loom.Sequential {
  loom.seed(2);
  const m = loom.sequential({ layers: [loom.layers.lstm({ units: 4, inputShape: [10, 3] }), loom.layers.dense({ units: 1 })] });
  m.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
  models.push(m);
  return m;
}

describe('unknown options', () => {
  it('are rejected with the key and the nearest known one', async () => {
    const m = model();
    const x = loom.randn([4, 10, 3]);
    const y = loom.randn([4, 1]);
    await expect(m.fit(x, y, { epochz: 1 } as loom.ModelFitArgs)).rejects.toThrow(/fit: unknown option args\.epochz; did you mean 'epochs'\?/);
    await expect(m.fit(x, y, { batch_size: 2 } as loom.ModelFitArgs)).rejects.toThrow(/did you mean 'batchSize'/);
    await expect(m.fit(x, y, { workers: 2 } as loom.ModelFitArgs)).rejects.toThrow(/unknown option args\.workers \(known: epochs, /);
    await expect(m.evaluate(x, y, { batchsize: 2 } as loom.ModelEvaluateArgs)).rejects.toThrow(/evaluate: unknown option args\.batchsize; did you mean 'batchSize'/);
    await expect(m.predict(x, { verbose: 0 } as loom.ModelPredictArgs)).rejects.toThrow(/predict: unknown option args\.verbose/);
    expect(() => m.compile({ optimiser: 'adam', loss: 'mse' } as unknown as loom.ModelCompileArgs)).toThrow(/compile: unknown option args\.optimiser; did you mean 'optimizer'/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse', metric: ['mae'] } as unknown as loom.ModelCompileArgs)).toThrow(/did you mean 'metrics'/);
  });
});

describe('input shapes', () => {
  it("check x against inputShape, naming the argument and the user's shape", async () => {
    const m = model();
    const bad = loom.randn([4, 7, 3]);
    await expect(m.predict(bad)).rejects.toThrow(/predict: x must be \[batch, 10, 3\], got \[4, 7, 3\]/);
    await expect(m.fit(bad, loom.randn([4, 1]), { verbose: 0 })).rejects.toThrow(/fit: x must be \[batch, 10, 3\], got \[4, 7, 3\]/);
    await expect(m.evaluate(loom.randn([5, 10]), loom.randn([5, 1]))).rejects.toThrow(/evaluate: x must be \[batch, 10, 3\], got \[5, 10\]/);
    await expect(m.fit(loom.randn([4, 10, 3]), loom.randn([4, 1]), { verbose: 0, validationData: [bad, loom.randn([4, 1])] })).rejects.toThrow(
      /fit: args\.validationData\[0\] must be \[batch, 10, 3\], got \[4, 7, 3\]/,
    );
    await expect(m.predict([loom.randn([2, 10, 3]), loom.randn([2, 10, 3])])).rejects.toThrow(/predict: x must be one tensor/);
  });

  it('name mismatched x and y lengths', async () => {
    const m = model();
    await expect(m.fit(loom.randn([4, 10, 3]), loom.randn([5, 1]), { verbose: 0 })).rejects.toThrow(/fit: y must have 4 rows \(as x\), got \[5, 1\]/);
    await expect(m.evaluate(loom.randn([4, 10, 3]), loom.randn([3, 1]))).rejects.toThrow(/evaluate: y must have 4 rows \(as x\), got \[3, 1\]/);
  });

  it('leave a free time axis free', async () => {
    loom.seed(2);
    const m = loom.sequential({ layers: [loom.layers.gru({ units: 2, inputShape: [null, 3] })] });
    models.push(m);
    expect(((await m.predict(loom.randn([2, 7, 3]))) as loom.Tensor).shape).toEqual([2, 2]);
    await expect(m.predict(loom.randn([2, 7, 4]))).rejects.toThrow(/predict: x must be \[batch, null, 3\], got \[2, 7, 4\]/);
  });
});
