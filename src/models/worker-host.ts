// The main thread's side of a model's worker thread: starts it (from the built package's
// dist/worker.js, or from the TypeScript sources through tsx when running unbuilt, as under
// vitest), sends jobs, routes events and results back to the job that asked.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LoomError } from '../errors.js';
import { OnnxFormatError } from '../onnx/proto.js';
import { codeFromStack, NonFiniteLossError } from './loop.js';
import type { EpochReply, FitEvent, FromWorker, Job, ToWorker, WireError } from './protocol.js';

/** A job the worker could not run because the model cannot be rebuilt there. */
export class WorkerUnsupportedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerUnsupportedError';
  }
}

// The error classes a job can fail with, rebuilt on this side so `instanceof` and their
// fields hold as for in-process training. Only name, message and stack cross the thread:
// NonFiniteLossError's epoch and batch are in its message, a LoomError's code in its stack
// header (put there by the loops, see loop.ts withCodeInStack).
const REBUILD: Record<string, (message: string, stack: string | undefined) => Error | null> = {
  TypeError: (m) => new TypeError(m),
  RangeError: (m) => new RangeError(m),
  NonFiniteLossError: (m) => NonFiniteLossError.fromMessage(m),
  OnnxFormatError: (m) => new OnnxFormatError(m),
  LoomError: (m, stack) => new LoomError(m, codeFromStack(stack) ?? 'EINTERNAL'),
};

/** @internal The Error a job failed with, rebuilt from what crossed the thread. */
export function errorFromWire(e: WireError): Error {
  if (e.unsupported) return new WorkerUnsupportedError(e.message);
  const error = REBUILD[e.name]?.(e.message, e.stack) ?? Object.assign(new Error(e.message), { name: e.name });
  // The worker's stack says where it failed; the frames of this side would only show the message port.
  if (e.stack) error.stack = e.stack;
  return error;
}

function startWorker(): Worker {
  const js = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return new Worker(js);
  // Unbuilt sources: the .ts worker runs through tsx's loader, registered inside the
  // worker (a loader given in execArgv does not reach worker threads on Node 20).
  const ts = new URL('./worker.ts', import.meta.url);
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(pkg, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api']!;
  const tsx = pathToFileURL(join(dirname(pkg), exported.import.default)).href;
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  /** Must not reject; for epochEnd its value is the reply. */
  onEvent?: (event: FitEvent) => Promise<EpochReply | void> | void;
}

/**
 * One worker thread per model, started on first use and kept (unref'd while idle, so it
 * never holds the process open) for later jobs; a crash rejects the running jobs and the
 * next job starts a fresh worker.
 */
export class WorkerHost {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  run(job: Job, onEvent?: Pending['onEvent'], transfer: ArrayBuffer[] = []): Promise<unknown> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onEvent ? { onEvent } : {}) });
      worker.ref();
      worker.postMessage({ type: 'run', id, job } satisfies ToWorker, transfer);
    });
  }

  /** Stops the worker thread; a later job starts a new one. */
  async terminate(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker();
    worker.unref();
    worker.on('message', (msg: FromWorker) => this.receive(worker, msg));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(error);
      }
    };
    worker.on('error', (e) => fail(new Error(`model worker thread failed: ${e.message}`, { cause: e })));
    worker.on('exit', (code) => fail(new Error(`model worker thread exited (code ${code}) while a job was running`)));
    this.worker = worker;
    return worker;
  }

  private receive(worker: Worker, msg: FromWorker): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'event') {
      // The fit driver never rejects here: a failing callback stops the loop through the
      // stop flag and fit rejects when the worker's result arrives.
      const answer = p.onEvent?.(msg.event);
      if (msg.event.kind === 'epochEnd') {
        void Promise.resolve(answer).then((reply) => {
          if (this.worker === worker) worker.postMessage({ type: 'reply', id: msg.id, reply: reply ?? { stop: false } } satisfies ToWorker);
        });
      }
      return;
    }
    this.settle(worker, msg.id);
    if (msg.type === 'result') p.resolve(msg.value);
    else p.reject(errorFromWire(msg.error));
  }

  private settle(worker: Worker, id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) worker.unref();
  }
}
