/**
 * The BERT side of BERTScore: tokenization as bert_score's `sent_encode` (strip, then
 * `[CLS] … [SEP]` with truncation to the model max length; an empty sentence is `[CLS][SEP]`),
 * and the embeddings of one hidden layer (`hidden_states[layer]`), batched with padding and an
 * attention mask as `get_bert_embedding` does.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BertModel, loadTokenizer, type Precision, type ResolveOptions, type TextTokenizer } from '@kvc/models';
import { ModelMetricError } from '../stream/evaluation-errors.js';
import type { TokenEmbeddings } from './bertscore-greedy.js';
import { pythonStrip } from './python-strip.js';
import { resolveLegacyModelDir } from './resolve-legacy-model-dir.js';

/** Options of {@link BertSentenceEncoder.load}. */
export interface BertSentenceEncoderOptions extends ResolveOptions {
  /** Which hidden state to read: 0 = embeddings output, k = after layer k. */
  readonly layer: number;
  /** Sentences per forward pass (bert_score's default 64). */
  readonly batchSize?: number;
  /** Frozen weights in f32 (default) or f16 on WebGPU. */
  readonly precision?: Precision;
}

interface TokenizerConfig {
  readonly model_max_length?: number;
  readonly cls_token?: string;
  readonly sep_token?: string;
}

/** A BERT model and its WordPiece tokenizer, reading one layer. Owns the weights: `dispose()`. */
export class BertSentenceEncoder {
  private constructor(
    readonly dir: string,
    readonly layer: number,
    private readonly model: BertModel,
    private readonly tokenizer: TextTokenizer,
    readonly clsId: number,
    readonly sepId: number,
    /** Most ids a sentence may have, specials included. */
    readonly maxLength: number,
    private readonly batchSize: number,
  ) {}

  static async load(nameOrDir: string, opts: BertSentenceEncoderOptions): Promise<BertSentenceEncoder> {
    const dir = await resolveLegacyModelDir(nameOrDir, opts);
    const tokenizer = await loadTokenizer(dir);
    let cfg: TokenizerConfig = {};
    try {
      cfg = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8')) as TokenizerConfig;
    } catch {
      // No tokenizer_config.json: BERT's defaults below.
    }
    const clsId = tokenizer.tokenToId(cfg.cls_token ?? '[CLS]');
    const sepId = tokenizer.tokenToId(cfg.sep_token ?? '[SEP]');
    if (clsId === undefined || sepId === undefined) {
      throw new ModelMetricError(
        'the tokenizer has no [CLS]/[SEP] tokens',
        { dir, cls: cfg.cls_token ?? '[CLS]', sep: cfg.sep_token ?? '[SEP]' },
        'BERTScore needs a BERT (WordPiece) tokenizer',
      );
    }
    const model = await BertModel.load(dir, opts.precision ? { precision: opts.precision } : {});
    const L = model.config.numHiddenLayers;
    if (!Number.isInteger(opts.layer) || opts.layer < 0 || opts.layer > L) {
      model.dispose();
      throw new ModelMetricError(
        `layer ${opts.layer} does not exist: the model has ${L} layers`,
        { dir, layer: opts.layer, num_hidden_layers: L },
        `pass a layer between 0 and ${L} (--bert-layer)`,
      );
    }
    // transformers' "no limit" sentinel is huge; positions cap what the model can read anyway.
    const maxLength = Math.min(cfg.model_max_length ?? Infinity, model.config.maxPositionEmbeddings);
    return new BertSentenceEncoder(dir, opts.layer, model, tokenizer, clsId, sepId, maxLength, opts.batchSize ?? 64);
  }

  /** bert_score's `sent_encode`: ids with [CLS]/[SEP], truncated to {@link maxLength}. */
  encode(sentence: string): number[] {
    const s = pythonStrip(sentence);
    if (s === '') return [this.clsId, this.sepId];
    return [this.clsId, ...this.tokenizer.encode(s).slice(0, this.maxLength - 2), this.sepId];
  }

  /** Token weights with idf off: [CLS] and [SEP] weigh 0, every other token 1 (bert_score's idf_dict). */
  weights(ids: readonly number[]): number[] {
    return ids.map((id) => (id === this.clsId || id === this.sepId ? 0 : 1));
  }

  /** hidden_states[layer] of each id list (rows of its real tokens only). */
  async embed(idLists: readonly (readonly number[])[]): Promise<TokenEmbeddings[]> {
    const out: TokenEmbeddings[] = new Array<TokenEmbeddings>(idLists.length);
    // Longest first so each padded batch wastes little (bert_score sorts too).
    const order = idLists.map((_, i) => i).sort((a, b) => idLists[b]!.length - idLists[a]!.length);
    const dim = this.model.config.hiddenSize;
    for (let s = 0; s < order.length; s += this.batchSize) {
      const rows = order.slice(s, s + this.batchSize);
      const T = Math.max(...rows.map((i) => idLists[i]!.length));
      const ids = new Int32Array(rows.length * T);
      const mask = new Int32Array(rows.length * T);
      rows.forEach((i, r) => idLists[i]!.forEach((id, t) => ((ids[r * T + t] = id), (mask[r * T + t] = 1))));
      const data = tf.tidy(() => {
        const inputIds = tf.tensor2d(ids, [rows.length, T], 'int32');
        const attentionMask = tf.tensor2d(mask, [rows.length, T], 'int32');
        return this.model.hiddenState({ inputIds, attentionMask }, this.layer);
      });
      const values = (await data.data()) as Float32Array;
      data.dispose();
      rows.forEach((i, r) => {
        const len = idLists[i]!.length;
        out[i] = { data: values.slice(r * T * dim, (r * T + len) * dim), length: len, dim };
      });
    }
    return out;
  }

  dispose(): void {
    this.model.dispose();
  }
}
