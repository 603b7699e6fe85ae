import { defineConfig } from 'tsup';

export default defineConfig({
  // worker: the thread fit/evaluate/predict run on (src/models/worker-host.ts starts
  // dist/worker.js, a sibling of the bundle that imports it).
  // cli: the `loomrnn` executable (package.json "bin").
  entry: { index: 'src/index.ts', worker: 'src/models/worker.ts', cli: 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  // import.meta.url in the CommonJS build (src/native.ts finds the package root with it).
  shims: true,
  clean: true,
  target: 'node20',
  outDir: 'dist',
});
