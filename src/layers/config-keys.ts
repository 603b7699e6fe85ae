// The check of a layer's config keys, run once by the Layer constructor for the concrete
// class: a key outside the class's ...Args interface is a typo or an option loomrnn does not
// have, and ignoring it would silently train a different model than the one asked for.
import { describeValue, type LayerArgs } from './layer.js';

/** A class's accepted keys as an object `{ key: true }`, so lists compose by spreading. */
export type KeyMap<Args> = Record<keyof Args, true>;

/**
 * The keys of an ...Args interface, written `configKeys<DenseArgs>()({ ...LAYER_KEYS, units: true, ... })`:
 * the compiler rejects a missing key (the Record) and an extra one (the never), so a class's
 * list cannot drift from its documented interface.
 */
export function configKeys<Args>() {
  return <K extends KeyMap<Args>>(keys: K & Record<Exclude<keyof K, keyof Args>, never>): readonly string[] => Object.freeze(Object.keys(keys));
}

/** The keys every layer takes (tfjs's LayerArgs). */
export const LAYER_KEYS = {
  name: true, trainable: true, inputShape: true, batchInputShape: true, batchSize: true, dtype: true, weights: true,
} as const satisfies KeyMap<LayerArgs>;

const REGULARIZERS = "regularizers are not implemented; an optimizer's weightDecay adds an L2 penalty on every weight";
const CONSTRAINTS = 'weight constraints are not implemented';

/** tfjs/Keras layer options loomrnn does not have, with what to do instead. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  kernelRegularizer: REGULARIZERS,
  recurrentRegularizer: REGULARIZERS,
  biasRegularizer: REGULARIZERS,
  activityRegularizer: 'activity regularizers are not implemented; add the penalty to the loss in a Module',
  embeddingsRegularizer: REGULARIZERS,
  betaRegularizer: REGULARIZERS,
  gammaRegularizer: REGULARIZERS,
  kernelConstraint: CONSTRAINTS,
  recurrentConstraint: CONSTRAINTS,
  biasConstraint: CONSTRAINTS,
  embeddingsConstraint: CONSTRAINTS,
  betaConstraint: CONSTRAINTS,
  gammaConstraint: CONSTRAINTS,
  implementation: 'a recurrent layer always runs as one fused native op (or step by step with unroll: true)',
  timeMajor: 'sequences are batch-major [batch, time, features]; transpose time-major ones first',
  inputDType: 'the input dtype is the tensor\'s own (int32 indices or float32 values)',
  autocast: 'every layer computes in float32',
};

/** `LSTM` -> `lstm`, `SimpleRNN` -> `simpleRNN`, `LSTMCell` -> `lstmCell`: the factory's name. */
export function factoryName(className: string): string {
  return className.replace(/^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]/, (head) => head.toLowerCase());
}

const normalized = (key: string) => key.replace(/_/g, '').toLowerCase();

// Optimal string alignment distance (edits, and swaps of neighbours).
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The accepted key `key` was most likely meant as (a snake_case or case variant, or a near
 * spelling), or null. */
export function closestKey(key: string, accepted: readonly string[]): string | null {
  const target = normalized(key);
  const same = accepted.find((k) => normalized(k) === target);
  if (same) return same;
  const limit = Math.max(1, Math.floor(target.length / 4));
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const k of accepted) {
    const dist = distance(target, normalized(k));
    if (dist < bestDistance) {
      best = k;
      bestDistance = dist;
    }
  }
  return best;
}

/**
 * Throws when `args` holds a key outside `accepted` (`undefined` values count as absent, and
 * null as absent for the unsupported tfjs/Keras options, as tfjs's configs write them).
 */
export function checkConfigKeys(className: string, accepted: readonly string[], args: object): void {
  const given = args as Record<string, unknown>;
  const name = typeof given['name'] === 'string' ? ` (${given['name']})` : '';
  const op = `${factoryName(className)}${name}`;
  for (const key of Object.keys(given)) {
    const value = given[key];
    if (value === undefined || accepted.includes(key)) continue;
    const reason = UNSUPPORTED[key];
    if (reason !== undefined) {
      if (value === null) continue;
      throw new TypeError(`${op}: config key '${key}' (a tfjs/Keras option) is not supported by loomrnn, got ${describeValue(value)}: ${reason}`);
    }
    const guess = closestKey(key, accepted);
    const hint = guess ? `did you mean '${guess}'?` : `${className} takes ${accepted.join(', ')}`;
    throw new TypeError(`${op}: unknown config key '${key}' for ${className}, got ${describeValue(value)}; ${hint}`);
  }
}
