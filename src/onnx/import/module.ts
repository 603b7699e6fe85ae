// OnnxModule: an imported ONNX graph as a loomrnn Module. The graph's float initializers are
// the weights of one layer (OnnxGraphLayer), so parameters(), summary(), getWeights(),
// setWeights(), compile() and fit() work as for any model, and forward records on the tape.
// Its config is the graph itself (the ONNX bytes), so save()/loadModel() and the worker
// thread rebuild it like a Sequential.
import { Layer, type ApplyKwargs } from '../../layers/layer.js';
import { Module } from '../../models/model.js';
import type { ForwardKwargs } from '../../models/module.js';
import { registerModel } from '../../models/registry.js';
import { formatShape } from '../../tensor/format.js';
import { Tensor } from '../../tensor/tensor.js';
import { planGraph, runStep, type GraphInput, type GraphPlan } from './graph.js';
import { decodeModel, encodeModel, type OnnxDataType, type OnnxModel, type OnnxTensor } from '../proto.js';
import type { Value } from './values.js';

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}

/** The layer holding an imported graph's weights and running its nodes. */
export class OnnxGraphLayer extends Layer {
  static override className = 'OnnxGraph';
  readonly plan: GraphPlan;

  constructor(plan: GraphPlan, args: { name?: string; trainable?: boolean } = {}) {
    super({ ...(args.name === undefined ? {} : { name: args.name }), ...(args.trainable === undefined ? {} : { trainable: args.trainable }) });
    this.plan = plan;
    for (const [name, value] of plan.parameters) this.addVariable(name, value);
    this.built = true;
  }

  protected override call(inputs: Tensor | Tensor[], kwargs: ApplyKwargs): Tensor | Tensor[] {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const names = this.plan.inputs.map((i) => i.name);
    if (list.length !== names.length) {
      throw new RangeError(`${this.name}: the graph takes ${names.length} input(s) (${names.join(', ')}), got ${list.length}`);
    }
    const feeds: Record<string, Tensor> = {};
    names.forEach((n, i) => (feeds[n] = list[i]!));
    const out = this.run(feeds, kwargs.training === true);
    const values = this.plan.outputs.map((n) => out[n]!);
    return values.length === 1 ? values[0]! : values;
  }

  /** Runs the graph on named feeds; every graph output by name. */
  run(feeds: Record<string, Tensor>, training: boolean): Record<string, Tensor> {
    const env = new Map<string, Value>(this.plan.constants);
    for (const [name, t] of this.plan.parameters) env.set(name, { t, type: 'float32' });
    for (const input of this.plan.inputs) env.set(input.name, this.feed(input, feeds[input.name]));
    for (const step of this.plan.steps) {
      const values = step.node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
      const results = runStep(step, values, this.plan.opset, training);
      step.node.outputs.forEach((name, i) => {
        const v = results[i];
        if (name !== '' && v) env.set(name, v);
      });
    }
    const out: Record<string, Tensor> = {};
    for (const name of this.plan.outputs) {
      const v = env.get(name);
      if (!v) throw new RangeError(`${this.name}: graph output ${name} was not computed (an optional output its node did not produce)`);
      out[name] = v.t;
    }
    return out;
  }

  private feed(input: GraphInput, t: unknown): Value {
    const op = `${this.name}: input ${input.name}`;
    if (!(t instanceof Tensor)) throw new TypeError(`${op} must be a Tensor, got ${describe(t)}`);
    const wantFloat = input.type === 'float32';
    if (wantFloat !== (t.dtype === 'float32')) {
      throw new TypeError(`${op} must be ${wantFloat ? 'a float32' : `an int32 (for ONNX ${input.type})`} tensor, got ${describe(t)}`);
    }
    const dims = input.dims;
    const fits = dims.length === 0 ? true : t.rank === dims.length && dims.every((d, i) => typeof d !== 'number' || d === t.shape[i]);
    if (!fits) {
      const want = `[${dims.map((d) => d ?? '?').join(', ')}]`;
      throw new RangeError(`${op} must have shape ${want}, got ${describe(t)}`);
    }
    return { t, type: input.type };
  }
}

export interface OnnxModuleArgs {
  name?: string;
  /** false freezes every parameter (the graph layer's trainable). Default true. */
  trainable?: boolean;
}

/** A trained initializer left out of the config's graph bytes (the weights carry its values). */
interface ParameterSlot {
  name: string;
  dataType: OnnxDataType;
  dims: number[];
  /** Its position among the graph's initializers. */
  index: number;
}

/** The graph part of an OnnxModule's config: fixed for the module's life, so computed once. */
interface GraphConfig {
  /** The model's ModelProto, base64, without the parameters' values. */
  onnx: string;
  parameters: ParameterSlot[];
}

function fromConfigError(message: string): never {
  throw new TypeError(`OnnxModule.fromConfig: ${message}`);
}

/** A model imported from ONNX: runs and trains natively (see importModel). */
export class OnnxModule extends Module {
  static override className = 'OnnxModule';
  readonly graph: OnnxGraphLayer;
  private readonly source: OnnxModel;
  private graphConfig: GraphConfig | null = null;

  constructor(source: OnnxModel, plan: GraphPlan, args: OnnxModuleArgs = {}) {
    super(args.name === undefined ? {} : { name: args.name });
    this.source = source;
    this.graph = new OnnxGraphLayer(plan, { name: `${this.name}_graph`, ...(args.trainable === undefined ? {} : { trainable: args.trainable }) });
  }

  /**
   * The config that rebuilds this model (save(), the worker thread): the graph as ONNX bytes
   * without the parameters' values, which travel as the model's weights, so a config stays
   * small and unchanged while the model trains.
   */
  override getConfig(): Record<string, unknown> {
    if (this.graphConfig === null) {
      const params = this.graph.plan.parameters;
      const parameters: ParameterSlot[] = [];
      const kept = this.source.graph.initializers.filter((t, index) => {
        if (!params.has(t.name)) return true;
        parameters.push({ name: t.name, dataType: t.dataType, dims: [...t.dims], index });
        return false;
      });
      const bytes = encodeModel({ ...this.source, graph: { ...this.source.graph, initializers: kept } });
      this.graphConfig = { onnx: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), parameters };
    }
    return { name: this.name, trainable: this.graph.trainable, ...this.graphConfig };
  }

  /** Rebuilds a model from getConfig()'s output, its parameters zero until setWeights(). */
  static fromConfig(config: Record<string, unknown>): OnnxModule {
    if (config === null || typeof config !== 'object') fromConfigError(`config must be an object, got ${describe(config)}`);
    const { name, trainable, onnx, parameters } = config;
    if (typeof onnx !== 'string' || onnx === '') fromConfigError(`config.onnx must be the graph's ONNX bytes in base64, got ${describe(onnx)}`);
    if (!Array.isArray(parameters)) fromConfigError(`config.parameters must be an array, got ${describe(parameters)}`);
    if (name !== undefined && typeof name !== 'string') fromConfigError(`config.name must be a string, got ${describe(name)}`);
    if (trainable !== undefined && typeof trainable !== 'boolean') fromConfigError(`config.trainable must be a boolean, got ${describe(trainable)}`);
    const model = decodeModel(Buffer.from(onnx, 'base64'));
    const initializers = [...model.graph.initializers];
    const slots = [...(parameters as ParameterSlot[])].sort((a, b) => a.index - b.index);
    for (const [i, slot] of slots.entries()) {
      const ok =
        slot !== null && typeof slot === 'object' && typeof slot.name === 'string' && (slot.dataType === 'float32' || slot.dataType === 'float64') &&
        Array.isArray(slot.dims) && slot.dims.every((d) => Number.isInteger(d) && d >= 0) && Number.isInteger(slot.index) && slot.index >= 0;
      if (!ok) fromConfigError(`config.parameters[${i}] must be {name, dataType: 'float32' | 'float64', dims, index}, got ${JSON.stringify(slot)}`);
      const size = slot.dims.reduce((a, b) => a * b, 1);
      const data = slot.dataType === 'float64' ? new Float64Array(size) : new Float32Array(size);
      initializers.splice(Math.min(slot.index, initializers.length), 0, { name: slot.name, dataType: slot.dataType, dims: [...slot.dims], data });
    }
    const source: OnnxModel = { ...model, graph: { ...model.graph, initializers } };
    return new OnnxModule(source, planGraph(source), {
      ...(name === undefined ? {} : { name }),
      ...(trainable === undefined ? {} : { trainable }),
    });
  }

  /**
   * The imported model with the current parameter values in its initializers (after fit(),
   * the fine-tuned ones); `loom.onnx.encodeModel` turns it into a file for any runtime.
   */
  toOnnxModel(): OnnxModel {
    const params = new Map(this.namedParameters());
    const initializers = this.source.graph.initializers.map((t): OnnxTensor => {
      const p = params.get(t.name);
      if (!p) return t;
      const data = t.dataType === 'float64' ? Float64Array.from(p.data) : Float32Array.from(p.data);
      return { ...t, data };
    });
    return { ...this.source, graph: { ...this.source.graph, initializers } };
  }

  /** The graph inputs (initializers excluded), in the order forward() takes them. */
  get inputNames(): string[] {
    return this.graph.plan.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return [...this.graph.plan.outputs];
  }

  /** The graph inputs with their ONNX element type and declared dims. */
  get inputInfo(): readonly GraphInput[] {
    return this.graph.plan.inputs;
  }

  /** Graph inputs in order (one tensor or an array); one output -> a Tensor, several -> Tensor[]. */
  override forward(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor | Tensor[] {
    return this.graph.apply(inputs, { training: kwargs.training === true });
  }

  /** Runs the graph on inputs by name (recording on the tape); every output by name. */
  run(feeds: Record<string, Tensor>, options: { training?: boolean } = {}): Record<string, Tensor> {
    if (feeds === null || typeof feeds !== 'object') throw new TypeError(`${this.name}: run: feeds must be an object of tensors by input name, got ${describe(feeds)}`);
    const unknown = Object.keys(feeds).find((k) => !this.inputNames.includes(k));
    if (unknown !== undefined) throw new RangeError(`${this.name}: run: feeds.${unknown} is not a graph input (inputs: ${this.inputNames.join(', ')})`);
    return this.graph.run(feeds, options.training === true);
  }

  /** The trainable float initializers, by initializer name. */
  namedParameters(): [string, Tensor][] {
    return [...this.graph.plan.parameters];
  }
}

registerModel(OnnxModule);
