// Training reserves are tens of MB (an LSTM at T=100, B=64, H=256 keeps 39 MB). A fresh
// typed array that size is zero pages that the kernel faults in and clears on first write:
// measured 16 ms for 39 MB here, a quarter of that LSTM's whole training step. Reserves
// that backward is done with come back here, and the next training forward takes the
// smallest idle one that is big enough and at most twice the size, so batches of varying
// sequence length reuse them too. Forward writes every element of the part it uses, so
// contents never leak from one run into the next.

/** Idle bytes kept at most; the oldest idle reserves go first beyond it. */
const MAX_IDLE_BYTES = 512 * 1024 * 1024;

// Whole buffers, oldest first (a Set iterates in insertion order).
const idle = new Set<ArrayBuffer>();
// Buffers takeReserve made: only these come back, never a caller's own.
const owned = new WeakSet<ArrayBuffer>();
let idleBytes = 0;

/** A reserve of n floats, a view of an idle buffer when one fits. Contents are arbitrary. */
export function takeReserve(n: number): Float32Array {
  let best: ArrayBuffer | null = null;
  for (const buffer of idle) {
    const bytes = buffer.byteLength;
    if (bytes >= 4 * n && bytes <= 8 * Math.max(n, 1) && (!best || bytes < best.byteLength)) best = buffer;
  }
  if (!best) {
    const fresh = new Float32Array(n);
    owned.add(fresh.buffer);
    return fresh;
  }
  idle.delete(best);
  idleBytes -= best.byteLength;
  return new Float32Array(best, 0, n);
}

/**
 * Hands back a reserve from takeReserve; the caller must not touch it again. Arrays
 * takeReserve did not make are ignored.
 */
export function giveReserve(a: Float32Array): void {
  const buffer = a.buffer as ArrayBuffer;
  if (!owned.has(buffer) || idle.has(buffer) || buffer.byteLength > MAX_IDLE_BYTES) return;
  idle.add(buffer);
  idleBytes += buffer.byteLength;
  for (const old of idle) {
    if (idleBytes <= MAX_IDLE_BYTES) break;
    idle.delete(old);
    idleBytes -= old.byteLength;
  }
}

/** Bytes held by idle reserves. */
export function reservePoolBytes(): number {
  return idleBytes;
}

/** Drops every idle reserve (the garbage collector then frees them); returns the bytes dropped. */
export function clearReservePool(): number {
  const bytes = idleBytes;
  idle.clear();
  idleBytes = 0;
  return bytes;
}
