// Define-by-run models, as PyTorch's nn.Module: a subclass writes forward() as plain code
// over layers and tensors; the layers and modules it holds in its properties (directly or
// in arrays / Maps) are found without registration. Sequential is a Module whose forward
// runs a stack. Every Module can compile/fit/evaluate/predict/save (see model.ts).
import { assignWeights, copyWeights, Layer, type LayerVariable } from '../layers/layer.js';
import { formatShape } from '../tensor/format.js';
import { Tensor } from '../tensor/tensor.js';

/** The keyword arguments of forward()/apply(). */
export interface ForwardKwargs {
  /** Training mode (dropout on); fit passes true, evaluate/predict false. */
  training?: boolean;
  [key: string]: unknown;
}

const moduleCounters = new Map<string, number>();

function uniqueName(prefix: string): string {
  const n = (moduleCounters.get(prefix) ?? 0) + 1;
  moduleCounters.set(prefix, n);
  return `${prefix}_${n}`;
}

/** `MyEncoder` -> `my_encoder`. */
function snake(name: string): string {
  return name.replace(/([a-z\d])([A-Z])/g, '$1_$2').toLowerCase();
}

function describe(value: unknown): string {
  if (value instanceof Tensor) return `a ${value.dtype} tensor ${formatShape(value.shape)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  return typeof value;
}

/** One input of a model, as tfjs's SymbolicTensor shows it in model.inputs. */
export interface SymbolicInput {
  name: string;
  /** Batch axis first; null for free axes. */
  shape: (number | null)[];
  dtype: 'float32' | 'int32';
}

/**
 * Throws when two different layers share a name: weights are saved and loaded by layer
 * name, so a model with a duplicate would save a file it cannot load (Keras rejects it too).
 */
export function checkUniqueName(owner: string, layers: readonly Layer[], layer: Layer): void {
  const other = layers.findIndex((l) => l !== layer && l.name === layer.name);
  if (other >= 0) {
    throw new RangeError(
      `${owner}: all layers in a model must have unique names: layer ${layers.indexOf(layer) >= 0 ? layers.indexOf(layer) : layers.length} (${layer.className}) ` +
        `is named '${layer.name}', as layer ${other} (${layers[other]!.className}) is; give one of them another name`,
    );
  }
}

export interface ModuleArgs {
  /** Unique by default: the snake-case class name and a counter. */
  name?: string;
}

export class ModuleBase {
  static className = 'Module';
  name: string;

  constructor(args: ModuleArgs = {}) {
    if (args === null || typeof args !== 'object') throw new TypeError(`Module: args must be an object, got ${describe(args)}`);
    if (args.name !== undefined && (typeof args.name !== 'string' || args.name === '')) {
      throw new TypeError(`Module: args.name must be a non-empty string, got ${describe(args.name)}`);
    }
    this.name = args.name ?? uniqueName(snake(this.constructor.name === 'Object' ? 'module' : this.constructor.name));
  }

  /** The computation; subclasses override it. May return a tensor or an array of them. */
  forward(_inputs: Tensor | Tensor[], _kwargs: ForwardKwargs = {}): Tensor | Tensor[] {
    throw new Error(`${this.name}: forward is not implemented: subclass Module and define forward(inputs, kwargs)`);
  }

  /** Runs forward (recording on the tape), as a layer's apply. */
  apply(inputs: Tensor | Tensor[], kwargs: ForwardKwargs = {}): Tensor | Tensor[] {
    return this.forward(inputs, kwargs);
  }

  /** The layers and modules held directly by this one, in property order, each once. */
  children(): (Layer | ModuleBase)[] {
    const found: (Layer | ModuleBase)[] = [];
    const seen = new Set<unknown>();
    const visit = (value: unknown): void => {
      if (value instanceof Layer || value instanceof ModuleBase) {
        if (!seen.has(value) && value !== this) {
          seen.add(value);
          found.push(value);
        }
      } else if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (value instanceof Map) {
        for (const v of value.values()) visit(v);
      }
    };
    for (const key of Object.keys(this)) visit((this as Record<string, unknown>)[key]);
    return found;
  }

  /** Every layer below this module, depth first, each once; two with one name are an error. */
  get layers(): Layer[] {
    const out: Layer[] = [];
    const seen = new Set<Layer>();
    const names = new Set<string>();
    for (const child of this.children()) {
      for (const layer of child instanceof Layer ? [child] : child.layers) {
        if (seen.has(layer)) continue;
        if (names.has(layer.name)) checkUniqueName(this.name, out, layer);
        seen.add(layer);
        names.add(layer.name);
        out.push(layer);
      }
    }
    return out;
  }

  /** All weights of all layers (each layer's trainable then non-trainable), each once. */
  get weights(): LayerVariable[] {
    const seen = new Set<Tensor>();
    return this.layers.flatMap((l) => l.weights).filter((w) => (seen.has(w.value) ? false : (seen.add(w.value), true)));
  }

  get trainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => w.trainable);
  }

  get nonTrainableWeights(): LayerVariable[] {
    return this.weights.filter((w) => !w.trainable);
  }

  /** The trainable values, for an optimizer (as PyTorch's parameters()). */
  parameters(): Tensor[] {
    return this.trainableWeights.map((w) => w.value);
  }

  /** The number of weight values, trainable or not. */
  countParams(): number {
    const unbuilt = this.layers.find((l) => !l.built);
    if (unbuilt) {
      throw new Error(`${this.name}: countParams needs every layer built (${unbuilt.name} is not): call the model once or give the first layer inputShape`);
    }
    return this.weights.reduce((n, w) => n + w.value.size, 0);
  }

  /** Copies of the weight values, in `weights` order. */
  getWeights(): Tensor[] {
    return copyWeights(this.weights);
  }

  /** Overwrites the weights in place (in `weights` order), so optimizers keep their references. */
  setWeights(weights: Tensor[]): void {
    assignWeights(this.name, this.weights, weights);
  }

  /** The layers that carry state between calls (stateful recurrent layers, or wrappers of one). */
  statefulLayers(): Layer[] {
    const search = (v: unknown): boolean =>
      v !== null && typeof v === 'object' && (Array.isArray(v) ? v.some(search) : (v as Record<string, unknown>)['stateful'] === true || Object.values(v).some(search));
    return this.layers.filter((l) => search(l.getConfig()));
  }

  /** Zeros the carried states of every stateful recurrent layer. */
  resetStates(): void {
    for (const layer of this.statefulLayers()) layer.resetStates();
  }

  toString(): string {
    return `${(this.constructor as typeof ModuleBase).className}(${this.name})`;
  }
}
