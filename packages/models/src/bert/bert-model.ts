/**
 * BertModel (encoder only) in tfjs: word + position + token-type embeddings and LayerNorm,
 * post-LN encoder layers, the padding mask as an additive finfo.min on masked keys (as HF).
 * Returns any hidden state: index 0 = embeddings output, k = after layer k (BERTScore reads
 * one layer). Reads `bert` checkpoints with or without the `bert.` prefix (BertFor* files).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ModelsError } from '../errors.js';
import { Checkpoint } from '../io/checkpoint.js';
import { readJsonConfig } from '../io/read-config.js';
import { resolveModelDir, type ResolveOptions } from '../io/resolve-model-dir.js';
import { getActivation } from '../nn/activations.js';
import { layerNorm, type LayerNormWeights } from '../nn/layer-norm.js';
import { paddingAttentionBias } from '../nn/attention-bias.js';
import { WeightLoader, layerNormShapes, resolveWeightName } from '../nn/weight-loader.js';
import { parseBertConfig, type BertConfig } from './bert-config.js';
import { bertLayer, bertLayerShapes, loadBertLayer, type BertLayerWeights } from './bert-layer.js';
import { checkPrecision, type Precision } from '../nn/precision.js';
import { hiddenStateIndex } from '../nn/hidden-state-index.js';

export interface BertLoadOptions extends ResolveOptions {
  /** Overrides of parsed config values (tests, experiments). */
  readonly config?: Partial<BertConfig>;
  /** Frozen linear weights in f32 (default) or f16 on WebGPU (nn/precision.ts). */
  readonly precision?: Precision;
}

export interface BertInputs {
  /** [B, T] token ids. */
  readonly inputIds: tf.Tensor2D;
  /** [B, T] 1 = token, 0 = padding. Default all ones. */
  readonly attentionMask?: tf.Tensor2D;
  /** [B, T] segment ids. Default all zeros. */
  readonly tokenTypeIds?: tf.Tensor2D;
}

interface Weights {
  readonly words: tf.Tensor2D;
  readonly positions: tf.Tensor2D;
  readonly types: tf.Tensor2D;
  readonly embLn: LayerNormWeights;
  readonly layers: readonly BertLayerWeights[];
}

export function bertShapes(c: BertConfig): Map<string, number[]> {
  const h = c.hiddenSize;
  const e: [string, number[]][] = [
    ['embeddings.word_embeddings.weight', [c.vocabSize, h]],
    ['embeddings.position_embeddings.weight', [c.maxPositionEmbeddings, h]],
    ['embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]],
    ...layerNormShapes('embeddings.LayerNorm', h),
  ];
  for (let i = 0; i < c.numHiddenLayers; i++) e.push(...bertLayerShapes(`encoder.layer.${i}.`, h, c.intermediateSize));
  return new Map(e);
}

export class BertModel {
  private constructor(
    readonly config: BertConfig,
    private readonly w: Weights,
    private readonly loader: WeightLoader,
  ) {}

  static async load(nameOrDir: string, opts: BertLoadOptions = {}): Promise<BertModel> {
    const dir = await resolveModelDir(nameOrDir, opts);
    const config = { ...parseBertConfig(await readJsonConfig(dir), `${dir}/config.json`), ...opts.config };
    getActivation(config.hiddenAct);
    checkPrecision(opts.precision ?? 'f32');
    const ckpt = await Checkpoint.open(dir);
    const prefix = ckpt.has('bert.embeddings.word_embeddings.weight') ? 'bert.' : '';
    const l = new WeightLoader(ckpt, prefix, opts.precision);
    try {
      const expected = new Map(
        [...bertShapes(config)].map(([n, s]) => [resolveWeightName(ckpt, prefix + n), s] as const),
      );
      // The pooler and task heads (cls.*) are not part of the hidden states.
      ckpt.validate(expected, {
        ignore: (n) => !n.startsWith(prefix) || n.startsWith(`${prefix}pooler.`) || n.endsWith('position_ids'),
      });
      const layers: BertLayerWeights[] = [];
      for (let i = 0; i < config.numHiddenLayers; i++) layers.push(await loadBertLayer(l, `encoder.layer.${i}.`));
      const w: Weights = {
        words: (await l.tensor('embeddings.word_embeddings.weight')) as tf.Tensor2D,
        positions: (await l.tensor('embeddings.position_embeddings.weight')) as tf.Tensor2D,
        types: (await l.tensor('embeddings.token_type_embeddings.weight')) as tf.Tensor2D,
        embLn: await l.layerNorm('embeddings.LayerNorm'),
        layers,
      };
      return new BertModel(config, w, l);
    } catch (err) {
      l.dispose();
      throw err;
    } finally {
      await ckpt.close();
    }
  }

  /** hidden_states[k] for each requested k (negative from the end), in request order. */
  hiddenStates(inputs: BertInputs, layers: readonly number[]): tf.Tensor3D[] {
    const idx = layers.map((k) => this.layerIndex(k));
    const upTo = Math.max(0, ...idx);
    return tf.tidy(() => {
      const states = this.run(inputs, upTo);
      return idx.map((k) => tf.clone(states[k]!));
    });
  }

  /** hidden_states[k] [B, T, H], running only the layers it needs. */
  hiddenState(inputs: BertInputs, layer: number): tf.Tensor3D {
    return this.hiddenStates(inputs, [layer])[0]!;
  }

  /** All hidden states, [L + 1] tensors [B, T, H] (index 0 = embeddings). */
  allHiddenStates(inputs: BertInputs): tf.Tensor3D[] {
    return tf.tidy(() => this.run(inputs, this.config.numHiddenLayers));
  }

  dispose(): void {
    this.loader.dispose();
  }

  private run(inputs: BertInputs, upTo: number): tf.Tensor3D[] {
    const c = this.config;
    const [b, t] = inputs.inputIds.shape;
    if (t > c.maxPositionEmbeddings) {
      throw new ModelsError(
        'E_INPUT_SHAPE',
        `${t} tokens exceed max_position_embeddings ${c.maxPositionEmbeddings}`,
        { length: t, max: c.maxPositionEmbeddings },
        'tokenize with truncation to the model max length',
      );
    }
    for (const [name, x] of [
      ['attentionMask', inputs.attentionMask],
      ['tokenTypeIds', inputs.tokenTypeIds],
    ] as const) {
      if (x && (x.shape[0] !== b || x.shape[1] !== t))
        throw new ModelsError('E_INPUT_SHAPE', `${name} [${x.shape.join(',')}] does not match input_ids [${b},${t}]`, {
          name,
        });
    }
    const act = getActivation(c.hiddenAct);
    const ids = tf.reshape(tf.cast(inputs.inputIds, 'int32'), [-1]);
    const types = inputs.tokenTypeIds
      ? tf.reshape(tf.cast(inputs.tokenTypeIds, 'int32'), [-1])
      : tf.zeros([b * t], 'int32');
    const emb = tf.add(
      tf.add(
        tf.reshape(tf.gather(this.w.words, ids), [b, t, c.hiddenSize]),
        tf.reshape(tf.gather(this.w.types, types), [b, t, c.hiddenSize]),
      ),
      tf.slice(this.w.positions, [0, 0], [t, -1]),
    );
    let x = layerNorm(emb, this.w.embLn, c.layerNormEps) as tf.Tensor3D;
    const mask = inputs.attentionMask ? paddingAttentionBias(inputs.attentionMask) : undefined;
    const states = [x];
    for (let i = 0; i < upTo; i++) {
      x = bertLayer(x, this.w.layers[i]!, { numHeads: c.numAttentionHeads, eps: c.layerNormEps, act, mask });
      states.push(x);
    }
    return states;
  }

  private layerIndex(k: number): number {
    return hiddenStateIndex(k, this.config.numHiddenLayers);
  }
}
