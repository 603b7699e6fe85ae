import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as loom from '../../src/index.js';
import { mulberry32, uniformF32 } from '../helpers/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-save-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const models: loom.Module[] = [];
afterEach(async () => {
  for (const m of models.splice(0)) await m.dispose();
});
const track = <T extends loom.Module>(m: T): T => (models.push(m), m);
const flat = (ws: loom.Tensor[]) => ws.flatMap((w) => Array.from(w.data));

function textData(n: number, T: number, V: number, seed: number) {
  const rng = mulberry32(seed);
  const ids = new Int32Array(n * T);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    // Right-padded rows of varied lengths.
    const len = 2 + Math.floor(rng() * (T - 1));
    for (let t = 0; t < len; t++) ids[i * T + t] = 1 + Math.floor(rng() * (V - 1));
    y[i] = ids[i * T]! % 2;
  }
  return { x: new loom.Tensor(ids, [n, T]), y: new loom.Tensor(y, [n, 1]) };
}

function classifier(): loom.Sequential {
  return track(
    loom.sequential({
      layers: [
        loom.layers.embedding({ inputDim: 20, outputDim: 4, maskZero: true }),
        loom.layers.bidirectional({ layer: loom.layers.lstm({ units: 5 }) }),
        loom.layers.dense({ units: 1, activation: 'sigmoid' }),
      ],
    }),
  );
}

describe('save / loadModel', () => {
  it('round-trips config, weights and predictions of a model built by its first call', async () => {
    loom.seed(1);
    const model = classifier();
    const { x } = textData(12, 7, 20, 1);
    const before = (await model.predict(x)) as loom.Tensor;
    const path = join(dir, 'classifier.loom');
    await model.save(path);
    const loaded = track(await loom.loadModel(path));
    expect(loaded).toBeInstanceOf(loom.Sequential);
    expect(loaded.name).toBe(model.name);
    expect(loaded.layers.map((l) => [l.name, l.className])).toEqual(model.layers.map((l) => [l.name, l.className]));
    expect(loaded.weights.map((w) => w.name)).toEqual(model.weights.map((w) => w.name));
    expect(flat(loaded.getWeights())).toEqual(flat(model.getWeights()));
    expect(Array.from(((await loaded.predict(x)) as loom.Tensor).data)).toEqual(Array.from(before.data));
  });

  it('restores the compile state and optimizer state, so training resumes exactly', async () => {
    loom.seed(2);
    const a = classifier();
    const b = classifier();
    const { x, y } = textData(48, 7, 20, 2);
    a.apply(x);
    b.apply(x);
    b.setWeights(a.getWeights());
    for (const m of [a, b]) m.compile({ optimizer: loom.optimizers.adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await a.fit(x, y, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0 });
    await b.fit(x, y, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
    const path = join(dir, 'resume.loom');
    await b.save(path);
    const c = track(await loom.loadModel(path));
    expect(c.optimizer).toBeInstanceOf(loom.optimizers.Adam);
    expect(c.optimizer.iterations).toBe(3);
    const history = await c.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 16, shuffle: false, verbose: 0 });
    expect(Object.keys(history.history).sort()).toEqual(['accuracy', 'loss']);
    expect(flat(c.getWeights())).toEqual(flat(a.getWeights()));
  });

  it('saves and loads a registered define-by-run Module', async () => {
    class TwoTower extends loom.Module {
      static override className = 'TwoTower';
      readonly units: number;
      left: loom.Layer;
      right: loom.Layer;
      constructor(config: { units: number; name?: string }) {
        super(config.name === undefined ? {} : { name: config.name });
        this.units = config.units;
        this.left = loom.layers.dense({ units: config.units, name: `${this.name}_left` });
        this.right = loom.layers.dense({ units: config.units, name: `${this.name}_right` });
      }
      override forward(inputs: loom.Tensor | loom.Tensor[]): loom.Tensor {
        const [a, b] = inputs as loom.Tensor[];
        return loom.add(this.left.apply(a!) as loom.Tensor, this.right.apply(b!) as loom.Tensor);
      }
      override getConfig(): Record<string, unknown> {
        return { name: this.name, units: this.units };
      }
      static fromConfig(config: Record<string, unknown>): TwoTower {
        return new TwoTower(config as { units: number; name?: string });
      }
    }
    loom.registerModel(TwoTower);
    loom.seed(3);
    const model = track(new TwoTower({ units: 3 }));
    const rng = mulberry32(4);
    const inputs = [new loom.Tensor(Float32Array.from(uniformF32(rng, 8)), [2, 4]), new loom.Tensor(Float32Array.from(uniformF32(rng, 10)), [2, 5])];
    const out = model.apply(inputs) as loom.Tensor;
    const path = join(dir, 'two-tower.loom');
    await model.save(path);
    const loaded = track(await loom.loadModel(path));
    expect(loaded).toBeInstanceOf(TwoTower);
    expect(Array.from((loaded.apply(inputs) as loom.Tensor).data)).toEqual(Array.from(out.data));
  });

  it('refuses to save an unregistered Module subclass or an unbuilt model, naming why', async () => {
    class Anonymous extends loom.Module {
      layer = loom.layers.dense({ units: 1 });
      override forward(x: loom.Tensor | loom.Tensor[]): loom.Tensor {
        return this.layer.apply(x) as loom.Tensor;
      }
    }
    const m = track(new Anonymous());
    await expect(m.save(join(dir, 'x.loom'))).rejects.toThrow(/not built/);
    m.apply(new loom.Tensor(new Float32Array(2), [1, 2]));
    await expect(m.save(join(dir, 'x.loom'))).rejects.toThrow(/Anonymous is not a registered model class: .*registerModel/);
  });

  it('rejects damaged files with a clear error', async () => {
    loom.seed(4);
    const model = classifier();
    model.apply(textData(2, 7, 20, 5).x);
    const path = join(dir, 'damaged.loom');
    await model.save(path);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.byteLength - 100));
    await expect(loom.loadModel(path)).rejects.toThrow(/damaged\.loom: truncated: the header promises \d+ bytes, the file has \d+/);
    bytes[bytes.byteLength - 5]! ^= 1;
    writeFileSync(path, bytes);
    await expect(loom.loadModel(path)).rejects.toThrow(/checksum mismatch/);
  });
});
