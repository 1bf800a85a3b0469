/** What a model asks of a LoRA adapter: the A/B pair of a module, by its HF module path. */
import type { LoraPair } from '../nn/linear.js';

export interface LoraProvider {
  /** The pair for e.g. `model.layers.0.self_attn.q_proj`, or undefined if not adapted. */
  pair(modulePath: string): LoraPair | undefined;
}
