// ONNX RNN / LSTM / GRU as one F.recurrent call (one native forward, one tape entry) with
// every attribute. F.recurrent is batch-major; time-major (layout 0) nodes are transposed
// around it, which the tape differentiates like any other op.
import * as F from '../../../functional/index.js';
import type { RecurrentArgs, RecurrentInputs } from '../../../functional/index.js';
import { Tensor } from '../../../tensor/tensor.js';
import { fail, floatAttr, floatInput, floatsAttr, intAttr, stringAttr, stringsAttr, type OpContext, type OpDef } from '../op.js';
import { floatValue, type Value } from '../values.js';

const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

function recurrentOp(cell: 'rnn' | 'lstm' | 'gru'): OpDef {
  return {
    run(ctx: OpContext) {
      const layout = intAttr(ctx, 'layout', 0);
      if (layout !== 0 && layout !== 1) fail(ctx, `layout must be 0 or 1, got ${layout}`);
      const direction = stringAttr(ctx, 'direction', 'forward');
      if (!(DIRECTIONS as readonly string[]).includes(direction)) fail(ctx, `direction must be one of ${DIRECTIONS.join(', ')}, got '${direction}'`);
      const args: RecurrentArgs = {
        cell,
        hiddenSize: intAttr(ctx, 'hidden_size'),
        direction: direction as RecurrentArgs['direction'] & string,
      };
      const activations = stringsAttr(ctx, 'activations');
      if (activations) args.activations = activations;
      const alpha = floatsAttr(ctx, 'activation_alpha');
      if (alpha) args.activationAlpha = alpha;
      const beta = floatsAttr(ctx, 'activation_beta');
      if (beta) args.activationBeta = beta;
      if (ctx.node.attributes['clip'] !== undefined) args.clip = floatAttr(ctx, 'clip', 0);
      if (cell === 'lstm') args.inputForget = intAttr(ctx, 'input_forget', 0) !== 0;
      if (cell === 'gru') args.linearBeforeReset = intAttr(ctx, 'linear_before_reset', 0) !== 0;

      // Time-major [T, B, ...] and [D, B, H] become batch-major [B, T, ...] and [B, D, H].
      const toBatchMajor = (t: Tensor) => (layout === 0 ? F.transpose(t, [1, 0, ...t.shape.slice(2).map((_, i) => i + 2)]) : t);
      const inputs: RecurrentInputs = { X: toBatchMajor(floatInput(ctx, 0)), W: floatInput(ctx, 1), R: floatInput(ctx, 2) };
      if (ctx.inputs[3]) inputs.B = floatInput(ctx, 3);
      const lens = ctx.inputs[4];
      if (lens) {
        if (lens.type === 'float32' || lens.type === 'bool') fail(ctx, `sequence_lens must be int, got ${lens.type}`);
        inputs.sequenceLengths = lens.t;
      }
      if (ctx.inputs[5]) inputs.initialH = toBatchMajor(floatInput(ctx, 5));
      if (cell === 'lstm') {
        if (ctx.inputs[6]) inputs.initialC = toBatchMajor(floatInput(ctx, 6));
        if (ctx.inputs[7]) inputs.P = floatInput(ctx, 7);
      }
      const out = F.recurrent(inputs, args);
      // Y: [B, T, D, H] -> [T, D, B, H] for layout 0.
      const Y = layout === 0 ? F.transpose(out.Y, [1, 2, 0, 3]) : out.Y;
      const states = (t: Tensor) => (layout === 0 ? F.transpose(t, [1, 0, 2]) : t);
      const wanted = (i: number) => (ctx.node.outputs[i] ?? '') !== '';
      const results: (Value | undefined)[] = [
        wanted(0) ? floatValue(Y) : undefined,
        wanted(1) ? floatValue(states(out.Yh)) : undefined,
      ];
      if (cell === 'lstm') results.push(wanted(2) && out.Yc ? floatValue(states(out.Yc)) : undefined);
      return results;
    },
  };
}

export const recurrentOps: Record<string, OpDef> = {
  RNN: recurrentOp('rnn'),
  LSTM: recurrentOp('lstm'),
  GRU: recurrentOp('gru'),
};
