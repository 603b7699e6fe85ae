import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/node.js';

// Each worker loads the addon on its own and multiplies [64 x 64] matrices many times, so
// the four overlap inside native code and contend for the thread pool.
const workerCode = `
const { parentPort, workerData } = require('node:worker_threads');
const loom = require(workerData.dist);
const n = 64;
const a = new Float32Array(n * n).map((_, i) => ((i * 7 + workerData.id) % 13) / 13);
const A = new loom.Tensor(a, [n, n]);
let C;
for (let r = 0; r < 200; r++) C = loom.ops.gemm(A, A);
let sum = 0;
for (const v of C.data) sum += v;
parentPort.postMessage({ id: workerData.id, isa: loom.backend().isa, sum });
`;

function expectedSum(id: number): number {
  const n = 64;
  const a = Array.from({ length: n * n }, (_, i) => ((i * 7 + id) % 13) / 13);
  let sum = 0;
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) sum += a[i * n + k]! * a[k * n + j]!;
  return sum;
}

describe('worker_threads', () => {
  it('loads and runs the addon in 4 workers at once', async () => {
    const results = await Promise.all(
      [0, 1, 2, 3].map(
        (id) =>
          new Promise<{ id: number; isa: string; sum: number }>((resolve, reject) => {
            const w = new Worker(workerCode, { eval: true, workerData: { id, dist: join(root, 'dist/index.cjs') } });
            w.once('message', (m) => {
              resolve(m);
              void w.terminate();
            });
            w.once('error', reject);
          }),
      ),
    );
    for (const r of results) {
      expect(r.sum).toBeCloseTo(expectedSum(r.id), 0);
      expect(r.isa).toMatch(/^(sse|avx2|avx512)$/);
    }
  });
});
