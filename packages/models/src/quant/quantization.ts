/**
 * `quantization` of a model's frozen linear weights (kvc issue #13): `none` keeps them as loaded
 * (f32, or f16 with precision f16); `nf4` stores each as bitsandbytes' 4-bit NormalFloat (an
 * Nf4Matrix: 0.5 byte a weight plus one f32 scale per 64). Embeddings, norms, the output head,
 * biases, LoRA and the projector are never quantized.
 */
import { ConfigError } from '../errors.js';
import { checkNf4Backend } from './nf4-matmul.js';

export type Quantization = 'none' | 'nf4';
export const QUANTIZATIONS: readonly Quantization[] = ['none', 'nf4'];

/** Fails early (before any weight is read) on an unknown value or a backend that cannot run NF4. */
export function checkQuantization(quantization: Quantization): void {
  if (!QUANTIZATIONS.includes(quantization)) {
    throw new ConfigError(
      'E_QUANTIZATION',
      `unknown quantization ${String(quantization)}`,
      { quantization },
      'use none or nf4',
    );
  }
  if (quantization === 'nf4') checkNf4Backend();
}
