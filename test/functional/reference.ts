// Float64 references of the functional ops, written by multi-index from the definitions
// (NumPy's broadcasting and matmul, tfjs's shape ops) to be obviously right, not fast.

export interface Ref {
  data: Float64Array;
  shape: number[];
}

export const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Multi-index of flat position i in shape. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0; k--) {
    idx[k] = i % shape[k]!;
    i = Math.floor(i / shape[k]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let f = 0;
  for (let k = 0; k < shape.length; k++) f = f * shape[k]! + idx[k]!;
  return f;
}

export function broadcastShape(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, k) => Math.max(...shapes.map((s) => s[k - (rank - s.length)] ?? 1)));
}

/** The element of `t` that broadcasting places at output index `idx`. */
export function at(t: Ref, idx: readonly number[]): number {
  const off = idx.length - t.shape.length;
  const own = t.shape.map((d, k) => (d === 1 ? 0 : idx[k + off]!));
  return t.data[ravel(own, t.shape)]!;
}

export function mapN(fn: (...v: number[]) => number, ...ts: Ref[]): Ref {
  const shape = broadcastShape(...ts.map((t) => t.shape));
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    data[i] = fn(...ts.map((t) => at(t, idx)));
  }
  return { data, shape };
}

export function matmulRef(a: Ref, b: Ref, tA = false, tB = false): Ref {
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = tA ? ac : ar;
  const K = tA ? ar : ac;
  const N = tB ? br : bc;
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const bi = idx.slice(0, -2);
    const [m, n] = idx.slice(-2) as [number, number];
    let s = 0;
    for (let k = 0; k < K; k++) {
      s += at(a, [...bi, tA ? k : m, tA ? m : k]) * at(b, [...bi, tB ? n : k, tB ? k : n]);
    }
    data[i] = s;
  }
  return { data, shape };
}

/** Sum / mean / max / min over axes (all when undefined). */
export function reduceRef(x: Ref, axes: number[] | undefined, kind: 'sum' | 'mean' | 'max' | 'min', keepDims = false): Ref {
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => (a < 0 ? a + x.shape.length : a));
  const kept = x.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const data = new Float64Array(size(kept)).fill(kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0);
  for (let i = 0; i < x.data.length; i++) {
    const idx = unravel(i, x.shape).map((v, k) => (ax.includes(k) ? 0 : v));
    const o = ravel(idx, kept);
    data[o] = kind === 'max' ? Math.max(data[o]!, x.data[i]!) : kind === 'min' ? Math.min(data[o]!, x.data[i]!) : data[o]! + x.data[i]!;
  }
  const count = ax.reduce((p, a) => p * x.shape[a]!, 1);
  if (kind === 'mean') for (let i = 0; i < data.length; i++) data[i]! /= count;
  return { data, shape: keepDims ? kept : x.shape.filter((_, i) => !ax.includes(i)) };
}

export function transposeRef(x: Ref, perm: number[]): Ref {
  const shape = perm.map((p) => x.shape[p]!);
  const data = new Float64Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = idx[k]!));
    data[i] = x.data[ravel(src, x.shape)]!;
  }
  return { data, shape };
}

export function concatRef(xs: Ref[], axis: number): Ref {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    let k = idx[axis]!;
    let j = 0;
    while (k >= xs[j]!.shape[axis]!) k -= xs[j++]!.shape[axis]!;
    const src = [...idx];
    src[axis] = k;
    data[i] = xs[j]!.data[ravel(src, xs[j]!.shape)]!;
  }
  return { data, shape };
}

export function sliceRef(x: Ref, begin: number[], extent: number[]): Ref {
  const data = new Float64Array(size(extent));
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, extent).map((v, k) => v + begin[k]!);
    data[i] = x.data[ravel(idx, x.shape)]!;
  }
  return { data, shape: extent };
}

export function tileRef(x: Ref, reps: number[]): Ref {
  const shape = x.shape.map((d, i) => d * reps[i]!);
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) {
    data[i] = x.data[ravel(unravel(i, shape).map((v, k) => v % x.shape[k]!), x.shape)]!;
  }
  return { data, shape };
}

export function gatherRef(x: Ref, indices: number[], indicesShape: number[], axis: number): Ref {
  const shape = [...x.shape.slice(0, axis), ...indicesShape, ...x.shape.slice(axis + 1)];
  const data = new Float64Array(size(shape));
  const r = indicesShape.length;
  for (let i = 0; i < data.length; i++) {
    const idx = unravel(i, shape);
    const which = indices[ravel(idx.slice(axis, axis + r), indicesShape)]!;
    data[i] = x.data[ravel([...idx.slice(0, axis), which, ...idx.slice(axis + r)], x.shape)]!;
  }
  return { data, shape };
}
