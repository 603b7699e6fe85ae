// What a user gets: `npm pack`, then install the tarball on a machine with no compiler and
// use it from CommonJS and ESM. The prebuilt binary must be found at require time.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../helpers/node.js';

const work = mkdtempSync(join(tmpdir(), 'loomrnn-pack-'));
const bin = join(work, 'bin');
const app = join(work, 'app');
// Only node, npm and sh (npm runs install scripts with it) on PATH: no g++, make or
// python3 for node-gyp to fall back on.
const env = { ...process.env, PATH: bin, npm_config_nodedir: '', npm_config_audit: 'false', npm_config_fund: 'false' };

function sh(cmd: string, args: string[], cwd: string, extraEnv: Record<string, string> = {}): string {
  return execFileSync(cmd, args, { cwd, env: { ...env, ...extraEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const useIt = `
  const x = new loom.Tensor(new Float32Array([1, 2, 3, 4]), [2, 2]);
  const y = loom.ops.gemm(x, x);
  process.stdout.write(JSON.stringify({ isa: loom.backend().isa, y: Array.from(y.data) }));
`;

describe('npm pack tarball', () => {
  beforeAll(() => {
    mkdirSync(bin);
    mkdirSync(app);
    symlinkSync(process.execPath, join(bin, 'node'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const npmCli = join(dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
    writeFileSync(join(bin, 'npm'), `#!/bin/sh\nexec "${process.execPath}" "${npmCli}" "$@"\n`, { mode: 0o755 });
    execFileSync('npm', ['pack', '--pack-destination', work], { cwd: root, stdio: 'pipe' });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('has no compiler on the test PATH', () => {
    expect(() => sh('/bin/sh', ['-c', 'command -v g++ || command -v make || command -v python3'], app)).toThrow();
  });

  it('installs without compiling and loads from CommonJS and ESM', () => {
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
    const log = sh('npm', ['install', '--no-audit', '--no-fund', '--foreground-scripts', join(work, tarball)], app);
    expect(log).not.toMatch(/gyp info/);
    const expected = [7, 10, 15, 22];
    const cjs = JSON.parse(sh('node', ['-e', `const loom = require('loomrnn'); ${useIt}`], app));
    expect(cjs.y).toEqual(expected);
    const esm = JSON.parse(sh('node', ['--input-type=module', '-e', `import * as loom from 'loomrnn'; ${useIt}`], app));
    expect(esm.y).toEqual(expected);
  }, 180_000);

  it('says how to build from source when no binary matches', () => {
    rmSync(join(app, 'node_modules/loomrnn/prebuilds'), { recursive: true, force: true });
    const out = sh('node', ['-e', `try { require('loomrnn').backend() } catch (e) { process.stdout.write(e.code + ': ' + e.message) }`], app);
    expect(out).toMatch(/^ENOBINARY: loomrnn: no native binary loads for linux-x64/);
    expect(out).toContain('npm rebuild loomrnn --build-from-source');
  });
});
