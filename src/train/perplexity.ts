// Perplexity (KerasNLP's): exp of the mean token cross-entropy over real tokens.
import { noGrad } from '../autograd/tape.js';
import { formatShape } from '../tensor/format.js';
import type { Tensor } from '../tensor/tensor.js';
import { argsObject, boolean, describe } from './args.js';
import { SparseCategoricalCrossentropy } from './crossentropy.js';
import { checkPair, metricName, type Metric, type MetricArgs } from './metric.js';
import { sampleWeights } from './weights.js';

export interface PerplexityArgs extends MetricArgs {
  /** yPred holds logits rather than probabilities (default false, as KerasNLP). */
  fromLogits?: boolean;
  /** Tokens with this label are padding: not counted (KerasNLP's mask_token_id). */
  maskTokenId?: number | null;
}

/** exp of the mean token cross-entropy over every real token since reset (KerasNLP's Perplexity). */
export class Perplexity implements Metric {
  readonly name: string;
  readonly fromLogits: boolean;
  readonly maskTokenId: number | null;
  private readonly loss: SparseCategoricalCrossentropy;
  private total = 0;
  private count = 0;

  constructor(args: PerplexityArgs = {}) {
    const a = argsObject('perplexity', args);
    this.name = metricName('perplexity', a.name, 'perplexity');
    this.fromLogits = boolean('perplexity', 'fromLogits', a.fromLogits ?? false);
    const id = a.maskTokenId ?? null;
    if (id !== null && !Number.isInteger(id)) throw new RangeError(`perplexity: maskTokenId must be an integer or null, got ${describe(id)}`);
    this.maskTokenId = id;
    this.loss = new SparseCategoricalCrossentropy({ fromLogits: this.fromLogits, reduction: 'none', name: this.name, ignoreClass: id });
  }

  update(yTrue: Tensor, yPred: Tensor, sampleWeight?: Tensor | null, mask?: Tensor | null): void {
    const { sampleShape } = checkPair(this.name, yTrue, yPred);
    if (yPred.rank < 2) throw new RangeError(`${this.name}: yPred must be [..., vocabulary], got ${formatShape(yPred.shape)}`);
    const ce = noGrad(() => this.loss.perSample(yTrue, yPred)).data;
    const { weights } = sampleWeights(this.name, sampleShape, sampleWeight, mask);
    for (let i = 0; i < ce.length; i++) {
      let w = weights === null ? 1 : weights[i]!;
      if (this.maskTokenId !== null && yTrue.data[i] === this.maskTokenId) w = 0;
      if (w !== 0) {
        this.total += w * ce[i]!;
        this.count += w;
      }
    }
  }

  result(): number {
    return this.count === 0 ? 0 : Math.exp(this.total / this.count);
  }

  reset(): void {
    this.total = 0;
    this.count = 0;
  }
}
