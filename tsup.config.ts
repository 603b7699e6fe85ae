import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  // import.meta.url in the CommonJS build (src/native.ts finds the package root with it).
  shims: true,
  clean: true,
  target: 'node20',
  outDir: 'dist',
});
