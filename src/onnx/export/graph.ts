// A small builder for the exported graph: unique value and node names, typed attributes,
// initializers, and the bindings that tie each loomrnn weight to the initializer holding it.
import type { Layer, LayerVariable } from '../../layers/layer.js';
import type { OnnxAttribute, OnnxAttributeType, OnnxDataType, OnnxNode, OnnxTensor, OnnxValueInfo } from '../proto.js';

/** A dimension: a size, or a symbolic name (dim_param) for a free axis. */
export type Dim = number | string;

/** A value in the graph with the shape the exporter knows for it. */
export interface Value {
  name: string;
  dims: Dim[];
}

/** Where a loomrnn weight's values sit: as many values as it holds, in an initializer from `offset`. */
export interface WeightBinding {
  /** The weight's name (`<layer>/<weight>`), to check the rebuilt model against. */
  weight: string;
  initializer: string;
  offset: number;
}

/** The error for a layer (or an option of one) that has no export. */
export function cannotExport(layer: Layer, reason: string): RangeError {
  return new RangeError(`exportModel: cannot export layer ${layer.name} (${layer.className}): ${reason}`);
}

export type Attr =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: number[] }
  | { floats: number[] }
  | { strings: string[] };

function typed(a: Attr): [OnnxAttributeType, OnnxAttribute] {
  if ('int' in a) return ['int', a.int];
  if ('float' in a) return ['float', a.float];
  if ('string' in a) return ['string', a.string];
  if ('ints' in a) return ['ints', a.ints];
  if ('floats' in a) return ['floats', a.floats];
  return ['strings', a.strings];
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly bindings = new Map<LayerVariable, WeightBinding>();
  /** Graph inputs and outputs besides the model's own: stateful layers' carried states. */
  readonly stateInputs: OnnxValueInfo[] = [];
  readonly stateOutputs: { name: string; value: Value }[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();

  constructor(readonly opset: number) {}

  /** `base`, or `base_2`, `base_3`, ... when taken. */
  fresh(base: string): string {
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base}_${n}`;
    this.names.add(name);
    return name;
  }

  /** Adds a node named `<scope>/<opType>`; returns its output names (`count` of them). */
  node(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr> = {}, count = 1): string[] {
    const name = this.fresh(`${scope}/${opType}`);
    const outputs = Array.from({ length: count }, (_, i) => this.fresh(count === 1 ? `${name}:out` : `${name}:out${i}`));
    const attributes: Record<string, OnnxAttribute> = {};
    const attributeTypes: Record<string, OnnxAttributeType> = {};
    for (const [key, a] of Object.entries(attrs)) [attributeTypes[key], attributes[key]] = typed(a);
    this.nodes.push({ opType, name, domain: '', inputs, outputs, attributes, attributeTypes });
    return outputs;
  }

  /** One-output node. */
  op(scope: string, opType: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(scope, opType, inputs, attrs, 1)[0]!;
  }

  initializer(name: string, dataType: OnnxDataType, dims: number[], data: OnnxTensor['data']): string {
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dataType, dims, data });
    return unique;
  }

  /** Records that `weight`'s values are `initializer`'s from `offset` on. */
  bind(weight: LayerVariable, initializer: string, offset = 0): void {
    this.bindings.set(weight, { weight: weight.name, initializer, offset });
  }

  /** A weight's values as an initializer of its own (dims: its shape unless given). */
  weight(scope: string, variable: LayerVariable, dims: number[] = [...variable.value.shape]): string {
    const name = this.initializer(`${scope}/${variable.name.slice(variable.name.lastIndexOf('/') + 1)}`, 'float32', dims, Float32Array.from(variable.value.data as Float32Array));
    this.bind(variable, name);
    return name;
  }

  /** A shared constant: the same values give the same initializer. */
  private constant(dataType: OnnxDataType, dims: number[], values: readonly (number | bigint)[], make: () => OnnxTensor['data']): string {
    const key = `${dataType}[${dims.join(',')}]${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.initializer(`const_${dataType}_${this.constants.size}`, dataType, dims, make());
      this.constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (axes, shapes, perms, repeats), or a scalar with `scalar`. */
  int64(values: readonly (number | bigint)[], scalar = false): string {
    return this.constant('int64', scalar ? [] : [values.length], values, () => BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A float32 constant: a scalar by default. */
  float(values: readonly number[], dims: number[] = []): string {
    return this.constant('float32', dims, values, () => Float32Array.from(values));
  }

  int32(values: readonly number[], dims: number[] = []): string {
    return this.constant('int32', dims, values, () => Int32Array.from(values));
  }
}
