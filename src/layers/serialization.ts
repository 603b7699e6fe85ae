// The registry of layer classes by className, so a saved config rebuilds its layers; the
// built-in layers register themselves, user layers call registerLayer.
import { describeValue, Layer, type LayerConfig } from './layer.js';

type LayerClass = { className: string; fromConfig(config: LayerConfig): Layer };

const registry = new Map<string, LayerClass>();

/** Makes a layer class deserializable under its static className. */
export function registerLayer(cls: LayerClass): void {
  const named = cls as { className?: unknown } | null;
  if (typeof cls !== 'function' && (typeof named !== 'object' || named === null)) {
    throw new TypeError(`registerLayer: cls must be a Layer subclass, got ${describeValue(cls)}`);
  }
  if (typeof named?.className !== 'string' || named.className === '' || named.className === 'Layer') {
    throw new TypeError(`registerLayer: cls must be a Layer subclass with its own static className, got ${describeValue(cls)}`);
  }
  const existing = registry.get(cls.className);
  if (existing && existing !== cls) {
    throw new RangeError(`registerLayer: className '${cls.className}' is already registered to another class`);
  }
  registry.set(cls.className, cls);
}

/** The registered class for a className, or undefined. */
export function getLayerClass(className: string): LayerClass | undefined {
  return registry.get(className);
}

/** The registered class names, in registration order. */
export function registeredLayerClassNames(): string[] {
  return [...registry.keys()];
}

export interface SerializedLayer {
  className: string;
  config: LayerConfig;
}

export function serializeLayer(layer: Layer): SerializedLayer {
  if (!(layer instanceof Layer)) throw new TypeError(`serializeLayer: layer must be a Layer, got ${describeValue(layer)}`);
  return { className: layer.className, config: layer.getConfig() };
}

export function deserializeLayer(serialized: SerializedLayer): Layer {
  if (serialized === null || typeof serialized !== 'object' || typeof serialized.className !== 'string') {
    throw new TypeError(`deserializeLayer: serialized must be {className, config}, got ${describeValue(serialized)}`);
  }
  const cls = registry.get(serialized.className);
  if (!cls) {
    throw new RangeError(`deserializeLayer: unknown layer class '${serialized.className}'; register it with registerLayer(cls)`);
  }
  return cls.fromConfig(serialized.config ?? {});
}
