import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as loom from '../src/index.js';
import { root, runNode } from './helpers/node.js';

describe('backend()', () => {
  it('reports the ISA, thread count, build options and version', () => {
    const b = loom.backend();
    expect(['sse', 'avx2', 'avx512']).toContain(b.isa);
    expect(b.threads).toBeGreaterThanOrEqual(1);
    expect(b.openmp).toBe(false);
    expect(b.cuda).toBe(false);
    expect(b.version).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('defaults to the physical core count, which setNumThreads changes', () => {
    const cores = Number(runNode(`process.stdout.write(String(require('./dist/index.cjs').backend().threads))`));
    expect(cores).toBeGreaterThanOrEqual(1);
    const before = loom.backend().threads;
    loom.setNumThreads(1);
    expect(loom.backend().threads).toBe(1);
    loom.setNumThreads(before);
    expect(loom.backend().threads).toBe(before);
  });

  it('rejects a thread count that is not a positive integer, naming it', () => {
    expect(() => loom.setNumThreads(0)).toThrow(/setNumThreads: n must be an integer in \[1, 1024\], got 0/);
    expect(() => loom.setNumThreads(1.5)).toThrow(RangeError);
    expect(() => loom.setNumThreads('2' as unknown as number)).toThrow(/got 2/);
  });
});

describe('LOOMRNN_ISA', () => {
  const levels = ['sse', 'avx2', 'avx512'] as const;
  const best = loom.backend().isa;
  const isaOf = (value: string) =>
    runNode(`process.stdout.write(require('./dist/index.cjs').backend().isa)`, { LOOMRNN_ISA: value });

  it.each(levels.filter((l) => levels.indexOf(l) <= levels.indexOf(best)))('forces %s', (level) => {
    expect(isaOf(level)).toBe(level);
  });

  it('never raises the level above what the CPU has', () => {
    expect(isaOf('avx512')).toBe(best);
  });

  it('rejects an unknown level with a LoomError naming the variable and value', () => {
    const out = runNode(
      `try { require('./dist/index.cjs').backend() } catch (e) { process.stdout.write(e.name + ' ' + e.code + ' ' + e.message) }`,
      { LOOMRNN_ISA: 'avx9' },
    );
    expect(out).toBe("LoomError EINVAL LOOMRNN_ISA must be sse, avx2 or avx512, got 'avx9'");
  });
});
