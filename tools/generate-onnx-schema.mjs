// Regenerates src/onnx/schema.json (the protobufjs JSON form of ONNX's onnx.proto) with
// protobufjs' own parser, so the library needs no .proto parsing at run time.
// Field names keep onnx.proto's snake_case so the reader reads like the spec.
// The committed JSON came from ONNX 1.12's onnx.proto (Debian's python3-onnx 1.12.0), the
// release that generated the conformance data.
// Usage: node tools/generate-onnx-schema.mjs path/to/onnx.proto
import { writeFileSync } from 'node:fs';
import protobuf from 'protobufjs';

const source = process.argv[2];
if (!source) throw new Error('usage: node tools/generate-onnx-schema.mjs path/to/onnx.proto');
const root = new protobuf.Root().loadSync(source, { keepCase: true });
const out = new URL('../src/onnx/schema.json', import.meta.url);
writeFileSync(out, JSON.stringify(root.toJSON(), null, 1) + '\n');
