// The text of Tensor.print(), as tfjs's: values aligned in nested brackets, long axes cut to
// their first and last three entries.
import type { Tensor } from './tensor.js';

// As tfjs's FORMAT_LIMIT_NUM_VALS and FORMAT_NUM_FIRST_LAST_VALS.
const LIMIT = 20;
const EDGE = 3;

function formatValue(v: number, dtype: string): string {
  if (dtype === 'int32') return String(v);
  // float32 carries about 7 significant digits; more would print rounding noise.
  return String(Number(v.toPrecision(7)));
}

/** The tensor's values, one line per innermost row, indented by `indent`. */
export function formatValues(t: Tensor, indent = '    '): string {
  const { shape, data, dtype } = t;
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const shown = (n: number): (number | null)[] => (n > LIMIT ? [...Array.from({ length: EDGE }, (_, i) => i), null, ...Array.from({ length: EDGE }, (_, i) => n - EDGE + i)] : Array.from({ length: n }, (_, i) => i));
  // Every printed value, to pad them all to one width.
  const collect = (axis: number, offset: number, out: string[]): void => {
    if (axis === shape.length) {
      out.push(formatValue(data[offset]!, dtype));
      return;
    }
    for (const i of shown(shape[axis]!)) if (i !== null) collect(axis + 1, offset + i * strides[axis]!, out);
  };
  const all: string[] = [];
  collect(0, 0, all);
  const width = Math.max(0, ...all.map((s) => s.length));
  const block = (axis: number, offset: number): string => {
    if (axis === shape.length) return formatValue(data[offset]!, dtype).padStart(width);
    const parts = shown(shape[axis]!).map((i) => (i === null ? '...' : block(axis + 1, offset + i * strides[axis]!)));
    if (axis === shape.length - 1) return `[${parts.join(', ')}]`;
    // Deeper blocks are set apart by blank lines, one per axis below the rows.
    const gap = ',' + '\n'.repeat(shape.length - axis - 1) + ' '.repeat(axis + 1);
    return `[${parts.join(gap)}]`;
  };
  return block(0, 0)
    .split('\n')
    .map((line) => (line === '' ? line : indent + line))
    .join('\n');
}
