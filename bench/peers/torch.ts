// PyTorch (and, through numpy, the OpenBLAS it links) as the training and SGEMM peer, run
// in a child process on the same workloads. Absent when Debian's python3-torch is not
// installed: the bench then reports loomrnn alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Workload } from '../workloads.js';

const script = fileURLToPath(new URL('./torch_rnn.py', import.meta.url));
// Debian's torch is visible to Debian's interpreter only.
const python = '/usr/bin/python3';
// The OpenMP build of OpenBLAS: the pthread build fights PyTorch's OpenMP threads.
const openblasOpenmp = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

function env(): NodeJS.ProcessEnv {
  if (!existsSync(openblasOpenmp)) return process.env;
  return { ...process.env, LD_LIBRARY_PATH: [openblasOpenmp, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') };
}

/** Why PyTorch cannot run here, or null when it can. */
export function torchMissing(): string | null {
  if (!existsSync(python)) return `${python} not found`;
  const probe = spawnSync(python, ['-c', 'import torch, numpy'], { env: env(), encoding: 'utf8' });
  return probe.status === 0 ? null : `import torch failed: ${probe.stderr.trim().split('\n').pop()}`;
}

export interface TorchResults {
  torch: string;
  seconds: Map<string, number>;
}

/** Median seconds per step for each workload, `reps` timed steps each. */
export function runTorch(items: (Workload & { reps: number })[], threads: number): TorchResults {
  const out = execFileSync(python, [script], {
    input: JSON.stringify({ threads, items }),
    env: env(),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const parsed = JSON.parse(out) as { torch: string; results: { id: string; seconds: number }[] };
  return { torch: parsed.torch, seconds: new Map(parsed.results.map((r) => [r.id, r.seconds])) };
}
