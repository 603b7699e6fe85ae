// Median seconds per call after warm-up; times here drift, so medians of several reps and
// ratios taken within one run (../shared/PEERS.md).
import { performance } from 'node:perf_hooks';

export interface TimingOptions {
  /** Stop adding reps once this much time was spent (after `minReps`). */
  budgetSeconds: number;
  minReps: number;
  /** Untimed calls first: at least this many, and for at least `warmupSeconds`. */
  warmup: number;
  warmupSeconds: number;
}

export async function sampleSeconds(step: () => unknown, options: TimingOptions): Promise<number[]> {
  // A time floor as well as a count: the first ~0.5-1 s of a recurrent shape run up to 25%
  // slower here (seen with one thread too, and not for SGEMM), two calls do not cover it,
  // and a workload's first round would otherwise drag its median.
  const warmStart = performance.now();
  for (let i = 0; i < options.warmup || (performance.now() - warmStart) / 1e3 < options.warmupSeconds; i++) await step();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < options.minReps || (performance.now() - start) / 1e3 < options.budgetSeconds) {
    const t0 = performance.now();
    await step();
    samples.push((performance.now() - t0) / 1e3);
    if (samples.length >= 200) break;
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
