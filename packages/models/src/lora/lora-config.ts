/**
 * PEFT's LoRA adapter_config.json: read into a typed config (unsupported variants rejected
 * up front) and written back with every field peft needs to load the adapter in Python.
 */
import { ConfigError } from '../errors.js';
import { intField } from '../io/config-fields.js';

export interface LoraConfig {
  readonly r: number;
  readonly loraAlpha: number;
  /** Dropout on the LoRA input, training only. */
  readonly loraDropout: number;
  /** Module names (a module matches if its path ends with ".name") or one regex (full match). */
  readonly targetModules: readonly string[] | string;
  /** scaling = alpha / sqrt(r) instead of alpha / r. */
  readonly useRslora: boolean;
  /** Per-module rank / alpha overrides (PEFT regex keys). */
  readonly rankPattern: Readonly<Record<string, number>>;
  readonly alphaPattern: Readonly<Record<string, number>>;
  readonly baseModelNameOrPath: string | null;
}

/** The seed notebook's LoRA: r 16, alpha 32, dropout 0.05 on every linear of the decoder. */
export const SEED_LORA_CONFIG: LoraConfig = {
  r: 16,
  loraAlpha: 32,
  loraDropout: 0.05,
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  useRslora: false,
  rankPattern: {},
  alphaPattern: {},
  baseModelNameOrPath: null,
};

function patternValue(patterns: Readonly<Record<string, number>>, path: string): number | undefined {
  for (const [key, v] of Object.entries(patterns)) if (new RegExp(`(^|.*\\.)${key}$`).test(path)) return v;
  return undefined;
}

/** Whether `path` (e.g. model.layers.0.self_attn.q_proj) is adapted, PEFT's rule. */
export function isLoraTarget(c: LoraConfig, path: string): boolean {
  if (typeof c.targetModules === 'string') return new RegExp(`^(?:${c.targetModules})$`).test(path);
  return c.targetModules.some((t) => path === t || path.endsWith(`.${t}`));
}

/** Rank and scaling of one module. */
export function loraRankAndScaling(c: LoraConfig, path: string): { r: number; scaling: number } {
  const r = patternValue(c.rankPattern, path) ?? c.r;
  const alpha = patternValue(c.alphaPattern, path) ?? c.loraAlpha;
  return { r, scaling: c.useRslora ? alpha / Math.sqrt(r) : alpha / r };
}

export function parseLoraConfig(raw: Record<string, unknown>, file?: string): LoraConfig {
  const unsupported = (field: string, why: string) =>
    new ConfigError('E_LORA_UNSUPPORTED', `adapter_config.json: ${why}`, { file, field });
  if (raw.peft_type !== undefined && raw.peft_type !== 'LORA')
    throw unsupported('peft_type', `peft_type "${String(raw.peft_type)}" is not LORA`);
  if (raw.use_dora === true) throw unsupported('use_dora', 'DoRA adapters are not supported');
  if (raw.bias !== undefined && raw.bias !== 'none')
    throw unsupported('bias', `bias "${String(raw.bias)}" is not supported (only "none")`);
  if (raw.fan_in_fan_out === true)
    throw unsupported('fan_in_fan_out', 'fan_in_fan_out (GPT-2 Conv1D) is not supported');
  if (raw.layers_to_transform != null) throw unsupported('layers_to_transform', 'layers_to_transform is not supported');
  if (raw.modules_to_save != null && !(Array.isArray(raw.modules_to_save) && raw.modules_to_save.length === 0)) {
    throw unsupported('modules_to_save', 'modules_to_save is not supported');
  }
  const r = intField(raw, 'r', undefined, file);
  const tm = raw.target_modules;
  const targetModules = typeof tm === 'string' ? tm : Array.isArray(tm) ? tm.map(String) : undefined;
  if (!targetModules) {
    const why = 'adapter_config.json: "target_modules" must be a list or a regex';
    throw new ConfigError('E_CONFIG_INVALID', why, { file, field: 'target_modules' });
  }
  return {
    r,
    loraAlpha: typeof raw.lora_alpha === 'number' ? raw.lora_alpha : 8,
    loraDropout: typeof raw.lora_dropout === 'number' ? raw.lora_dropout : 0,
    targetModules,
    useRslora: raw.use_rslora === true,
    rankPattern: (raw.rank_pattern ?? {}) as Record<string, number>,
    alphaPattern: (raw.alpha_pattern ?? {}) as Record<string, number>,
    baseModelNameOrPath: typeof raw.base_model_name_or_path === 'string' ? raw.base_model_name_or_path : null,
  };
}

/** adapter_config.json contents that Python peft (0.1x–0.2x) loads with PeftModel.from_pretrained. */
export function loraConfigToPeftJson(c: LoraConfig): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: c.baseModelNameOrPath,
    r: c.r,
    lora_alpha: c.loraAlpha,
    lora_dropout: c.loraDropout,
    target_modules: typeof c.targetModules === 'string' ? c.targetModules : [...c.targetModules],
    bias: 'none',
    fan_in_fan_out: false,
    use_rslora: c.useRslora,
    use_dora: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: { ...c.rankPattern },
    alpha_pattern: { ...c.alphaPattern },
    revision: null,
  };
}
