// Batch callbacks of a fit() that runs on a worker thread. Keras runs onBatchBegin/onBatchEnd
// between the steps, so what they do to the model (setWeights, a new learning rate, stop)
// takes effect at the next step, and the weights they read are the step's. Messages cannot
// give that: the worker would have to return to its event loop inside the training loop.
// So, when a callback has batch hooks, the two threads share one block of memory:
//
//   Int32   [0] batches the main thread has answered   [1] weights written by main (0/1)
//           [2] learning rate written by main (0/1)    [3] unused (alignment)
//   Float64 learning rate
//   Float32 every weight, in the model's `weights` order
//
// The worker writes its weights there before posting batchEnd, then (after both batchBegin
// and batchEnd) blocks in Atomics.wait until the main thread has run the callbacks, copied
// the weights in, written back anything they changed, and counted the batch as answered.
// Without batch hooks nothing is shared and the worker never waits.
import type { LayerVariable } from '../layers/layer.js';
import type { Optimizer } from '../train/optimizer.js';
import type { ModuleBase } from './module.js';

const ANSWERED = 0;
const WEIGHTS = 1;
const RATE = 2;
const HEADER_BYTES = 24;
// Long enough not to spin; a bound so a terminated main thread does not park the worker forever.
const WAIT_MS = 1000;

function weightCount(variables: readonly LayerVariable[]): number {
  return variables.reduce((n, w) => n + w.value.size, 0);
}

/** Shared memory sized for `model`'s weights. */
export function createBatchSyncBuffer(model: ModuleBase): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + 4 * weightCount(model.weights));
}

export class BatchSync {
  private readonly control: Int32Array;
  private readonly rate: Float64Array;
  private readonly values: Float32Array;
  /** Worker side: batch events posted so far. */
  private posted = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.control = new Int32Array(buffer, 0, 4);
    this.rate = new Float64Array(buffer, 16, 1);
    this.values = new Float32Array(buffer, HEADER_BYTES);
  }

  /** Main thread, before the run: the weights and learning rate both sides start from. */
  init(model: ModuleBase, optimizer: Optimizer): void {
    this.copyOut(model.weights);
    const lr = optimizer.learningRate;
    this.rate[0] = typeof lr === 'number' ? lr : NaN;
  }

  /** Worker: shares the weights the callbacks of the coming batchEnd will see. */
  publish(model: ModuleBase): void {
    this.copyOut(model.weights);
  }

  /** Worker: waits for the callbacks of the event just posted, then applies what they changed. */
  awaitMain(model: ModuleBase, optimizer: Optimizer): void {
    this.posted++;
    while (Atomics.load(this.control, ANSWERED) < this.posted) {
      Atomics.wait(this.control, ANSWERED, this.posted - 1, WAIT_MS);
    }
    if (Atomics.exchange(this.control, WEIGHTS, 0) === 1) this.copyIn(model.weights);
    if (Atomics.exchange(this.control, RATE, 0) === 1) optimizer.learningRate = this.rate[0]!;
  }

  /** Main thread, before batchEnd callbacks: the worker's weights after the step. */
  receive(model: ModuleBase): void {
    this.copyIn(model.weights);
  }

  /**
   * Main thread, after a batch event's callbacks: writes back weights or learning rate they
   * changed (found by comparing with what the worker holds, so a layer's own setWeights
   * counts too) and lets the worker go on.
   */
  answer(model: ModuleBase, optimizer: Optimizer): void {
    if (this.differs(model.weights)) {
      this.copyOut(model.weights);
      Atomics.store(this.control, WEIGHTS, 1);
    }
    const lr = optimizer.learningRate;
    if (typeof lr === 'number' && lr !== this.rate[0]) {
      this.rate[0] = lr;
      Atomics.store(this.control, RATE, 1);
    }
    this.release();
  }

  /** Main thread: lets the worker go on without changes (a callback failed; fit is stopping). */
  release(): void {
    Atomics.add(this.control, ANSWERED, 1);
    Atomics.notify(this.control, ANSWERED);
  }

  private copyOut(variables: readonly LayerVariable[]): void {
    let offset = 0;
    for (const w of variables) {
      this.values.set(w.value.data as Float32Array, offset);
      offset += w.value.size;
    }
  }

  private copyIn(variables: readonly LayerVariable[]): void {
    let offset = 0;
    for (const w of variables) {
      (w.value.data as Float32Array).set(this.values.subarray(offset, offset + w.value.size));
      w.value.markModified();
      offset += w.value.size;
    }
  }

  private differs(variables: readonly LayerVariable[]): boolean {
    let offset = 0;
    for (const w of variables) {
      const data = w.value.data;
      for (let i = 0; i < data.length; i++) {
        // Object.is: a NaN written by a callback is a change too.
        if (!Object.is(data[i], this.values[offset + i])) return true;
      }
      offset += data.length;
    }
    return false;
  }
}
