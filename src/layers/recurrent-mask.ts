// Masks to per-row lengths and starts, and per-row reordering of sequences: the pieces that
// let the fused recurrent op honour right- and left-padded masks and goBackwards.
import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Where each row's real steps sit: lengths [B] (null when every row is full, so callers can
 * skip them) and, when some row is left-padded (real steps contiguous at the end, as Keras's
 * pad_sequences gives by default), each row's first real step (null when every row is
 * right-padded: the fast path, no reordering). Full and empty rows start at 0.
 */
export interface MaskLayout {
  lengths: Int32Array | null;
  starts: Int32Array | null;
}

/**
 * The layout of a mask [B, T] (1 = real step). Throws naming the first row whose real steps
 * are not one run touching the start or the end of the row, which no length and start can express.
 */
export function maskLayout(op: string, mask: Tensor, batch: number, time: number): MaskLayout {
  if (!(mask instanceof Tensor) || mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time) {
    const got = mask instanceof Tensor ? formatShape(mask.shape) : String(mask);
    throw new RangeError(`${op}: mask must be [${batch}, ${time}] (the input's batch and time), got ${got}`);
  }
  const lengths = new Int32Array(batch);
  const starts = new Int32Array(batch);
  let full = true;
  let left = false;
  for (let b = 0; b < batch; b++) {
    const real = (t: number) => mask.data[b * time + t] !== 0;
    let first = 0;
    while (first < time && !real(first)) first++;
    let last = time - 1;
    while (last > first && !real(last)) last--;
    const len = first < time ? last - first + 1 : 0;
    for (let t = first + 1; t < last; t++) {
      if (!real(t)) {
        throw new RangeError(
          `${op}: mask row ${b} must be right- or left-padded (real steps contiguous at the start or the end of the row), got padding at ${t} between real steps at ${first} and ${last}`,
        );
      }
    }
    if (len > 0 && first > 0 && last < time - 1) {
      throw new RangeError(
        `${op}: mask row ${b} must be right- or left-padded (real steps contiguous at the start or the end of the row), got real steps ${first} to ${last} with padding on both sides`,
      );
    }
    lengths[b] = len;
    if (len > 0 && first > 0) {
      starts[b] = first;
      left = true;
    }
    if (len !== time) full = false;
  }
  return { lengths: full ? null : lengths, starts: left ? starts : null };
}

/**
 * x [B, T, ...] with row b rotated by shifts[b]: out[b, t] = x[b, (t + shifts[b]) mod T].
 * Shifting by a layout's starts moves left-padded rows' real steps to the front (right
 * padding); shifting by their negatives puts them back. Recorded (a gather), so gradients flow.
 */
export function rotateRows(x: Tensor, shifts: Int32Array): Tensor {
  const [B, T] = x.shape as [number, number];
  const index = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) index[b * T + t] = b * T + ((((t + shifts[b]!) % T) + T) % T);
  }
  return gatherSteps(x, index);
}

/**
 * A sequence computed on rotated rows, put back at the real steps' places (padding, zeros,
 * goes back to the front of left-padded rows); unchanged when no row was left-padded.
 */
export function unpack(sequence: Tensor, starts: Int32Array | null): Tensor {
  return starts ? rotateRows(sequence, starts.map((s) => -s)) : sequence;
}

function gatherSteps(x: Tensor, index: Int32Array): Tensor {
  const [B, T] = x.shape as [number, number];
  const flat = F.reshape(x, [B * T, ...x.shape.slice(2)]);
  return F.reshape(F.gather(flat, new Tensor(index, [B * T]), 0), x.shape as number[]);
}

/** The mask [B, T] of per-row lengths, or null when lengths is null. */
export function lengthsToMask(lengths: Int32Array | null, time: number): Tensor | null {
  if (!lengths) return null;
  const data = new Float32Array(lengths.length * time);
  lengths.forEach((len, b) => data.fill(1, b * time, b * time + len));
  return new Tensor(data, [lengths.length, time]);
}

/**
 * x [B, T, ...] with each row's real steps (lengths[b] from starts[b], or from 0) reversed,
 * its padding left in place; all T steps when lengths is null. Its own inverse; recorded (a
 * gather), so gradients flow.
 */
export function reverseRows(x: Tensor, lengths: Int32Array | null, starts: Int32Array | null = null): Tensor {
  const [B, T] = x.shape as [number, number];
  const index = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    const start = starts ? starts[b]! : 0;
    for (let t = 0; t < T; t++) {
      const inRun = t >= start && t < start + len;
      index[b * T + t] = b * T + (inRun ? 2 * start + len - 1 - t : t);
    }
  }
  return gatherSteps(x, index);
}

/**
 * The last output of rows with no real step is zeros (as Keras's, whose output before the
 * first step is zeros), while their final state stays the initial one; x [B, H].
 */
export function zeroEmptyRows(x: Tensor, lengths: Int32Array | null): Tensor {
  if (!lengths || lengths.every((len) => len > 0)) return x;
  return F.mul(x, new Tensor(Float32Array.from(lengths, (len) => (len > 0 ? 1 : 0)), [lengths.length, 1]));
}
