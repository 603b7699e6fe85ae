// A stateful recurrent layer carries its final states into the next call; a graph cannot, so
// the exported graph takes each carried state as an input and returns it as an output, and
// the caller feeds one run's final states to the next run (streaming inference).
import { Bidirectional } from '../../layers/bidirectional.js';
import type { Layer } from '../../layers/layer.js';
import { RNN } from '../../layers/rnn.js';

/** The graph input holding a stateful layer's k-th carried state ([batch, size]). */
export const initialStateName = (layer: RNN, k: number): string => `${layer.name}/initial_state_${k}`;

/** The graph output holding a stateful layer's k-th final state. */
export const finalStateName = (layer: RNN, k: number): string => `${layer.name}/final_state_${k}`;

/** The stateful recurrent layers among `layers` (bidirectional halves included), in graph order. */
export function statefulRecurrentLayers(layers: Layer[]): RNN[] {
  return layers.flatMap((l) => {
    if (l instanceof RNN) return l.stateful ? [l] : [];
    if (l instanceof Bidirectional) return [l.forwardLayer, l.backwardLayer].filter((h) => h.stateful);
    return [];
  });
}
