import { native, version } from './native.js';

export interface Backend {
  /** Instruction-set level the kernels run at (lowered by env LOOMRNN_ISA). */
  isa: 'sse' | 'avx2' | 'avx512';
  /** Threads native ops use, including the calling one. */
  threads: number;
  /** True when built with OpenMP (cmake-js -DLOOMRNN_OPENMP=ON); else the built-in pool. */
  openmp: boolean;
  cuda: boolean;
  version: string;
}

/** Which backend, instruction set and thread count native ops use. */
export function backend(): Backend {
  const b = native.backend();
  return { isa: b.isa, threads: b.threads, openmp: b.openmp, cuda: b.cuda, version };
}

/** Threads for native ops (default: physical cores). Affects the whole process. */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 1024) {
    throw new RangeError(`setNumThreads: n must be an integer in [1, 1024], got ${String(n)}`);
  }
  native.setNumThreads(n);
}
