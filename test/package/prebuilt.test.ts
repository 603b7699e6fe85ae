import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers/node.js';

// A user's machine may lack libgomp (and any other runtime but the C/C++ ones).
const ALLOWED = /^(libc|libm|libstdc\+\+|libgcc_s|libpthread|libdl|ld-linux-x86-64)\.so(\.\d+)*$/;

describe('prebuilt binary', () => {
  const dir = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.node'));

  it('exists for this platform', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('needs only libc, libm, libstdc++, libgcc_s, libpthread and libdl (no libgomp)', () => {
    for (const file of files) {
      const dynamic = execFileSync('readelf', ['-d', join(dir, file)], { encoding: 'utf8' });
      const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!);
      expect(needed.length).toBeGreaterThan(0);
      for (const lib of needed) expect(lib, `${file} needs ${lib}`).toMatch(ALLOWED);
    }
  });

  it('is stripped', () => {
    for (const file of files) {
      const symbols = execFileSync('readelf', ['-S', join(dir, file)], { encoding: 'utf8' });
      expect(symbols).not.toContain('.symtab');
    }
  });
});
