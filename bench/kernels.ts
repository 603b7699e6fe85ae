// npm run bench:kernels — SGEMM and whole-sequence RNN/LSTM/GRU speed, as GFLOP/s, as a
// share of this machine's FMA peak (measured here), and as ratios to the peers run in the
// same script: onnxruntime-node (inference), PyTorch (training), OpenBLAS via numpy (SGEMM).
// Writes bench/results/kernels.json.
//
// Options (environment): LOOMRNN_BENCH_BUDGET seconds per measurement (default 1.5),
// LOOMRNN_BENCH_ONLY substrings separated by '|', one of which a workload's id must contain.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { backend, ops, Tensor, version } from '../src/index.js';
import { native } from '../src/native.js';
import { ortInference, ortVersion, type RecurrentWeights } from './peers/onnxruntime.js';
import { runTorch, torchMissing } from './peers/torch.js';
import { median, sampleSeconds, type TimingOptions } from './timing.js';
import {
  flops, GATES, itemsPerStep, recurrentWorkloads, sgemmWorkloads,
  type RecurrentWorkload, type SgemmWorkload, type Workload,
} from './workloads.js';

const budget = Number(process.env.LOOMRNN_BENCH_BUDGET ?? 1.5);
if (!(budget > 0)) throw new RangeError(`LOOMRNN_BENCH_BUDGET must be a positive number of seconds, got ${process.env.LOOMRNN_BENCH_BUDGET}`);
const only = (process.env.LOOMRNN_BENCH_ONLY ?? '').split('|');
const timing: TimingOptions = { budgetSeconds: budget, minReps: 5, warmup: 2, warmupSeconds: 1 };

let seed = 42;
function random(n: number, scale = 0.1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = (seed / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function loomSgemm(w: SgemmWorkload): () => void {
  const args = {
    transA: false, transB: false, M: w.M, N: w.N, K: w.K, alpha: 1, beta: 0,
    A: random(w.M * w.K), lda: w.K, B: random(w.K * w.N), ldb: w.N, C: new Float32Array(w.M * w.N), ldc: w.N,
  };
  return () => native.sgemm(args);
}

function weightsFor(w: RecurrentWorkload): RecurrentWeights {
  const G = GATES[w.cell];
  // PyTorch's default init range: weights of this size keep the activations unsaturated.
  const k = 1 / Math.sqrt(w.H);
  return { X: random(w.T * w.B * w.I, 1), W: random(G * w.H * w.I, k), R: random(G * w.H * w.H, k), B: random(2 * G * w.H, k) };
}

function loomRecurrent(w: RecurrentWorkload, weights: RecurrentWeights): () => void {
  const G = GATES[w.cell];
  const inputs = {
    X: new Tensor(weights.X, [w.T, w.B, w.I]),
    W: new Tensor(weights.W, [1, G * w.H, w.I]),
    R: new Tensor(weights.R, [1, G * w.H, w.H]),
    B: new Tensor(weights.B, [1, 2 * G * w.H]),
  };
  // GRU as PyTorch and Keras run it (reset gate after the recurrent product).
  const options = { cell: w.cell, hiddenSize: w.H, linearBeforeReset: w.cell === 'gru' };
  // Inference packs W and R once, as onnxruntime packs a model's initializers when its
  // session is created; training repacks them every step, as they change every step.
  if (w.mode === 'infer') {
    const packed = ops.packRecurrentWeights(inputs, options);
    return () => ops.recurrentForward(inputs, options, { packed });
  }
  // As PyTorch's y.sum().backward(): an upstream gradient of ones on Y.
  const dY = new Tensor(new Float32Array(w.T * w.B * w.H).fill(1), [w.T, 1, w.B, w.H]);
  return () => {
    const f = ops.recurrentForward(inputs, options, { training: true });
    ops.recurrentBackward(f.saved!, { dY });
    // As autograd does once backward has run: the next step's forward reuses the reserve.
    ops.releaseRecurrentSaved(f.saved!);
  };
}

interface Row {
  id: string;
  kind: Workload['kind'];
  mode?: 'infer' | 'train';
  seconds: number;
  itemsPerSecond: number;
  gflops: number;
  peakPercent: number;
  /** ratio = seconds / loomSeconds, loomrnn's median over the same stretch as the peer's. */
  peers: Record<string, { seconds: number; gflops: number; ratio: number; loomSeconds: number }>;
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const info = backend();
  const threads = info.threads;
  const peak = Math.max(...Array.from({ length: 5 }, () => native.fmaPeak(20_000_000)));
  console.log(`loomrnn ${version} isa=${info.isa} threads=${threads} cpu="${cpus()[0]?.model ?? '?'}"`);
  console.log(`FMA peak (measured, ${threads} threads): ${fmt(peak, 1)} GFLOP/s\n`);

  const workloads: Workload[] = [...sgemmWorkloads(), ...recurrentWorkloads()].filter((w) => only.some((o) => w.id.includes(o)));
  const loomSamples = new Map<string, number[]>();
  // onnxruntime's median and loomrnn's over the same interleaved rounds: that pair alone
  // makes the onnxruntime ratio (loomrnn's later samples belong to the PyTorch comparison).
  const ortPairs = new Map<string, { ort: number; loom: number }>();

  // Pass 1: SGEMM, loomrnn alone (OpenBLAS runs in pass 2).
  for (const w of workloads) {
    if (w.kind !== 'sgemm') continue;
    loomSamples.set(w.id, await sampleSeconds(loomSgemm(w), timing));
    process.stderr.write(`  ${w.id}\n`);
  }

  // Inference: loomrnn and onnxruntime in turn, in rounds that each visit every inference
  // workload, so a workload's samples spread over the whole pass (minutes) rather than a
  // few seconds of it: the machine has phases of seconds to minutes in which two-thread
  // runs slow by 10-25%, and a ratio taken inside one phase moves with it. Both sides of
  // every pair still run back to back; each warms up afresh after the switch of shape.
  const inference = workloads.filter((w): w is RecurrentWorkload => w.kind === 'recurrent' && w.mode === 'infer');
  const pairs = [];
  for (const w of inference) {
    const weights = weightsFor(w);
    pairs.push({ w, loom: loomRecurrent(w, weights), ort: await ortInference(w, weights, threads), loomS: [] as number[], ortS: [] as number[] });
  }
  const rounds = 5;
  const round = { ...timing, budgetSeconds: timing.budgetSeconds / 2, minReps: Math.ceil(timing.minReps / 2) };
  for (let r = 0; r < rounds; r++) {
    for (const pair of pairs) {
      const a = await sampleSeconds(pair.loom, round); pair.loomS.push(...a);
      const b = await sampleSeconds(pair.ort.step, round); pair.ortS.push(...b);
      if (process.env.DEBUG_ROUNDS) console.error('round', r, pair.w.id, 'loom', (median(a) * 1e3).toFixed(2), a.length, 'ort', (median(b) * 1e3).toFixed(2), b.length);
    }
    process.stderr.write(`  inference round ${r + 1} of ${rounds}\n`);
  }
  for (const pair of pairs) {
    loomSamples.set(pair.w.id, pair.loomS);
    ortPairs.set(pair.w.id, { ort: median(pair.ortS), loom: median(pair.loomS) });
    await pair.ort.release();
  }

  // Then training, loomrnn alone (PyTorch runs in pass 2).
  for (const w of workloads) {
    if (w.kind !== 'recurrent' || w.mode !== 'train') continue;
    loomSamples.set(w.id, await sampleSeconds(loomRecurrent(w, weightsFor(w)), timing));
    process.stderr.write(`  ${w.id}\n`);
  }

  // Pass 2: PyTorch in its own process, then loomrnn again, so each system's median spans
  // the same stretch of machine time.
  const missing = torchMissing();
  const torchItems = workloads.map((w) => ({ ...w, reps: Math.min(200, Math.max(5, Math.ceil(budget / median(loomSamples.get(w.id)!)))) }));
  const torch = missing ? null : runTorch(torchItems, threads);
  if (torch) {
    for (const w of workloads) {
      const step = w.kind === 'sgemm' ? loomSgemm(w) : loomRecurrent(w, weightsFor(w));
      loomSamples.get(w.id)!.push(...(await sampleSeconds(step, timing)));
    }
  }

  const rows: Row[] = workloads.map((w) => {
    const seconds = median(loomSamples.get(w.id)!);
    const gflops = flops(w) / seconds / 1e9;
    const peers: Row['peers'] = {};
    const peer = (name: string, s: number | undefined, loom = seconds) => {
      if (s !== undefined) peers[name] = { seconds: s, gflops: flops(w) / s / 1e9, ratio: s / loom, loomSeconds: loom };
    };
    const pair = ortPairs.get(w.id);
    peer('onnxruntime', pair?.ort, pair?.loom);
    peer(w.kind === 'sgemm' ? 'openblas' : 'pytorch', torch?.seconds.get(w.id));
    return {
      id: w.id, kind: w.kind, ...(w.kind === 'recurrent' ? { mode: w.mode } : {}),
      seconds, itemsPerSecond: itemsPerStep(w) / seconds, gflops, peakPercent: (100 * gflops) / peak, peers,
    };
  });

  const header = ['workload', 'ms/step', 'seq/s', 'GFLOP/s', '% peak', 'peer', 'peer GFLOP/s', 'loom / peer'];
  const lines = rows.map((r) => {
    const name = Object.keys(r.peers)[0];
    const p = name ? r.peers[name]! : undefined;
    return [
      r.id, fmt(r.seconds * 1e3, 2), r.kind === 'recurrent' ? fmt(r.itemsPerSecond) : '', fmt(r.gflops, 1), fmt(r.peakPercent, 1),
      name ?? '', p ? fmt(p.gflops, 1) : '', p ? `${fmt(p.ratio, 2)}x` : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(show(header));
  for (const l of lines) console.log(show(l));
  if (missing) console.log(`\nPyTorch peer skipped: ${missing} (apt-get install python3-torch libopenblas0-openmp)`);

  const out = fileURLToPath(new URL('./results/kernels.json', import.meta.url));
  mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
  writeFileSync(out, JSON.stringify({
    date: new Date().toISOString(),
    loomrnn: version, isa: info.isa, threads, cpu: cpus()[0]?.model, peakGflops: peak, budgetSeconds: budget,
    peers: { onnxruntime: ortVersion(), pytorch: torch?.torch ?? null, pytorchMissing: missing },
    rows,
  }, null, 2) + '\n');
  console.log(`\nwrote ${out}`);
}

await main();
