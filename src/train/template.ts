// Keras checkpoint paths are Python format strings: '{epoch:02d}-{val_loss:.4f}'. This is
// the subset that matters for numbers: [0][width][.precision][d|f|e|g], '{{' and '}}'.

const FIELD = /\{\{|\}\}|\{([^{}:]*)(?::([^{}]*))?\}/g;
const SPEC = /^(0)?(\d+)?(?:\.(\d+))?([dfeg%])?$/;

function pythonExponent(s: string): string {
  // JS writes 1.5e-3, Python 1.5e-03.
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function formatGeneral(v: number, precision: number): string {
  const p = precision === 0 ? 1 : precision;
  if (v === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(v)));
  const strip = (s: string) => (s.includes('.') ? s.replace(/\.?0+(?=e|$)/, '') : s);
  if (exp < -4 || exp >= p) return pythonExponent(strip(v.toExponential(p - 1)));
  return strip(v.toFixed(Math.max(0, p - 1 - exp)));
}

function formatValue(fn: string, key: string, spec: string | undefined, value: number): string {
  if (spec === undefined || spec === '') return String(value);
  const m = SPEC.exec(spec);
  if (!m) throw new RangeError(`${fn}: the format '{${key}:${spec}}' is not supported; use [0][width][.precision][d|f|e|g|%]`);
  const [, zero, width, precision, type] = m;
  const digits = precision === undefined ? 6 : Number(precision);
  let s: string;
  switch (type) {
    case 'd':
      if (!Number.isInteger(value)) throw new RangeError(`${fn}: '{${key}:${spec}}' formats integers, got ${value}`);
      s = String(value);
      break;
    case 'f':
      s = value.toFixed(digits);
      break;
    case 'e':
      s = pythonExponent(value.toExponential(digits));
      break;
    case '%':
      s = `${(value * 100).toFixed(digits)}%`;
      break;
    case 'g':
      s = formatGeneral(value, digits);
      break;
    default:
      s = precision === undefined ? String(value) : formatGeneral(value, digits);
  }
  const w = width === undefined ? 0 : Number(width);
  if (s.length >= w) return s;
  if (zero && /^-/.test(s)) return `-${s.slice(1).padStart(w - 1, '0')}`;
  return s.padStart(w, zero ? '0' : ' ');
}

/**
 * Fills `{key}` / `{key:spec}` from values. With `partial`, keys absent from values are
 * left as they are (to check a template before the logs exist).
 */
export function formatTemplate(fn: string, template: string, values: Record<string, number>, options: { partial?: boolean } = {}): string {
  return template.replace(FIELD, (whole, key: string | undefined, spec: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    const k = key!;
    const value = values[k];
    if (value === undefined) {
      if (options.partial) {
        if (spec !== undefined && !SPEC.test(spec)) formatValue(fn, k, spec, 0);
        return whole;
      }
      throw new RangeError(`${fn}: the filepath names '{${k}}', which is not in the logs; available: ${Object.keys(values).join(', ')}`);
    }
    return formatValue(fn, k, spec, value);
  });
}
