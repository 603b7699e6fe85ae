// Argument checks shared by the training pieces. Every message names the function, the
// option and the value received, as the rest of loomrnn does.
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value instanceof Tensor) return `${value.dtype} ${formatShape(value.shape)}`;
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'function') return 'a function';
  return typeof value;
}

/** The args object of a factory: undefined becomes {}, anything not an object throws. */
export function argsObject<T extends object>(fn: string, args: T | undefined): T {
  if (args === undefined) return {} as T;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    throw new TypeError(`${fn}: args must be an object, got ${describe(args)}`);
  }
  return args;
}

export function finiteNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${fn}: ${name} must be a finite number, got ${describe(v)}`);
  }
  return v;
}

export function positiveNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new RangeError(`${fn}: ${name} must be a positive number, got ${describe(v)}`);
  }
  return v;
}

export function nonNegativeNumber(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative number, got ${describe(v)}`);
  }
  return v;
}

/** A number in [lo, hi) (or [lo, hi] when `closed`). */
export function numberInRange(fn: string, name: string, v: unknown, lo: number, hi: number, closed = false): number {
  if (typeof v !== 'number' || !(v >= lo) || !(closed ? v <= hi : v < hi)) {
    throw new RangeError(`${fn}: ${name} must be a number in [${lo}, ${hi}${closed ? ']' : ')'}, got ${describe(v)}`);
  }
  return v;
}

export function nonNegativeInteger(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new RangeError(`${fn}: ${name} must be a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

export function positiveInteger(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${fn}: ${name} must be a positive integer, got ${describe(v)}`);
  }
  return v;
}

export function boolean(fn: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${fn}: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

export function oneOf<T extends string | number>(fn: string, name: string, v: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(v as T)) {
    throw new RangeError(`${fn}: ${name} must be one of ${allowed.map(describe).join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

export function nonEmptyString(fn: string, name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new TypeError(`${fn}: ${name} must be a non-empty string, got ${describe(v)}`);
  }
  return v;
}

export function tensorArg(fn: string, name: string, v: unknown): Tensor {
  if (!(v instanceof Tensor)) throw new TypeError(`${fn}: ${name} must be a Tensor, got ${describe(v)}`);
  return v;
}
