// Loads a decoded ONNX graph into a runnable plan: checks every node is supported at the
// model's opset, orders the nodes, turns initializers into values (float ones that feed
// computation become trainable parameters), folds everything computable from constants
// (shape arithmetic included, with the graph inputs' static dims), and drops nodes no output
// needs. run() then executes only what depends on the inputs, recording on the tape.
import { Tensor } from '../../tensor/tensor.js';
import { LoomError } from '../../errors.js';
import { OnnxFormatError, type OnnxModel, type OnnxNode, type OnnxValueInfo } from '../proto.js';
import { describeNode, type OpContext, type OpDef } from './op.js';
import { inferShapes } from './shapes.js';
import { MAX_OPSET, MIN_OPSET, OPS } from './ops/index.js';
import { fromOnnxTensor, valueTypeOf, type Value, type ValueType } from './values.js';

export interface GraphInput {
  name: string;
  type: ValueType;
  /** Declared dims: a number is enforced (shapes may have been folded with it); names and null are free. */
  dims: (number | string | null)[];
}

interface Step {
  node: OnnxNode;
  def: OpDef;
}

export interface GraphPlan {
  opset: number;
  inputs: GraphInput[];
  outputs: string[];
  constants: Map<string, Value>;
  /** Float initializers the remaining steps compute with, by initializer name. */
  parameters: Map<string, Tensor>;
  steps: Step[];
}

// Ops whose result depends on more than their inputs: never folded.
const NOT_FOLDED = new Set(['Dropout']);

export function planGraph(model: OnnxModel): GraphPlan {
  const { graph, opset } = model;
  if (opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new OnnxFormatError(`onnx: the model uses opset ${opset}; loomrnn imports opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  const steps = graph.nodes.map((node) => ({ node, def: opFor(node, opset) }));
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const inputs: GraphInput[] = graph.inputs.filter((i) => !initializers.has(i.name)).map((i) => graphInput(i));
  const outputs = graph.outputs.map((o) => o.name);
  const ordered = topologicalOrder(steps, [...initializers.keys(), ...inputs.map((i) => i.name)]);

  const constants = new Map<string, Value>();
  for (const t of graph.initializers) constants.set(t.name, fromOnnxTensor(t, `initializer ${t.name}`));
  const floatInitializers = new Set(graph.initializers.filter((t) => t.dataType === 'float32' || t.dataType === 'float64').map((t) => t.name));
  // Static dims let Shape fold (run() checks every feed against them), and so do the shapes
  // inferred from them through the nodes.
  const staticShapes = new Map<string, readonly number[]>();
  for (const i of inputs) if (i.dims.every((d) => typeof d === 'number')) staticShapes.set(i.name, i.dims as number[]);
  const shapeOf = (name: string) => constants.get(name)?.t.shape ?? staticShapes.get(name);

  // A float initializer is a parameter when some step computes with it (not just reads its
  // shape or uses it as axes); only constants that are not parameters fold.
  const isParameter = (name: string) => floatInitializers.has(name) && usedAsData(name, ordered);
  const remaining: Step[] = [];
  for (const step of ordered) {
    const { node } = step;
    const present = node.inputs.filter((n) => n !== '');
    // Shape and Size read only the shape, fixed for parameters (setWeights keeps it) and for
    // graph inputs with static dims.
    const readsShape = node.opType === 'Shape' || node.opType === 'Size';
    const foldable =
      !NOT_FOLDED.has(node.opType) &&
      (readsShape ? present.length === 1 && shapeOf(present[0]!) !== undefined : present.every((n) => constants.has(n) && !isParameter(n)));
    if (!foldable) {
      remaining.push(step);
      const inferred = inferShapes(
        node,
        opset,
        node.inputs.map((n) => shapeOf(n)),
        node.inputs.map((n) => (isParameter(n) ? undefined : constants.get(n))),
      );
      node.outputs.forEach((name, i) => {
        const shape = inferred?.[i];
        if (name !== '' && shape && shape.every((d) => Number.isInteger(d) && d >= 0)) staticShapes.set(name, shape);
      });
      continue;
    }
    const values = node.inputs.map((n) => (n === '' ? undefined : (constants.get(n) ?? shapeStandIn(shapeOf(n)!))));
    const results = foldStep(step, values, opset);
    node.outputs.forEach((name, i) => {
      const v = results[i];
      if (name !== '' && v) constants.set(name, v);
    });
  }
  const live = liveSteps(remaining, outputs);
  const parameters = new Map<string, Tensor>();
  for (const step of live) {
    step.node.inputs.forEach((name, i) => {
      if (floatInitializers.has(name) && !(step.def.staticInputs ?? []).includes(i)) parameters.set(name, constants.get(name)!.t);
    });
  }
  for (const name of parameters.keys()) constants.delete(name);
  for (const o of outputs) {
    if (!constants.has(o) && !parameters.has(o) && !inputs.some((i) => i.name === o) && !live.some((s) => s.node.outputs.includes(o))) {
      throw new OnnxFormatError(`onnx: graph output ${o} is produced by no node, input or initializer`);
    }
  }
  return { opset, inputs, outputs, constants, parameters, steps: live };
}

function opFor(node: OnnxNode, opset: number): OpDef {
  const where = `node '${node.name || node.outputs[0] || '(unnamed)'}'`;
  if (node.domain !== '' && node.domain !== 'ai.onnx') {
    throw new OnnxFormatError(`onnx: unsupported op ${node.domain}.${node.opType} (${where}, opset ${opset}): loomrnn runs only the default ai.onnx domain`);
  }
  const def = OPS[node.opType];
  if (!def) throw new OnnxFormatError(`onnx: unsupported op ${node.opType} (${where}, opset ${opset})`);
  return def;
}

function graphInput(info: OnnxValueInfo): GraphInput {
  const type = typeof info.elemType === 'number' ? undefined : valueTypeOf(info.elemType);
  if (!type) throw new OnnxFormatError(`onnx: graph input ${info.name} has element type ${info.elemType}, which loomrnn does not read`);
  return { name: info.name, type, dims: info.dims };
}

// Shape reads nothing but `t.shape`: for a value of known static shape a stand-in with just
// that shape lets it fold without computing the value.
function shapeStandIn(shape: readonly number[]): Value {
  return { t: { shape, rank: shape.length } as unknown as Tensor, type: 'float32' };
}

function usedAsData(name: string, steps: Step[]): boolean {
  return steps.some(
    (s) => s.node.opType !== 'Shape' && s.node.opType !== 'Size' && s.node.inputs.some((n, i) => n === name && !(s.def.staticInputs ?? []).includes(i)),
  );
}

const nodeLabel = (n: OnnxNode) => `${n.opType} node '${n.name || n.outputs[0] || '(unnamed)'}'`;

/** Kahn's order over the nodes; a value no node, input or initializer makes is an error. */
function topologicalOrder(steps: Step[], available: string[]): Step[] {
  const producer = new Map<string, number>();
  steps.forEach((s, i) =>
    s.node.outputs.forEach((o) => {
      if (o === '') return;
      if (producer.has(o) || available.includes(o)) throw new OnnxFormatError(`onnx: value ${o} is produced twice (by ${nodeLabel(s.node)})`);
      producer.set(o, i);
    }),
  );
  const known = new Set(available);
  const pending = steps.map((s) => s.node.inputs.filter((n) => n !== '' && !known.has(n)));
  for (const [i, names] of pending.entries()) {
    const missing = names.find((n) => !producer.has(n));
    if (missing !== undefined) {
      throw new OnnxFormatError(`onnx: input ${missing} of ${nodeLabel(steps[i]!.node)} is not a graph input, an initializer or a node output`);
    }
  }
  const order: Step[] = [];
  const done = new Array<boolean>(steps.length).fill(false);
  let progress = true;
  while (order.length < steps.length && progress) {
    progress = false;
    steps.forEach((s, i) => {
      if (done[i] || !pending[i]!.every((n) => known.has(n))) return;
      done[i] = true;
      progress = true;
      order.push(s);
      s.node.outputs.forEach((o) => known.add(o));
    });
  }
  if (order.length < steps.length) {
    const stuck = steps.find((_, i) => !done[i])!;
    throw new OnnxFormatError(`onnx: the graph has a cycle through ${nodeLabel(stuck.node)}`);
  }
  return order;
}

/** The steps some graph output depends on, in order. */
function liveSteps(steps: Step[], outputs: string[]): Step[] {
  const needed = new Set(outputs);
  const live: Step[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i]!;
    if (!s.node.outputs.some((o) => needed.has(o))) continue;
    live.push(s);
    s.node.inputs.forEach((n) => n !== '' && needed.add(n));
  }
  return live.reverse();
}

/** Runs a node at load time: a failure there is a fault of the file, so an OnnxFormatError. */
function foldStep(step: Step, inputs: (Value | undefined)[], opset: number): (Value | undefined)[] {
  try {
    return runStep(step, inputs, opset, false);
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new OnnxFormatError(e.message, { cause: e });
    throw e;
  }
}

/** Runs one node, prefixing errors from the ops below with the node, so users know where. */
export function runStep(step: Step, inputs: (Value | undefined)[], opset: number, training: boolean): (Value | undefined)[] {
  const ctx: OpContext = { node: step.node, opset, training, inputs };
  try {
    return step.def.run(ctx);
  } catch (e) {
    if (e instanceof LoomError) throw e;
    const where = describeNode(step.node, opset);
    if (e instanceof RangeError) throw new RangeError(`onnx: ${where}: ${e.message}`, { cause: e });
    if (e instanceof TypeError) throw new TypeError(`onnx: ${where}: ${e.message}`, { cause: e });
    throw e;
  }
}
