export { gemm, gemmAsync, type GemmOptions } from './gemm.js';
export {
  recurrentForward,
  recurrentForwardAsync,
  recurrentBackward,
  RECURRENT_ACTIVATIONS,
  type RecurrentActivation,
  type RecurrentCell,
  type RecurrentDirection,
  type RecurrentGradients,
  type RecurrentInputGradients,
  type RecurrentInputs,
  type RecurrentOptions,
  type RecurrentOutputs,
  type RecurrentSaved,
} from './recurrent.js';
