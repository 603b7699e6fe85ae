// Define-by-run autograd. Every recording op adds one entry (a Node) linking its outputs to
// its inputs and to a backward closure; entries are coarse (a whole recurrent layer over a
// sequence is one), so the bookkeeping here is negligible next to the kernels.
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';

/** Gradients for an op's inputs, by position; null/undefined where none flows. */
export type InputGrads = readonly (Tensor | null | undefined)[];

export interface Node {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Each input's `version` when the op recorded it. */
  readonly versions: readonly number[];
  readonly outputs: readonly Tensor[];
  /** Receives d(loss)/d(output) per output (null where no gradient reached it). */
  backward: ((outputGrads: readonly (Tensor | null)[]) => InputGrads) | null;
  /** Runs once backward has freed the node: hands back buffers only backward could use. */
  readonly release?: () => void;
}

let recording = true;

export function isGradEnabled(): boolean {
  return recording;
}

function withMode<T>(mode: boolean, fn: () => T): T {
  const before = recording;
  recording = mode;
  try {
    return fn();
  } finally {
    recording = before;
  }
}

/** Runs fn without recording: inference, weight updates, metrics. Synchronous fn only. */
export function noGrad<T>(fn: () => T): T {
  return withMode(false, fn);
}

/** Runs fn recording, also inside a noGrad scope. */
export function enableGrad<T>(fn: () => T): T {
  return withMode(true, fn);
}

/** Whether an op given these inputs must record (and so save what its backward needs). */
export function needsGrad(...inputs: readonly (Tensor | null | undefined)[]): boolean {
  return recording && inputs.some((t) => t?.requiresGrad === true);
}

/**
 * Records one op: its outputs will carry gradient back to `inputs` through `backward`.
 * Does nothing when not recording or when no input requires a gradient.
 */
export function record(
  op: string,
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  backward: (outputGrads: readonly (Tensor | null)[]) => InputGrads,
  release?: () => void,
): void {
  if (!needsGrad(...inputs)) return;
  // Copies: an op returns its outputs array to the caller, who may reorder it (parts.reverse()).
  const node: Node = {
    op, inputs: [...inputs], versions: inputs.map((t) => t.version), outputs: [...outputs], backward,
    ...(release ? { release } : {}),
  };
  for (const out of outputs) {
    out.requiresGrad = true;
    out.node = node;
  }
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again (default false). */
  retainGraph?: boolean;
}

// Nodes reachable from root, each after every node that consumes its outputs.
function reverseTopological(root: Tensor): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: { node: Node; next: number }[] = [];
  if (root.node) {
    seen.add(root.node);
    stack.push({ node: root.node, next: 0 });
  }
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const input = top.node.inputs[top.next++];
    if (input === undefined) {
      order.push(top.node);
      stack.pop();
    } else if (input.node && !seen.has(input.node)) {
      seen.add(input.node);
      stack.push({ node: input.node, next: 0 });
    }
  }
  return order.reverse();
}

function seedGradient(op: string, root: Tensor, grad: Tensor | undefined): Tensor {
  if (!root.requiresGrad) {
    throw new TypeError(`${op}: the tensor does not require grad: no input of the ops that made it has requiresGrad, got ${formatShape(root.shape)}`);
  }
  if (grad === undefined) {
    if (root.size !== 1) {
      throw new RangeError(`${op}: grad must be given for a tensor that is not a scalar, got shape ${formatShape(root.shape)}`);
    }
    return new Tensor(new Float32Array([1]), root.shape);
  }
  if (grad.dtype !== 'float32' || grad.shape.length !== root.shape.length || grad.shape.some((d, i) => d !== root.shape[i])) {
    throw new RangeError(`${op}: grad must be float32 ${formatShape(root.shape)}, got ${grad.dtype} ${formatShape(grad.shape)}`);
  }
  return grad;
}

/**
 * d(root)/d(t) for the leaves (and the tensors in `keep`) on the graph, keyed by tensor.
 * Frees each node's backward closure (and what it saved) unless retainGraph.
 */
function propagate(op: string, root: Tensor, seed: Tensor, options: BackwardOptions, keep: ReadonlySet<Tensor> = new Set()): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  // Sums are written into buffers this pass owns, never into an op's returned tensor (an
  // op may return the same tensor for two inputs, or its upstream gradient unchanged).
  const owned = new Set<Tensor>();
  const accumulate = (target: Tensor, g: Tensor, from: string) => {
    if (g.shape.length !== target.shape.length || g.shape.some((d, i) => d !== target.shape[i])) {
      throw new Error(`${op}: internal error: '${from}' returned a gradient of shape ${formatShape(g.shape)} for an input of shape ${formatShape(target.shape)}`);
    }
    const prev = grads.get(target);
    if (!prev) {
      grads.set(target, g);
      return;
    }
    if (owned.has(prev)) {
      const acc = prev.data as Float32Array;
      const add = g.data as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i]! += add[i]!;
      return;
    }
    const sum = Float32Array.from(prev.data as Float32Array);
    const add = g.data as Float32Array;
    for (let i = 0; i < sum.length; i++) sum[i]! += add[i]!;
    const t = new Tensor(sum, prev.shape);
    owned.add(t);
    grads.set(target, t);
  };
  const order = reverseTopological(root);
  // All checked before any node runs, so an error leaves the graph whole to retry.
  for (const node of order) {
    node.inputs.forEach((input, i) => {
      if (input.version !== node.versions[i]) {
        throw new Error(`${op}: input ${i} of '${node.op}' (${formatShape(input.shape)}) was modified in place after '${node.op}' used it (version ${node.versions[i]} -> ${input.version}), so its gradient would be wrong; update it after backward(), or run the forward again`);
      }
    });
  }
  for (const node of order) {
    const outputGrads = node.outputs.map((o) => grads.get(o) ?? null);
    if (outputGrads.every((g) => g === null)) continue;
    if (!node.backward) {
      throw new Error(`${op}: the graph through '${node.op}' was already back-propagated and freed; pass { retainGraph: true } to the first backward to run it twice`);
    }
    const inputGrads = node.backward(outputGrads);
    if (!options.retainGraph) {
      node.backward = null;
      node.release?.();
    }
    node.inputs.forEach((input, i) => {
      const g = inputGrads[i];
      if (g && input.requiresGrad) accumulate(input, g, node.op);
    });
    for (const o of node.outputs) if (o !== root && !keep.has(o)) grads.delete(o);
  }
  return grads;
}

/** Back-propagates from root; each leaf that requires grad gets the gradient added to `.grad`. */
export function backward(root: Tensor, grad?: Tensor, options: BackwardOptions = {}): void {
  const grads = propagate('backward', root, seedGradient('backward', root, grad), options);
  for (const [t, g] of grads) {
    if (t.node !== null || !t.requiresGrad) continue;
    if (!t.grad) {
      t.grad = new Tensor(Float32Array.from(g.data as Float32Array), t.shape);
    } else {
      const acc = t.grad.data as Float32Array;
      const add = g.data as Float32Array;
      for (let i = 0; i < acc.length; i++) acc[i]! += add[i]!;
    }
  }
}

/**
 * d(root)/d(input) for each of `inputs`, without touching any `.grad` (as torch.autograd.grad).
 * An input the root does not depend on gets zeros.
 */
export function grad(root: Tensor, inputs: readonly Tensor[], gradOutput?: Tensor, options: BackwardOptions = {}): Tensor[] {
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor) || !t.requiresGrad) {
      throw new TypeError(`grad: inputs[${i}] must be a tensor that requires grad, got ${String(t)}`);
    }
  });
  const grads = propagate('grad', root, seedGradient('grad', root, gradOutput), options, new Set(inputs));
  return inputs.map((t) => {
    const g = grads.get(t);
    return new Tensor(g ? Float32Array.from(g.data as Float32Array) : new Float32Array(t.size), t.shape);
  });
}
