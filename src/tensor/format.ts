export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
