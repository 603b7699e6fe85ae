import { formatShape } from './format.js';
import type { DType, Tensor } from './tensor.js';

export { formatShape };

/**
 * Checks `t` against an expected shape whose entries are sizes or names (a name is free
 * unless bound earlier in `dims`, then it must match). Binds free names into `dims`.
 * Throws a TypeError/RangeError naming the op, the argument, the expected and actual shape.
 */
export function checkTensor(
  op: string,
  name: string,
  t: unknown,
  expected: readonly (number | string)[],
  dtype: DType,
  dims: Record<string, number>,
): Tensor {
  const pattern = `[${expected.join(', ')}]`;
  if (t === null || typeof t !== 'object' || !('shape' in t) || !('data' in t)) {
    throw new TypeError(`${op}: ${name} must be a Tensor ${pattern}, got ${describe(t)}`);
  }
  const tensor = t as Tensor;
  if (tensor.dtype !== dtype) {
    throw new TypeError(`${op}: ${name} must be ${dtype}, got ${tensor.dtype}`);
  }
  const shape = tensor.shape;
  const bound = { ...dims };
  const ok =
    shape.length === expected.length &&
    expected.every((e, i) => {
      const size = shape[i]!;
      if (typeof e === 'number') return size === e;
      if (bound[e] === undefined) bound[e] = size;
      return bound[e] === size;
    });
  if (!ok) {
    const want = expected.map((e) => (typeof e === 'string' && dims[e] !== undefined ? dims[e] : e));
    throw new RangeError(`${op}: ${name} must be [${want.join(', ')}], got ${formatShape(shape)}`);
  }
  Object.assign(dims, bound);
  return tensor;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const name = typeof value === 'object' ? (value as object).constructor?.name : undefined;
  return name && name !== 'Object' ? `a ${name}` : typeof value;
}
