/**
 * `--quantization none|nf4` on the commands that load the LLM: the config key `llm.quantization` given
 * on the command line, the last override, so it wins over a config file, a preset or a run's saved config.
 */
import { QUANTIZATIONS } from '@kvc/models';

export const QUANTIZATION_FLAG = [
  '--quantization <q>',
  `frozen LLM linear weights: ${QUANTIZATIONS.join(' | ')} (config key llm.quantization)`,
] as const;

/** The override that `--quantization Q` stands for (none when the flag is absent). */
export function quantizationOverride(quantization: string | undefined): string[] {
  return quantization === undefined ? [] : [`llm.quantization=${quantization}`];
}
