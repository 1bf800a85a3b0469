/**
 * From a Hugging Face `model_type` (config.json) to the loader of its architecture, as
 * transformers.js's registry: `loadModel(dir)` reads config.json and dispatches. To add an
 * architecture, add one line to MODEL_LOADERS (or call registerModel at run time).
 */
import { ConfigError } from '../errors.js';
import { readJsonConfig } from '../io/read-config.js';
import { resolveModelDir, type ResolveOptions } from '../io/resolve-model-dir.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import { BertModel } from '../bert/bert-model.js';
import { ClipVisionModel } from '../clip/clip-vision-model.js';
import { SiglipModel } from '../siglip/siglip-model.js';

/** Anything a loader returns: a model that owns tensors. */
export interface LoadedModel {
  dispose(): void;
}

/** Loads the model in `dir`; `config` is its parsed config.json. */
export type ModelLoader = (dir: string, config: Readonly<Record<string, unknown>>) => Promise<LoadedModel>;

/** One line per architecture: model_type → loader. */
const MODEL_LOADERS: Record<string, ModelLoader> = {
  qwen3: (dir) => loadQwen3(dir),
  clip_vision_model: (dir) => ClipVisionModel.load(dir),
  clip: (dir) => ClipVisionModel.load(dir), // the vision tower of a full CLIPModel
  siglip: (dir) => SiglipModel.load(dir),
  bert: (dir) => BertModel.load(dir),
};

/** Adds or replaces the loader of a model_type. */
export function registerModel(modelType: string, loader: ModelLoader): void {
  MODEL_LOADERS[modelType] = loader;
}

export function registeredModelTypes(): string[] {
  return Object.keys(MODEL_LOADERS).sort();
}

/**
 * Loads a model folder or hub id (from the HF cache) by its config.json `model_type`.
 * The caller narrows the result (e.g. `as Qwen3ForCausalLM`) and owns it.
 */
export async function loadModel<T extends LoadedModel = LoadedModel>(nameOrDir: string, opts: ResolveOptions = {}): Promise<T> {
  const dir = await resolveModelDir(nameOrDir, opts);
  const config = await readJsonConfig(dir);
  const type = config.model_type;
  const loader = typeof type === 'string' ? MODEL_LOADERS[type] : undefined;
  if (!loader) {
    throw new ConfigError('E_MODEL_TYPE_UNSUPPORTED', `model_type ${JSON.stringify(type)} is not supported`, { dir, modelType: type, supported: registeredModelTypes() }, `supported model types: ${registeredModelTypes().join(', ')}`);
  }
  return (await loader(dir, config)) as T;
}
