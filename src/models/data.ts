// Batching for fit/evaluate/predict: argument checks, row selection, splits and the
// per-sample weights Keras derives from classWeight. These copy plain data and never record.
import { formatShape } from '../tensor/format.js';
import { Generator } from '../tensor/random.js';
import { Tensor } from '../tensor/tensor.js';

/** A model's inputs: one tensor, or several for a Module whose forward takes an array. */
export type Inputs = Tensor | Tensor[];

/** The rows of a data set, plus optional per-sample weights. */
export interface DataSet {
  x: Tensor[];
  y: Tensor | null;
  sampleWeight: Tensor | null;
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}

/** Checks x (a tensor or non-empty array of tensors with the same number of rows). */
export function checkInputs(op: string, arg: string, x: unknown): Tensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0 || !list.every((t) => t instanceof Tensor)) {
    throw new TypeError(`${op}: ${arg} must be a Tensor or a non-empty array of Tensors, got ${describe(x)}`);
  }
  const tensors = list as Tensor[];
  tensors.forEach((t, i) => {
    if (t.rank === 0) throw new RangeError(`${op}: ${arg}${Array.isArray(x) ? `[${i}]` : ''} must have a batch axis, got a scalar`);
  });
  const rows = tensors[0]!.shape[0]!;
  tensors.forEach((t, i) => {
    if (t.shape[0] !== rows) {
      throw new RangeError(`${op}: ${arg}[${i}] must have ${rows} rows as ${arg}[0], got ${formatShape(t.shape)}`);
    }
  });
  return tensors;
}

/** Checks that `t` has `rows` rows. */
export function checkRows(op: string, arg: string, t: unknown, rows: number): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor, got ${describe(t)}`);
  if (t.rank === 0 || t.shape[0] !== rows) {
    throw new RangeError(`${op}: ${arg} must have ${rows} rows (as x), got ${formatShape(t.shape)}`);
  }
  return t;
}

export function rowCount(ds: DataSet): number {
  return ds.x[0]!.shape[0]!;
}

function rowSize(t: Tensor): number {
  return t.shape.length === 0 ? 1 : t.size / t.shape[0]!;
}

/** The rows of t at `indices`, copied, in that order. */
export function takeRows(t: Tensor, indices: ArrayLike<number>): Tensor {
  const width = rowSize(t);
  const out = t.dtype === 'int32' ? new Int32Array(indices.length * width) : new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.set(t.data.subarray(r * width, (r + 1) * width), i * width);
  }
  return new Tensor(out, [indices.length, ...t.shape.slice(1)], t.dtype);
}

/** Rows [start, end) of t, copied. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const width = rowSize(t);
  const data = t.data.slice(start * width, end * width);
  return new Tensor(data, [end - start, ...t.shape.slice(1)], t.dtype);
}

/** Steps [start, end) of the time axis (axis 1) of t, copied. */
export function sliceTime(t: Tensor, start: number, end: number): Tensor {
  const [batch, steps] = [t.shape[0]!, t.shape[1]!];
  const inner = t.size / (batch * steps);
  const n = end - start;
  const out = t.dtype === 'int32' ? new Int32Array(batch * n * inner) : new Float32Array(batch * n * inner);
  for (let b = 0; b < batch; b++) {
    out.set(t.data.subarray((b * steps + start) * inner, (b * steps + end) * inner), b * n * inner);
  }
  return new Tensor(out, [batch, n, ...t.shape.slice(2)], t.dtype);
}

/** Tensors stacked along the rows (all with the same row shape). */
export function concatRows(ts: Tensor[]): Tensor {
  const first = ts[0]!;
  const total = ts.reduce((n, t) => n + t.shape[0]!, 0);
  const out = first.dtype === 'int32' ? new Int32Array(total * rowSize(first)) : new Float32Array(total * rowSize(first));
  let offset = 0;
  for (const t of ts) {
    out.set(t.data, offset);
    offset += t.size;
  }
  return new Tensor(out, [total, ...first.shape.slice(1)], first.dtype);
}

export function subset(ds: DataSet, indices: ArrayLike<number>): DataSet {
  return {
    x: ds.x.map((t) => takeRows(t, indices)),
    y: ds.y && takeRows(ds.y, indices),
    sampleWeight: ds.sampleWeight && takeRows(ds.sampleWeight, indices),
  };
}

export function range(start: number, end: number): Int32Array {
  return Int32Array.from({ length: end - start }, (_, i) => start + i);
}

/** A Fisher-Yates permutation of 0..n-1 drawn from `generator`. */
export function permutation(n: number, generator: Generator): Int32Array {
  const p = range(0, n);
  for (let i = n - 1; i > 0; i--) {
    const j = generator.int(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** The batches of 0..n-1 (in `order`) of at most `batchSize` rows. */
export function batches(order: Int32Array, batchSize: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let s = 0; s < order.length; s += batchSize) out.push(order.subarray(s, Math.min(s + batchSize, order.length)));
  return out;
}

/**
 * Per-sample weights from Keras's classWeight: the class of a row is its integer label
 * (sparse labels), its argmax (one-hot) or its 0/1 value rounded (binary, one output).
 */
export function classWeightsFor(op: string, y: Tensor, classWeight: Record<number, number>): Float32Array {
  const rows = y.shape[0]!;
  const width = rowSize(y);
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let cls: number;
    if (width === 1) {
      cls = Math.round(y.data[r]!);
    } else {
      cls = 0;
      for (let c = 1; c < width; c++) if (y.data[r * width + c]! > y.data[r * width + cls]!) cls = c;
    }
    const w = classWeight[cls];
    if (w === undefined) {
      throw new RangeError(`${op}: classWeight has no weight for class ${cls} (found in y row ${r}), got keys [${Object.keys(classWeight).join(', ')}]`);
    }
    out[r] = w;
  }
  return out;
}

/** Plain (structured-clone friendly) form of a tensor, for messages between threads. */
export interface TensorData {
  data: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export function toData(t: Tensor): TensorData {
  return { data: t.data, shape: [...t.shape], dtype: t.dtype };
}

export function fromData(d: TensorData): Tensor {
  return new Tensor(d.data, d.shape, d.dtype);
}
