// Model classes by className, so a saved or worker-bound config rebuilds its model.
// Sequential registers itself; a Module subclass registers with registerModel to be saved
// and loaded (its constructor receives its getConfig()).
import type { ModuleBase } from './module.js';

export interface ModelClass {
  className: string;
  fromConfig(config: Record<string, unknown>): ModuleBase;
}

const registry = new Map<string, ModelClass>();

/** Makes a model class loadable by loadModel under its static className. */
export function registerModel(cls: ModelClass): void {
  const value: unknown = cls;
  if (typeof value !== 'function' || typeof cls.className !== 'string' || cls.className === '' || cls.className === 'Module') {
    throw new TypeError(`registerModel: cls must be a Module subclass with its own static className, got ${typeof value === 'function' ? `class ${value.name} with className ${JSON.stringify(cls.className)}` : typeof value}`);
  }
  const existing = registry.get(cls.className);
  if (existing && existing !== cls) throw new RangeError(`registerModel: className '${cls.className}' is already registered to another class`);
  registry.set(cls.className, cls);
}

export function getModelClass(className: string): ModelClass | undefined {
  return registry.get(className);
}

/** A model's class name if it is registered to exactly this class, else undefined. */
export function registeredName(model: ModuleBase): string | undefined {
  const cls = model.constructor as unknown as ModelClass;
  return registry.get(cls.className) === cls ? cls.className : undefined;
}
