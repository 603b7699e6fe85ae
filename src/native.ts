// The only file that touches the addon. Loads it lazily with node-gyp-build (a prebuilt
// binary from prebuilds/, or build/Release from a source build) and turns native errors
// into LoomErrors whose stack is the caller's, captured before the call.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { LoomError } from './errors.js';

export interface NativeBackend {
  isa: 'sse' | 'avx2' | 'avx512';
  cpuIsa: 'sse' | 'avx2' | 'avx512';
  threads: number;
  physicalCores: number;
  openmp: boolean;
  cuda: boolean;
}

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  alpha: number;
  A: Float32Array;
  lda: number;
  B: Float32Array;
  ldb: number;
  beta: number;
  C: Float32Array;
  ldc: number;
  reference?: boolean;
}

/** y[b] = R x[b] (+ y[b] when beta is 1) for b < nx: the small-batch recurrent product
 * (native/kernels/gemm/gemm.h). */
export interface GemvArgs {
  M: number;
  K: number;
  R: Float32Array;
  ldr: number;
  nx: number;
  x: Float32Array;
  ldx: number;
  beta: 0 | 1;
  y: Float32Array;
  ldy: number;
  reference?: boolean;
}

/** y = R[n0:n1, :] x (+ y when beta is 1), R [N, K] packed as the recurrent steps pack R^T. */
export interface GemvPackedArgs {
  N: number;
  K: number;
  R: Float32Array;
  ldr: number;
  x: Float32Array;
  n0: number;
  n1: number;
  beta: 0 | 1;
  y: Float32Array;
  reference?: boolean;
}

/** Mirrors loom::RecurrentDesc (native/kernels/sequence.h). */
export interface RecurrentDesc {
  cell: number;
  direction: number;
  T: number;
  B: number;
  I: number;
  H: number;
  activations: number[];
  alphas: number[];
  betas: number[];
  clip: number;
  inputForget: boolean;
  linearBeforeReset: boolean;
  checkpointEvery: number;
}

type F32 = Float32Array | null;

export interface RecurrentForwardBuffers {
  X: Float32Array;
  W: Float32Array;
  R: Float32Array;
  B: F32;
  P: F32;
  sequenceLens: Int32Array | null;
  initialH: F32;
  initialC: F32;
  Y: F32;
  Yh: F32;
  Yc: F32;
  reserve: F32;
  /** recurrentPack's output for this desc, or absent: W and R are packed by the call. */
  packed?: F32;
}

export interface RecurrentBackwardBuffers {
  X: Float32Array;
  W: Float32Array;
  R: Float32Array;
  B: F32;
  P: F32;
  sequenceLens: Int32Array | null;
  initialH: F32;
  initialC: F32;
  reserve: Float32Array;
  dY: F32;
  dYh: F32;
  dYc: F32;
  dX: F32;
  dW: F32;
  dR: F32;
  dB: F32;
  dP: F32;
  dInitialH: F32;
  dInitialC: F32;
}

interface Binding {
  backend(): NativeBackend;
  setNumThreads(n: number): void;
  fmaPeak(iterations: number): number;
  sgemm(args: GemmArgs): void;
  sgemmAsync(args: GemmArgs): Promise<void>;
  gemv(args: GemvArgs): void;
  gemvPacked(args: GemvPackedArgs): void;
  recurrentReserveSize(desc: RecurrentDesc): number;
  recurrentPackKey(desc: RecurrentDesc): string;
  recurrentPackSize(desc: RecurrentDesc): number;
  recurrentPack(desc: RecurrentDesc, buffers: { W: Float32Array; R: Float32Array; packed: Float32Array }): void;
  recurrentForward(desc: RecurrentDesc, buffers: RecurrentForwardBuffers): void;
  recurrentForwardAsync(desc: RecurrentDesc, buffers: RecurrentForwardBuffers): Promise<void>;
  recurrentBackward(desc: RecurrentDesc, buffers: RecurrentBackwardBuffers): void;
  recurrentBackwardAsync(desc: RecurrentDesc, buffers: RecurrentBackwardBuffers): Promise<void>;
  // Element-wise and reduction kernels: one args object of sizes and typed arrays each
  // (native/addon/elementwise.cc lists the fields).
  activationForward(args: object): void;
  activationBackward(args: object): void;
  binaryForward(args: object): void;
  binaryBackward(args: object): void;
  biasForward(args: object): void;
  biasBackward(args: object): void;
  softmaxForward(args: object): void;
  softmaxBackward(args: object): void;
  crossEntropyForward(args: object): void;
  crossEntropyBackward(args: object): void;
  binaryCrossEntropyForward(args: object): void;
  binaryCrossEntropyBackward(args: object): void;
  embeddingForward(args: object): void;
  embeddingBackward(args: object): void;
  layerNormForward(args: object): void;
  layerNormBackward(args: object): void;
  dropoutForward(args: object): void;
  dropoutBackward(args: object): void;
  reduceForward(args: object): void;
  reduceBackward(args: object): void;
}

const require = createRequire(import.meta.url);
// Both src/native.ts and the bundled dist/index.* sit one folder below the package root.
const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export const version: string = (require('../package.json') as { version: string }).version;

let loaded: Binding | undefined;

function binding(): Binding {
  if (loaded) return loaded;
  try {
    const load = require('node-gyp-build') as (dir: string) => Binding;
    loaded = load(packageRoot);
  } catch (cause) {
    throw new LoomError(
      `loomrnn: no native binary loads for ${process.platform}-${process.arch} ` +
        `(Node ${process.versions.node}, N-API ${process.versions.napi}). ` +
        `Build it from source: run \`npm rebuild loomrnn --build-from-source\` or ` +
        `\`npx node-gyp rebuild\` inside node_modules/loomrnn (needs python3, make and a ` +
        `C++17 compiler). Cause: ${(cause as Error).message}`,
      'ENOBINARY',
      { cause },
    );
  }
  return loaded;
}

function toLoomError(error: unknown, stackFrom?: Error): unknown {
  if (!(error instanceof Error)) return error;
  const code = (error as { code?: unknown }).code;
  const wrapped = new LoomError(error.message, typeof code === 'string' ? code : 'EINTERNAL', {
    cause: error,
  });
  if (stackFrom?.stack) {
    wrapped.stack = `LoomError: ${error.message}\n${stackFrom.stack.split('\n').slice(1).join('\n')}`;
  }
  return wrapped;
}

function callSync<T>(fn: (b: Binding) => T): T {
  const b = binding();
  try {
    return fn(b);
  } catch (error) {
    throw toLoomError(error);
  }
}

async function callAsync(fn: (b: Binding) => Promise<void>): Promise<void> {
  // The rejection arrives on a later tick with no JS frames of the caller: keep them now.
  const trace = new Error();
  const b = binding();
  try {
    await fn(b);
  } catch (error) {
    throw toLoomError(error, trace);
  }
}

export const native = {
  backend: () => callSync((b) => b.backend()),
  setNumThreads: (n: number) => callSync((b) => b.setNumThreads(n)),
  fmaPeak: (iterations: number) => callSync((b) => b.fmaPeak(iterations)),
  sgemm: (args: GemmArgs) => callSync((b) => b.sgemm(args)),
  sgemmAsync: (args: GemmArgs) => callAsync((b) => b.sgemmAsync(args)),
  gemv: (args: GemvArgs) => callSync((b) => b.gemv(args)),
  gemvPacked: (args: GemvPackedArgs) => callSync((b) => b.gemvPacked(args)),
  recurrentReserveSize: (desc: RecurrentDesc) => callSync((b) => b.recurrentReserveSize(desc)),
  recurrentPackKey: (desc: RecurrentDesc) => callSync((b) => b.recurrentPackKey(desc)),
  recurrentPackSize: (desc: RecurrentDesc) => callSync((b) => b.recurrentPackSize(desc)),
  recurrentPack: (desc: RecurrentDesc, buffers: { W: Float32Array; R: Float32Array; packed: Float32Array }) =>
    callSync((b) => b.recurrentPack(desc, buffers)),
  recurrentForward: (desc: RecurrentDesc, buffers: RecurrentForwardBuffers) =>
    callSync((b) => b.recurrentForward(desc, buffers)),
  recurrentForwardAsync: (desc: RecurrentDesc, buffers: RecurrentForwardBuffers) =>
    callAsync((b) => b.recurrentForwardAsync(desc, buffers)),
  recurrentBackward: (desc: RecurrentDesc, buffers: RecurrentBackwardBuffers) =>
    callSync((b) => b.recurrentBackward(desc, buffers)),
  recurrentBackwardAsync: (desc: RecurrentDesc, buffers: RecurrentBackwardBuffers) =>
    callAsync((b) => b.recurrentBackwardAsync(desc, buffers)),
  activationForward: (args: object) => callSync((b) => b.activationForward(args)),
  activationBackward: (args: object) => callSync((b) => b.activationBackward(args)),
  binaryForward: (args: object) => callSync((b) => b.binaryForward(args)),
  binaryBackward: (args: object) => callSync((b) => b.binaryBackward(args)),
  biasForward: (args: object) => callSync((b) => b.biasForward(args)),
  biasBackward: (args: object) => callSync((b) => b.biasBackward(args)),
  softmaxForward: (args: object) => callSync((b) => b.softmaxForward(args)),
  softmaxBackward: (args: object) => callSync((b) => b.softmaxBackward(args)),
  crossEntropyForward: (args: object) => callSync((b) => b.crossEntropyForward(args)),
  crossEntropyBackward: (args: object) => callSync((b) => b.crossEntropyBackward(args)),
  binaryCrossEntropyForward: (args: object) => callSync((b) => b.binaryCrossEntropyForward(args)),
  binaryCrossEntropyBackward: (args: object) => callSync((b) => b.binaryCrossEntropyBackward(args)),
  embeddingForward: (args: object) => callSync((b) => b.embeddingForward(args)),
  embeddingBackward: (args: object) => callSync((b) => b.embeddingBackward(args)),
  layerNormForward: (args: object) => callSync((b) => b.layerNormForward(args)),
  layerNormBackward: (args: object) => callSync((b) => b.layerNormBackward(args)),
  dropoutForward: (args: object) => callSync((b) => b.dropoutForward(args)),
  dropoutBackward: (args: object) => callSync((b) => b.dropoutBackward(args)),
  reduceForward: (args: object) => callSync((b) => b.reduceForward(args)),
  reduceBackward: (args: object) => callSync((b) => b.reduceBackward(args)),
};
