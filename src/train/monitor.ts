// What the monitoring callbacks share: which way a logged quantity improves, and reading it.
import { Tensor } from '../tensor/tensor.js';
import type { Logs } from './callback.js';

export type Mode = 'auto' | 'min' | 'max';
export const MODES: readonly Mode[] = ['auto', 'min', 'max'];

// Quantities where larger is better, for mode 'auto' (as Keras's metric directions).
export function higherIsBetter(monitor: string): boolean {
  const name = monitor.replace(/^val_/, '');
  return /acc|precision|recall|auc/i.test(name);
}

/** Whether `current` improves on `best` by more than minDelta in the monitor's direction. */
export function improves(maximize: boolean, minDelta: number, current: number, best: number | null): boolean {
  if (best === null) return true;
  return maximize ? current - minDelta > best : current + minDelta < best;
}

export function copyWeights(ws: Tensor[]): Tensor[] {
  return ws.map((w) => new Tensor(w.data.slice(), w.shape, w.dtype));
}

export function monitored(fn: string, monitor: string, logs: Logs | undefined): number | null {
  const v = logs?.[monitor];
  if (typeof v === 'number') return v;
  console.warn(`${fn}: '${monitor}' is not in the logs, so it was skipped this epoch; available: ${Object.keys(logs ?? {}).join(', ') || 'none'}`);
  return null;
}
