// loom.layers: the layer factories (tfjs names, one `...Args` object each), the classes,
// the initializers and serialization.
import { AdditiveAttention, Attention, type AdditiveAttentionArgs, type AttentionArgs } from './attention.js';
import { Bidirectional, type BidirectionalArgs } from './bidirectional.js';
import { Dense, type DenseArgs } from './dense.js';
import { Dropout, type DropoutArgs } from './dropout.js';
import { Embedding, type EmbeddingArgs } from './embedding.js';
import { GRU, GRUCell, type GRUArgs, type GRUCellArgs } from './gru.js';
import { LayerNormalization, type LayerNormalizationArgs } from './layer-normalization.js';
import { LSTM, LSTMCell, type LSTMArgs, type LSTMCellArgs } from './lstm.js';
import { RepeatVector, type RepeatVectorArgs } from './repeat-vector.js';
import { RNN, type RNNArgs } from './rnn.js';
import { SimpleRNN, SimpleRNNCell, type SimpleRNNArgs, type SimpleRNNCellArgs } from './simple-rnn.js';
import { StackedRNNCells, type StackedRNNCellsArgs } from './stacked-rnn-cells.js';
import { TimeDistributed, type TimeDistributedArgs } from './time-distributed.js';

export {
  AdditiveAttention, Attention, Bidirectional, Dense, Dropout, Embedding, GRU, GRUCell, LayerNormalization, LSTM, LSTMCell,
  RepeatVector, RNN, SimpleRNN, SimpleRNNCell, StackedRNNCells, TimeDistributed,
};
export type {
  AdditiveAttentionArgs, AttentionArgs, BidirectionalArgs, DenseArgs, DropoutArgs, EmbeddingArgs, GRUArgs, GRUCellArgs,
  LayerNormalizationArgs, LSTMArgs, LSTMCellArgs, RepeatVectorArgs, RNNArgs, SimpleRNNArgs, SimpleRNNCellArgs,
  StackedRNNCellsArgs, TimeDistributedArgs,
};
export type { BidirectionalMergeMode } from './bidirectional.js';
export type { BaseAttentionArgs } from './attention.js';
export type { BaseRNNArgs } from './rnn.js';
export { RNNCell, type RNNCellArgs, type StepMasks, type FusedCell } from './rnn-cell.js';
export { Layer, LayerVariable, getMask, setMask, type ApplyKwargs, type LayerArgs, type LayerConfig, type Shape } from './layer.js';
export { registerLayer, serializeLayer, deserializeLayer, getLayerClass, type SerializedLayer } from './serialization.js';
export type { WeightsOptions } from './keras-layout.js';
export { configKeys, LAYER_KEYS, type KeyMap } from './config-keys.js';
export { ACTIVATION_IDS, type ActivationIdentifier } from './activations.js';
export * as initializers from './initializers.js';

export const embedding = (args: EmbeddingArgs) => new Embedding(args);
export const dense = (args: DenseArgs) => new Dense(args);
export const simpleRNN = (args: SimpleRNNArgs) => new SimpleRNN(args);
export const lstm = (args: LSTMArgs) => new LSTM(args);
export const gru = (args: GRUArgs) => new GRU(args);
export const rnn = (args: RNNArgs) => new RNN(args);
export const simpleRNNCell = (args: SimpleRNNCellArgs) => new SimpleRNNCell(args);
export const lstmCell = (args: LSTMCellArgs) => new LSTMCell(args);
export const gruCell = (args: GRUCellArgs) => new GRUCell(args);
export const stackedRNNCells = (args: StackedRNNCellsArgs) => new StackedRNNCells(args);
export const bidirectional = (args: BidirectionalArgs) => new Bidirectional(args);
export const dropout = (args: DropoutArgs) => new Dropout(args);
export const layerNormalization = (args?: LayerNormalizationArgs) => new LayerNormalization(args);
export const timeDistributed = (args: TimeDistributedArgs) => new TimeDistributed(args);
export const repeatVector = (args: RepeatVectorArgs) => new RepeatVector(args);
export const attention = (args?: AttentionArgs) => new Attention(args);
export const additiveAttention = (args?: AdditiveAttentionArgs) => new AdditiveAttention(args);
