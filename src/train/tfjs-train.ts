// tfjs's `tf.train` optimizer factories with their positional signatures, so tfjs code
// (`tf.train.adam(0.001, 0.9, 0.999)`) ports by changing the import. Defaults left
// undefined fall back to the Keras defaults of the optimizers themselves.
import type { LearningRateSchedule } from './schedules.js';
import { Adagrad, Adam, RMSprop, SGD } from './optimizers.js';

type LearningRate = number | LearningRateSchedule;

/** tf.train.sgd(learningRate). */
export const sgd = (learningRate: LearningRate): SGD => new SGD({ learningRate });

/** tf.train.momentum(learningRate, momentum, useNesterov = false). */
export const momentum = (learningRate: LearningRate, momentum: number, useNesterov = false): SGD =>
  new SGD({ learningRate, momentum, nesterov: useNesterov });

/** tf.train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7). */
export const adam = (learningRate?: LearningRate, beta1?: number, beta2?: number, epsilon?: number): Adam =>
  new Adam({ learningRate, beta1, beta2, epsilon });

/** tf.train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = 1e-7, centered = false). */
export const rmsprop = (learningRate: LearningRate, decay?: number, momentum?: number, epsilon?: number, centered?: boolean): RMSprop =>
  new RMSprop({ learningRate, rho: decay, momentum, epsilon, centered });

/** tf.train.adagrad(learningRate, initialAccumulatorValue = 0.1). */
export const adagrad = (learningRate: LearningRate, initialAccumulatorValue?: number): Adagrad =>
  new Adagrad({ learningRate, initialAccumulatorValue });
