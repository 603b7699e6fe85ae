// Element-wise closeness in numpy's allclose form, |actual - expected| <= atol + rtol*|expected|,
// failing with the worst element (multi-index, both values, max error) so a failure says
// where and by how much without a debugger.
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}

function multiIndex(flat: number, shape: readonly number[] | undefined): string {
  if (!shape) return `${flat}`;
  const idx: number[] = [];
  for (let k = shape.length - 1; k >= 0; k--) {
    idx.unshift(flat % shape[k]!);
    flat = Math.floor(flat / shape[k]!);
  }
  return `[${idx.join(', ')}]`;
}

/** A description of the mismatch, or undefined when every element is within tolerance. */
function mismatch(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape?: readonly number[],
): string | undefined {
  if (actual.length !== expected.length) return `length ${actual.length}, expected ${expected.length}`;
  let bad = 0;
  let worst = -1;
  let worstRatio = 0;
  let maxErr = 0;
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    const allowed = tol.atol + tol.rtol * Math.abs(expected[i]!);
    // NaN fails every comparison, so it is caught by the negated form.
    const ratio = Number.isNaN(err) ? Infinity : err / allowed;
    if (!(err <= allowed)) {
      bad++;
      if (ratio >= worstRatio) {
        worstRatio = ratio;
        worst = i;
      }
    }
    if (!(err <= maxErr)) maxErr = err;
  }
  if (bad === 0) return undefined;
  return (
    `${bad}/${actual.length} elements off (atol ${tol.atol}, rtol ${tol.rtol}); max abs error ${maxErr.toExponential(3)}; ` +
    `worst at ${multiIndex(worst, shape)}: got ${actual[worst]}, expected ${expected[worst]}`
  );
}

export function expectClose(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: Tolerance,
  shape?: readonly number[],
): void {
  const report = mismatch(actual, expected, tol, shape);
  if (report !== undefined) expect.fail(`${label}: ${report}`);
}
