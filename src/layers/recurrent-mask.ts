// Masks to per-row lengths, and per-row reversal of sequences: the two pieces that let the
// fused recurrent op honour right-padded masks and goBackwards.
import * as F from '../functional/index.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';

/**
 * Per-row lengths [B] of a right-padded mask [B, T] (1 = real step); null when every row is
 * full, so callers can skip the lengths. Throws naming the first row whose mask has a real
 * step after padding, which no length can express.
 */
export function maskToLengths(op: string, mask: Tensor, batch: number, time: number): Int32Array | null {
  if (!(mask instanceof Tensor) || mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== time) {
    const got = mask instanceof Tensor ? formatShape(mask.shape) : String(mask);
    throw new RangeError(`${op}: mask must be [${batch}, ${time}] (the input's batch and time), got ${got}`);
  }
  const lengths = new Int32Array(batch);
  let full = true;
  for (let b = 0; b < batch; b++) {
    let len = 0;
    while (len < time && mask.data[b * time + len] !== 0) len++;
    for (let t = len + 1; t < time; t++) {
      if (mask.data[b * time + t] !== 0) {
        throw new RangeError(
          `${op}: mask row ${b} must be right-padded (real steps first, then padding), got a real step at ${t} after padding at ${len}`,
        );
      }
    }
    lengths[b] = len;
    if (len !== time) full = false;
  }
  return full ? null : lengths;
}

/** The mask [B, T] of per-row lengths, or null when lengths is null. */
export function lengthsToMask(lengths: Int32Array | null, time: number): Tensor | null {
  if (!lengths) return null;
  const data = new Float32Array(lengths.length * time);
  lengths.forEach((len, b) => data.fill(1, b * time, b * time + len));
  return new Tensor(data, [lengths.length, time]);
}

/**
 * x [B, T, ...] with each row's first lengths[b] steps reversed (its padding left in place);
 * all T steps when lengths is null. Its own inverse; recorded (a gather), so gradients flow.
 */
export function reverseRows(x: Tensor, lengths: Int32Array | null): Tensor {
  const [B, T] = x.shape as [number, number];
  const rest = x.shape.slice(2);
  const index = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    const len = lengths ? lengths[b]! : T;
    for (let t = 0; t < T; t++) index[b * T + t] = b * T + (t < len ? len - 1 - t : t);
  }
  const flat = F.reshape(x, [B * T, ...rest]);
  return F.reshape(F.gather(flat, new Tensor(index, [B * T]), 0), x.shape as number[]);
}

/**
 * The last output of rows with no real step is zeros (as Keras's, whose output before the
 * first step is zeros), while their final state stays the initial one; x [B, H].
 */
export function zeroEmptyRows(x: Tensor, lengths: Int32Array | null): Tensor {
  if (!lengths || lengths.every((len) => len > 0)) return x;
  return F.mul(x, new Tensor(Float32Array.from(lengths, (len) => (len > 0 ? 1 : 0)), [lengths.length, 1]));
}
