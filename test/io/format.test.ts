import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readModelFile, writeModelFile } from '../../src/io/file.js';
import { decodeModel, encodeModel, FORMAT_VERSION, HEADER_BYTES, ModelFileError, type ModelArtifacts } from '../../src/io/format.js';
import { mulberry32 } from '../helpers/prng.js';

const dir = mkdtempSync(join(tmpdir(), 'loom-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function artifacts(seed: number): ModelArtifacts {
  const rng = mulberry32(seed);
  return {
    json: { format: 'test', config: { units: 3, nested: [1, 'two', null] } },
    tensors: [
      { name: 'dense/kernel', shape: [4, 3], dtype: 'float32', data: Float32Array.from({ length: 12 }, () => rng() - 0.5) },
      { name: 'empty', shape: [0], dtype: 'float32', data: new Float32Array(0) },
      { name: 'ids', shape: [5], dtype: 'int32', data: Int32Array.from([1, -2, 3, 2147483647, -2147483648]) },
    ],
  };
}

const bytesOf = (a: ModelArtifacts) => Buffer.concat(encodeModel(a));

describe('model file format', () => {
  it('round-trips the JSON and every tensor bit for bit', async () => {
    const a = artifacts(1);
    const path = join(dir, 'round.loom');
    await writeModelFile(path, a);
    const b = await readModelFile(path);
    expect(b.json).toEqual(a.json);
    expect(b.tensors.map((t) => [t.name, t.shape, t.dtype])).toEqual(a.tensors.map((t) => [t.name, t.shape, t.dtype]));
    b.tensors.forEach((t, i) => expect(Array.from(t.data)).toEqual(Array.from(a.tensors[i]!.data)));
  });

  it('starts with the magic, the version and both lengths', () => {
    const bytes = bytesOf(artifacts(2));
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('LOOMRNN\0');
    expect(bytes.readUInt32LE(8)).toBe(FORMAT_VERSION);
    const json = bytes.readUInt32LE(12);
    const payload = Number(bytes.readBigUInt64LE(16));
    expect(bytes.byteLength).toBe(HEADER_BYTES + json + payload);
    expect(payload).toBe(12 * 4 + 5 * 4);
  });

  it('rejects a file truncated anywhere (header, JSON, payload)', () => {
    const bytes = bytesOf(artifacts(3));
    for (const cut of [0, 4, 20, HEADER_BYTES, HEADER_BYTES + 10, bytes.byteLength - 1]) {
      expect(() => decodeModel(bytes.subarray(0, cut), 'f.loom'), `cut at ${cut}`).toThrow(cut < 8 ? /truncated|bad magic/ : /truncated/);
    }
  });

  it('rejects trailing bytes', () => {
    const bytes = Buffer.concat([bytesOf(artifacts(4)), Buffer.from([0])]);
    expect(() => decodeModel(bytes, 'f.loom')).toThrow(/trailing bytes/);
  });

  it('rejects a flipped bit in the JSON or in the weights by the checksum', () => {
    const bytes = bytesOf(artifacts(5));
    for (const at of [HEADER_BYTES + 3, bytes.byteLength - 7, 30]) {
      const bad = Buffer.from(bytes);
      bad[at]! ^= 0x10;
      expect(() => decodeModel(bad, 'f.loom'), `flip at ${at}`).toThrow(/checksum mismatch/);
    }
  });

  it('rejects another file type and a newer format version, naming the file', () => {
    expect(() => decodeModel(Buffer.from('{"not": "a model"}'.padEnd(80)), 'x.json')).toThrow(/x\.json: not a loomrnn model file/);
    const newer = bytesOf(artifacts(6));
    newer.writeUInt32LE(FORMAT_VERSION + 1, 8);
    expect(() => decodeModel(newer, 'f.loom')).toThrow(new RegExp(`format version ${FORMAT_VERSION + 1} is not supported`));
    expect(() => decodeModel(newer, 'f.loom')).toThrow(ModelFileError);
  });

  it('reports a missing file clearly and validates the path argument', async () => {
    await expect(readModelFile(join(dir, 'nope.loom'))).rejects.toThrow(/nope\.loom: no such file/);
    await expect(readModelFile('' as string)).rejects.toThrow(TypeError);
    await expect(writeModelFile(42 as unknown as string, artifacts(7))).rejects.toThrow(/save: path must be a non-empty string, got 42/);
  });

  it('replaces an existing file and leaves no temporary file behind', async () => {
    const path = join(dir, 'replace.loom');
    writeFileSync(path, 'old contents');
    await writeModelFile(path, artifacts(8));
    expect((await readModelFile(path)).json).toEqual(artifacts(8).json);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it("removes temporary files of killed writers, never a live writer's", async () => {
    const target = join(dir, 'stale.loom');
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, `.stale.loom.${dead}.deadbeef.tmp`), 'partial');
    writeFileSync(join(dir, `.stale.loom.${process.pid}.cafebabe.tmp`), 'in progress');
    await writeModelFile(target, artifacts(11));
    expect(readdirSync(dir).filter((f) => f.startsWith('.stale.loom.'))).toEqual([`.stale.loom.${process.pid}.cafebabe.tmp`]);
    rmSync(join(dir, `.stale.loom.${process.pid}.cafebabe.tmp`));
  });

  it('removes its temporary file when the final rename fails', async () => {
    // A non-empty directory at the target path makes rename() fail after the data is written.
    const target = join(dir, 'occupied.loom');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'x');
    await expect(writeModelFile(target, artifacts(10))).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('x');
  });
});
