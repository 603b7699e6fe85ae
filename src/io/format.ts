// The `.loom` model file: one self-checking file holding a JSON document (model config,
// training config, optimizer config, the tensor directory) and the raw tensor bytes.
//
//   offset  size  field
//   0       8     magic "LOOMRNN\0"
//   8       4     format version, uint32 LE
//   12      4     JSON length J in bytes, uint32 LE
//   16      8     payload length P in bytes, uint64 LE
//   24      32    SHA-256 of bytes [56, 56 + J + P)
//   56      J     JSON, UTF-8
//   56 + J  P     payload: each tensor's bytes, little-endian, at the offset the JSON gives
//
// The header carries both lengths so a truncated or padded file is told apart from a
// corrupt one before hashing, and the hash covers everything after the header so a flipped
// bit anywhere in the config or the weights is caught.
import { createHash } from 'node:crypto';
import type { DType, TypedArray } from '../tensor/tensor.js';

export const MAGIC = Buffer.from('LOOMRNN\0', 'latin1');
export const FORMAT_VERSION = 1;
export const HEADER_BYTES = 56;

/** One named array in the payload. */
export interface StoredTensor {
  name: string;
  shape: number[];
  dtype: DType;
  data: TypedArray;
}

/** What a model file holds: any JSON document plus named tensors. */
export interface ModelArtifacts {
  json: Record<string, unknown>;
  tensors: StoredTensor[];
}

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: DType;
  offset: number;
  length: number;
}

/** Thrown when a file is not a loom model, is from a newer format, or is damaged. */
export class ModelFileError extends Error {
  readonly path: string;

  constructor(path: string, message: string) {
    super(`loadModel: ${path}: ${message}`);
    this.name = 'ModelFileError';
    this.path = path;
  }
}

function little(data: TypedArray): Buffer {
  // Every platform Node ships on is little-endian; the view needs no byte swapping.
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The file's bytes, as a list of buffers to write in order (no copy of the tensors). */
export function encodeModel(artifacts: ModelArtifacts): Buffer[] {
  const entries: TensorEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of artifacts.tensors) {
    const bytes = little(t.data);
    entries.push({ name: t.name, shape: [...t.shape], dtype: t.dtype, offset, length: t.data.length });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const json = Buffer.from(JSON.stringify({ ...artifacts.json, tensors: entries }), 'utf8');
  const hash = createHash('sha256');
  hash.update(json);
  for (const c of chunks) hash.update(c);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(FORMAT_VERSION, 8);
  header.writeUInt32LE(json.byteLength, 12);
  header.writeBigUInt64LE(BigInt(offset), 16);
  hash.digest().copy(header, 24);
  return [header, json, ...chunks];
}

/** Parses and verifies a whole file; `path` only names the file in errors. */
export function decodeModel(bytes: Buffer, path: string): ModelArtifacts {
  if (bytes.byteLength < HEADER_BYTES || !bytes.subarray(0, 8).equals(MAGIC)) {
    if (bytes.byteLength < HEADER_BYTES && MAGIC.subarray(0, bytes.byteLength).equals(bytes.subarray(0, 8))) {
      throw new ModelFileError(path, `truncated: ${bytes.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    }
    throw new ModelFileError(path, 'not a loomrnn model file (bad magic)');
  }
  const version = bytes.readUInt32LE(8);
  if (version !== FORMAT_VERSION) {
    throw new ModelFileError(path, `format version ${version} is not supported (this loomrnn reads version ${FORMAT_VERSION})`);
  }
  const jsonBytes = bytes.readUInt32LE(12);
  const payloadBytes = Number(bytes.readBigUInt64LE(16));
  const expected = HEADER_BYTES + jsonBytes + payloadBytes;
  if (bytes.byteLength !== expected) {
    const what = bytes.byteLength < expected ? 'truncated' : 'has trailing bytes';
    throw new ModelFileError(path, `${what}: the header promises ${expected} bytes, the file has ${bytes.byteLength}`);
  }
  const digest = createHash('sha256').update(bytes.subarray(HEADER_BYTES)).digest();
  if (!digest.equals(bytes.subarray(24, 56))) {
    throw new ModelFileError(path, 'checksum mismatch: the file is corrupt');
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + jsonBytes).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new ModelFileError(path, `the JSON section does not parse: ${(e as Error).message}`);
  }
  const { tensors: entries, ...json } = doc as { tensors?: TensorEntry[] } & Record<string, unknown>;
  if (!Array.isArray(entries)) throw new ModelFileError(path, 'the JSON section has no tensor directory');
  const payloadStart = HEADER_BYTES + jsonBytes;
  const tensors = entries.map((e): StoredTensor => {
    const width = 4;
    if (e.offset + e.length * width > payloadBytes) {
      throw new ModelFileError(path, `tensor '${e.name}' lies outside the payload`);
    }
    // Copy out so the tensors own aligned buffers independent of the file's.
    const raw = bytes.subarray(payloadStart + e.offset, payloadStart + e.offset + e.length * width);
    const copy = new Uint8Array(raw).buffer;
    const data = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return { name: e.name, shape: e.shape, dtype: e.dtype, data };
  });
  return { json, tensors };
}
