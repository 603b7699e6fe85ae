// Argument objects of compile/fit/evaluate/predict: a misspelt option (epochz, batch_size)
// must fail loudly, not train with the default.

/** Edit distance (insert, delete, substitute; case-insensitive), for "did you mean". */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[t.length]!;
}

/** The known key closest to `key`, when close enough to be a typo (or the snake_case form). */
export function closest(key: string, known: readonly string[]): string | null {
  const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = Math.min(distance(key, k), distance(camel, k));
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 4)) ? best : null;
}

/** Throws a RangeError naming the first key of `args` not in `known`. */
export function checkKeys(op: string, args: object, known: readonly string[]): void {
  for (const key of Object.keys(args)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    throw new RangeError(`${op}: unknown option args.${key}${near ? `; did you mean '${near}'?` : ''} (known: ${known.join(', ')})`);
  }
}
