// Builds what the tests load, when it is missing or older than its sources:
// the prebuilt addon (prebuildify, which compiles with node-gyp into build/ and copies the
// stripped binary to prebuilds/) and the bundled dist/ (tsup).
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function newest(paths) {
  let latest = 0;
  for (const p of paths) {
    const full = join(root, p);
    if (!existsSync(full)) continue;
    const stat = statSync(full);
    if (stat.isDirectory()) {
      latest = Math.max(latest, newest(readdirSync(full).map((f) => join(p, f))));
    } else {
      latest = Math.max(latest, stat.mtimeMs);
    }
  }
  return latest;
}

function oldest(paths) {
  return Math.min(...paths.map((p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : 0)));
}

function run(command) {
  console.log(`> ${command}`);
  execSync(command, { cwd: root, stdio: 'inherit' });
}

const prebuildDir = `prebuilds/${process.platform}-${process.arch}`;
const prebuilt = existsSync(join(root, prebuildDir))
  ? readdirSync(join(root, prebuildDir)).filter((f) => f.endsWith('.node')).map((f) => join(prebuildDir, f))
  : [];
const nativeInputs = ['native', 'binding.gyp', 'package.json'];
if (prebuilt.length === 0 || oldest([...prebuilt, 'build/Release/loomrnn.node']) < newest(nativeInputs)) {
  run('npm run prebuild');
}

if (oldest(['dist/index.js', 'dist/index.cjs', 'dist/index.d.ts']) < newest(['src', 'package.json', 'tsup.config.ts'])) {
  run('npm run build:ts');
}
