// Keras's model.summary() table: layer name (type), output shape, param #, then the totals.
// Layout as tfjs-layers' printSummary (lineLength 65, column ends at 45%, 85%, 100%), shapes
// and thousands separators as Keras prints them.

export interface SummaryRow {
  name: string;
  className: string;
  /** A shape with null for free axes, or a word ('multiple') when it is not one shape. */
  outputShape: (number | null)[] | (number | null)[][] | string;
  params: number;
}

export interface SummaryData {
  name: string;
  className: string;
  rows: SummaryRow[];
  total: number;
  trainable: number;
}

export interface SummaryOptions {
  lineLength?: number | undefined;
  positions?: number[] | undefined;
  printFn?: (line: string) => void;
}

/** `(None, 32)`, as Keras prints a shape. */
export function formatOutputShape(shape: SummaryRow['outputShape']): string {
  if (typeof shape === 'string') return shape;
  const one = (s: (number | null)[]) => `(${s.map((d) => (d === null ? 'None' : String(d))).join(', ')}${s.length === 1 ? ',' : ''})`;
  if (shape.length > 0 && Array.isArray(shape[0])) return `[${(shape as (number | null)[][]).map(one).join(', ')}]`;
  return one(shape as (number | null)[]);
}

/** 1280000 -> `1,280,000`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

// As tfjs-layers' printRow (and Keras's print_row): each field is cut at its column's end,
// the last character before the next column becoming a space, so long names or shapes
// never push the columns out of line.
function row(fields: string[], ends: number[]): string {
  let line = '';
  fields.forEach((f, i) => {
    if (i > 0) line = `${line.slice(0, -1)} `;
    line = (line + f).slice(0, ends[i]!);
    line = line.padEnd(ends[i]!);
  });
  return line.trimEnd();
}

export function printSummary(data: SummaryData, options: SummaryOptions = {}): void {
  const op = `${data.name}: summary`;
  const lineLength = options.lineLength ?? 65;
  if (!Number.isInteger(lineLength) || lineLength < 20) throw new RangeError(`${op}: lineLength must be an integer >= 20, got ${String(lineLength)}`);
  const positions = options.positions ?? [0.45, 0.85, 1];
  if (!Array.isArray(positions) || positions.length !== 3 || !positions.every((p, i) => typeof p === 'number' && p > 0 && (i === 0 || p > positions[i - 1]!))) {
    throw new RangeError(`${op}: positions must be 3 increasing numbers (fractions of lineLength or columns), got ${JSON.stringify(positions)}`);
  }
  const ends = positions[2]! <= 1 ? positions.map((p) => Math.floor(lineLength * p)) : positions;
  const print = options.printFn ?? console.log;
  print(`Model: "${data.name}"`);
  print('_'.repeat(lineLength));
  print(row(['Layer (type)', 'Output Shape', 'Param #'], ends));
  print('='.repeat(lineLength));
  data.rows.forEach((r, i) => {
    print(row([`${r.name} (${r.className})`, formatOutputShape(r.outputShape), formatCount(r.params)], ends));
    print(i === data.rows.length - 1 ? '='.repeat(lineLength) : '_'.repeat(lineLength));
  });
  if (data.rows.length === 0) print('='.repeat(lineLength));
  print(`Total params: ${formatCount(data.total)}`);
  print(`Trainable params: ${formatCount(data.trainable)}`);
  print(`Non-trainable params: ${formatCount(data.total - data.trainable)}`);
  print('_'.repeat(lineLength));
}
