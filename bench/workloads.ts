// The shapes issue #3 asks for, and the FLOP counts every system's speed is converted with.

export type Cell = 'lstm' | 'gru' | 'rnn';
export const GATES: Record<Cell, number> = { lstm: 4, gru: 3, rnn: 1 };

export interface SgemmWorkload {
  kind: 'sgemm';
  id: string;
  M: number;
  N: number;
  K: number;
}

export interface RecurrentWorkload {
  kind: 'recurrent';
  id: string;
  cell: Cell;
  mode: 'infer' | 'train';
  T: number;
  B: number;
  I: number;
  H: number;
}

export type Workload = SgemmWorkload | RecurrentWorkload;

const T = 100;
const I = 128;

export function sgemmWorkloads(): SgemmWorkload[] {
  const cubes = [128, 256, 512, 1024].map((n) => ({ kind: 'sgemm' as const, id: `sgemm ${n}^3`, M: n, N: n, K: n }));
  // The input projection of all steps and the per-step recurrent product of an LSTM.
  const rnn = [256, 512].flatMap((H) => [
    { kind: 'sgemm' as const, id: `sgemm [B*T,I]x[I,4H] H=${H}`, M: 64 * T, N: 4 * H, K: I },
    { kind: 'sgemm' as const, id: `sgemm [B,H]x[H,4H] H=${H}`, M: 64, N: 4 * H, K: H },
  ]);
  return [...cubes, ...rnn];
}

export function recurrentWorkloads(): RecurrentWorkload[] {
  const out: RecurrentWorkload[] = [];
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const H of [256, 512]) {
      for (const B of [64, 1]) {
        for (const mode of ['infer', 'train'] as const) {
          out.push({ kind: 'recurrent', id: `${cell} H=${H} B=${B} ${mode}`, cell, mode, T, B, I, H });
        }
      }
    }
  }
  return out;
}

export function flops(w: Workload): number {
  if (w.kind === 'sgemm') return 2 * w.M * w.N * w.K;
  // The two matrix products per step; the backward pass does twice the forward's (the
  // products for the input gradients and for the weight gradients).
  const forward = 2 * w.T * w.B * GATES[w.cell] * w.H * (w.I + w.H);
  return w.mode === 'train' ? 3 * forward : forward;
}

/** Items per second: sequences for recurrent workloads, products for SGEMM. */
export function itemsPerStep(w: Workload): number {
  return w.kind === 'sgemm' ? 1 : w.B;
}
