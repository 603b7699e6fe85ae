// tfjs's memory scopes, kept so tfjs code ports unchanged. loomrnn tensors are plain JS
// objects over ArrayBuffers: the garbage collector frees them once unreachable, so there is
// nothing to track. tidy() runs its function and returns the result (every tensor made
// inside stays valid); dispose() releases nothing and leaves tensors usable.

/** Runs fn and returns what it returns, as tfjs's tidy(fn) or tidy(name, fn). */
export function tidy<T>(nameOrFn: string | (() => T), fn?: () => T): T {
  const op = 'tidy';
  if (typeof nameOrFn === 'function') {
    if (fn !== undefined) throw new TypeError(`${op}: with a function first, there must be no second argument, got ${typeof fn}`);
    return nameOrFn();
  }
  if (typeof nameOrFn !== 'string') throw new TypeError(`${op}: nameOrFn must be a string or a function, got ${nameOrFn === null ? 'null' : typeof nameOrFn}`);
  if (typeof fn !== 'function') throw new TypeError(`${op}: fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
  return fn();
}

/** Accepts what tfjs's dispose does (a tensor, or arrays/objects of them) and frees nothing:
 * memory is garbage-collected. */
export function dispose(_container?: unknown): void {}
