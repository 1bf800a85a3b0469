/**
 * Encoder tokenizers (special tokens added, batched, truncated and padded) from a local model
 * folder (tokenizer.json + tokenizer_config.json; hf-tokenizer.ts: WordPiece for BERT, Gemma's
 * for SigLIP2), never the network. Batches are truncated and padded here, keeping special tokens
 * as HF does.
 */
import { ModelsError } from '../errors.js';
import { loadHfTokenizer, type HfTokenizer } from '../tokenizer/hf-tokenizer.js';

export interface EncodedBatch {
  /** [B][T] token ids. */
  readonly inputIds: number[][];
  /** [B][T] 1 = token, 0 = padding. */
  readonly attentionMask: number[][];
}

export interface EncodeOptions {
  /** `longest`: pad to the batch's longest; `max_length`: pad to `maxLength`; `none`: no padding. */
  readonly padding?: 'longest' | 'max_length' | 'none';
  /** Truncate (keeping special tokens) to this many tokens. */
  readonly maxLength?: number;
  readonly addSpecialTokens?: boolean;
}

export class EncoderTokenizer {
  private constructor(
    private readonly tok: HfTokenizer,
    readonly dir: string,
  ) {}

  /** Loads tokenizer.json (+ tokenizer_config.json if present) from `dir`. */
  static async load(dir: string): Promise<EncoderTokenizer> {
    const tok = await loadHfTokenizer(dir, {
      code: 'E_TOKENIZER_MISSING',
      hint: 'the model folder needs tokenizer.json (save the tokenizer with a fast tokenizer, or download it with the model)',
    });
    return new EncoderTokenizer(tok, dir);
  }

  get padTokenId(): number | undefined {
    return this.tok.padTokenId;
  }

  /** Ids of one text (special tokens added unless told not to). */
  encodeOne(text: string, addSpecialTokens = true): number[] {
    return this.tok.encode(text, addSpecialTokens);
  }

  decode(ids: number[], skipSpecialTokens = true): string {
    return this.tok.decode(ids, skipSpecialTokens);
  }

  /** Tokenizes a batch with HF's truncation (special tokens kept) and padding (the tokenizer's side). */
  encode(texts: readonly string[], opts: EncodeOptions = {}): EncodedBatch {
    const padding = opts.padding ?? 'longest';
    const special = opts.addSpecialTokens ?? true;
    const max = opts.maxLength;
    if (padding === 'max_length' && max === undefined)
      throw new ModelsError('E_TOKENIZE_OPTIONS', "padding 'max_length' needs maxLength", {});
    const rows = texts.map((t) => this.truncated(t, special, max));
    const width =
      padding === 'max_length' ? max! : padding === 'longest' ? Math.max(0, ...rows.map((r) => r.length)) : 0;
    const pad = this.padTokenId;
    if (width > 0 && rows.some((r) => r.length < width) && pad === undefined) {
      throw new ModelsError('E_TOKENIZE_OPTIONS', 'the tokenizer has no pad token', { dir: this.dir });
    }
    const left = this.tok.paddingSide === 'left';
    const inputIds: number[][] = [];
    const attentionMask: number[][] = [];
    for (const r of rows) {
      const n = Math.max(0, width - r.length);
      const padIds = new Array<number>(n).fill(pad ?? 0);
      const ones = new Array<number>(r.length).fill(1);
      const zeros = new Array<number>(n).fill(0);
      inputIds.push(left ? [...padIds, ...r] : [...r, ...padIds]);
      attentionMask.push(left ? [...zeros, ...ones] : [...ones, ...zeros]);
    }
    return { inputIds, attentionMask };
  }

  /** Text ids cut so that, with the special tokens around them, at most `max` remain. */
  private truncated(text: string, special: boolean, max?: number): number[] {
    const full = this.tok.encode(text, special);
    if (max === undefined || full.length <= max) return full;
    const bare = this.tok.encode(text, false);
    // full = [prefix specials, bare..., suffix specials]: find where bare sits.
    let p = 0;
    while (p + bare.length <= full.length && !bare.every((id, i) => full[p + i] === id)) p++;
    if (p + bare.length > full.length) return full.slice(0, max);
    const pre = full.slice(0, p);
    const post = full.slice(p + bare.length);
    return [...pre, ...bare.slice(0, Math.max(0, max - pre.length - post.length)), ...post].slice(0, max);
  }
}
