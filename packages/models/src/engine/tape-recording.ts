/**
 * Whether ops run now are recorded for a backward pass: a gradient tape is open (tf.grads,
 * variableGrads, a checkpointed layer's recompute) and we are not inside a custom op's forward,
 * which tfjs runs with the tape off (a checkpointed layer's first forward keeps nothing).
 */
import * as tf from '@tensorflow/tfjs-core';

export function tapeRecording(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}
