/**
 * The trainable side of a run: the LLM (frozen base), its tokenizer, the projector and the
 * LoRA adapter, created from the config (seeded) or loaded from a checkpoint folder.
 */
import { LoraAdapter, Projector, SEED_LORA_CONFIG, loadQwen3, loadTokenizer, resolveModelDir } from '@kvc/models';
import type { LinearWeight, Qwen3ForCausalLM, TextTokenizer } from '@kvc/models';
import { loadModelFiles } from '@kvc/train';
import type { TrainParts } from '@kvc/train';
import type { RunConfig } from '../config/run-config.js';
import { CliError } from '../cli-error.js';
import type { Output } from '../output.js';

export interface RunModels extends TrainParts {
  /** Frozen base: f32 or f16 (precision) linear weights, or Nf4Matrix ones with llm.quantization nf4. */
  readonly model: Qwen3ForCausalLM<LinearWeight>;
  readonly projector: Projector;
  readonly lora: LoraAdapter;
  readonly tokenizer: TextTokenizer;
  readonly llmDir: string;
  readonly eosId: number;
  readonly padId: number;
  dispose(): void;
}

export async function loadRunModels(
  config: RunConfig,
  visionDim: number,
  out: Output,
  checkpointDir?: string,
): Promise<RunModels> {
  const llmDir = await resolveModelDir(config.llm.model, {
    revision: config.llm.revision,
    allowDownload: config.allowDownload,
  });
  // nf4: each decoder linear weight is quantized as it is read (only its 4-bit form is kept).
  const model = await loadQwen3(llmDir, { quantization: config.llm.quantization, precision: config.precision });
  if (config.llm.quantization === 'nf4') out.info('llm.quantization nf4: decoder linear weights in NF4');
  const tokenizer = await loadTokenizer(
    config.llm.tokenizer
      ? await resolveModelDir(config.llm.tokenizer, { allowDownload: config.allowDownload })
      : llmDir,
  );
  const eosId = tokenizer.eosTokenId ?? model.config.eosTokenIds[0];
  if (eosId === undefined) {
    model.dispose();
    throw new CliError(
      'E_NO_EOS',
      'neither the tokenizer nor config.json names an EOS token',
      { llm: llmDir },
      'captions must end with EOS for the model to learn to stop',
    );
  }
  const padId = tokenizer.padTokenId ?? model.config.padTokenId ?? eosId;
  const projector = Projector.create(config.projector.type, visionDim, model.config.hiddenSize, config.train.seed);
  const lora = LoraAdapter.create(
    model.linearModules(),
    {
      ...SEED_LORA_CONFIG,
      r: config.lora.r,
      loraAlpha: config.lora.alpha,
      loraDropout: config.lora.dropout,
      targetModules: config.lora.targetModules,
      baseModelNameOrPath: config.llm.model,
    },
    config.train.seed + 1,
  );
  const parts = { model, projector, lora };
  if (checkpointDir) await loadModelFiles(checkpointDir, parts);
  return {
    ...parts,
    tokenizer,
    llmDir,
    eosId,
    padId,
    dispose: () => {
      model.dispose();
      projector.dispose();
      lora.dispose();
    },
  };
}
