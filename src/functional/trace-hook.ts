// The one seam through which loom.onnx's exporter sees functional ops run while it traces a
// model (src/onnx/export/trace.ts). Outside an export the hook is null and a traced op costs
// a call through the wrapper and one null check; the hook is cleared while an op runs, so
// ops built from other ops report once, as themselves.

/** Called after a functional op returns: its name (`add`, `matmul`, ...), arguments and result. */
export type FunctionalTraceHook = (op: string, args: readonly unknown[], result: unknown) => void;

let hook: FunctionalTraceHook | null = null;

/** Installs (or with null, removes) the hook; returns the one it replaces. For the ONNX exporter only. */
export function setFunctionalTraceHook(next: FunctionalTraceHook | null): FunctionalTraceHook | null {
  const previous = hook;
  hook = next;
  return previous;
}

/** `fn` reporting each call to the hook under `op`. */
export function traced<T extends (...args: never[]) => unknown>(op: string, fn: T): T {
  const wrapper = (...args: Parameters<T>): ReturnType<T> => {
    if (hook === null) return fn(...args) as ReturnType<T>;
    const active = hook;
    hook = null;
    let result: ReturnType<T>;
    try {
      result = fn(...args) as ReturnType<T>;
    } finally {
      hook = active;
    }
    active(op, args, result);
    return result;
  };
  return wrapper as unknown as T;
}
