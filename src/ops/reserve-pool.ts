// Training reserves are tens of MB (an LSTM at T=100, B=64, H=256 keeps 39 MB). A fresh
// typed array that size is zero pages that the kernel faults in and clears on first write:
// measured 16 ms for 39 MB here, a quarter of that LSTM's whole training step. Reserves
// that backward is done with come back here, and the next training forward of the same size
// takes one instead. Forward writes every element of its reserve, so contents never leak
// from one run into the next.

/** Idle bytes kept at most; the oldest idle reserves go first beyond it. */
const MAX_IDLE_BYTES = 512 * 1024 * 1024;

// Insertion order is age order: Map iterates oldest first.
const idle = new Map<Float32Array, number>();
let idleBytes = 0;

/** A reserve of n floats, reused when one that size is idle. Contents are arbitrary. */
export function takeReserve(n: number): Float32Array {
  for (const a of idle.keys()) {
    if (a.length !== n) continue;
    idle.delete(a);
    idleBytes -= a.byteLength;
    return a;
  }
  return new Float32Array(n);
}

/** Hands a reserve back; the caller must not touch it again. */
export function giveReserve(a: Float32Array): void {
  if (idle.has(a) || a.byteLength > MAX_IDLE_BYTES) return;
  idle.set(a, a.byteLength);
  idleBytes += a.byteLength;
  for (const [old, bytes] of idle) {
    if (idleBytes <= MAX_IDLE_BYTES) break;
    idle.delete(old);
    idleBytes -= bytes;
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
