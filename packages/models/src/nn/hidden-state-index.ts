/**
 * HF's `hidden_states` indexing for encoders: index 0 is the embeddings, i the output of layer i,
 * and negative indices count from the end as Python does (-1 = the last layer's output).
 */
import { ModelsError } from '../errors.js';

/** The non-negative index of hidden state `k` of a model with `numLayers` layers. */
export function hiddenStateIndex(k: number, numLayers: number): number {
  const L = numLayers;
  const i = k < 0 ? L + 1 + k : k;
  if (!Number.isInteger(i) || i < 0 || i > L) {
    throw new ModelsError(
      'E_LAYER_RANGE',
      `hidden state ${k} does not exist: the model has ${L} layers (indices 0..${L} or -${L + 1}..-1)`,
      { layer: k, num_hidden_layers: L },
    );
  }
  return i;
}
