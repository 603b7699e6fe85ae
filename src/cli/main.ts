// The loomrnn command line. One command today: `loomrnn onnx check <dir>`.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkConformance } from './check.js';

export interface CliIO {
  out: (line: string) => void;
  err: (line: string) => void;
}

const USAGE = [
  'usage: loomrnn onnx check <dir>',
  '',
  '  onnx check <dir>   run every ONNX backend-test case folder under <dir> (model.onnx and',
  '                     test_data_set_N/{input,output}_K.pb) through loomrnn.onnx.importModel and',
  '                     compare with the expected outputs (float: rtol 1e-3, atol 1e-5; ints exact)',
].join('\n');

const consoleIO: CliIO = { out: (l) => console.log(l), err: (l) => console.error(l) };

/** Runs the CLI on argv (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = consoleIO): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined || group === '--help' || group === '-h' || group === 'help') {
    io.out(USAGE);
    return group === undefined ? 2 : 0;
  }
  if (group !== 'onnx' || command !== 'check') {
    io.err(`loomrnn: unknown command '${[group, command].filter((s) => s !== undefined).join(' ')}'\n${USAGE}`);
    return 2;
  }
  if (rest.length !== 1) {
    io.err(`loomrnn onnx check: expected one folder, got ${rest.length} arguments\n${USAGE}`);
    return 2;
  }
  const dir = resolve(rest[0]!);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    io.err(`loomrnn onnx check: ${dir} is not a folder`);
    return 2;
  }
  const results = checkConformance(dir);
  if (results.length === 0) {
    io.err(`loomrnn onnx check: no case folders (with a model.onnx) in ${dir}`);
    return 1;
  }
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) io.out(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name.padEnd(width)}  ${r.detail}`);
  const failed = results.filter((r) => !r.passed).length;
  io.out(`${results.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}
