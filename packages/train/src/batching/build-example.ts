/**
 * One training example from a prompt and a caption, built segment by segment: the prompt and the
 * caption are tokenized separately (no BPE merge across the boundary, so the prompt's length is
 * exactly its own token count), EOS is appended to every target (the seed never did, so its
 * models never learned to stop), and labels are -100 on the prompt.
 */

export interface TextTokenizer {
  /** Token ids of `text` without special tokens. */
  encode(text: string): number[];
}

export interface TrainingExample {
  readonly inputIds: readonly number[];
  /** -100 where no loss is taken (the prompt); the caption ids and EOS elsewhere. */
  readonly labels: readonly number[];
  readonly promptLength: number;
  /** True when the caption was cut to fit `maxTextLength` (EOS is kept even then). */
  readonly truncated: boolean;
}

export const IGNORE_INDEX = -100;

export interface BuildExampleOptions {
  readonly promptIds: readonly number[];
  readonly captionIds: readonly number[];
  readonly eosId: number;
  /** Text tokens per example (prompt + caption + EOS), vision tokens not counted; the seed's max_length. */
  readonly maxTextLength: number;
}

export function buildExample(o: BuildExampleOptions): TrainingExample {
  if (o.maxTextLength < o.promptIds.length + 1) {
    throw new RangeError(
      `maxTextLength ${o.maxTextLength} leaves no room for a caption after a ${o.promptIds.length}-token prompt`,
    );
  }
  const room = o.maxTextLength - o.promptIds.length - 1;
  const caption = o.captionIds.slice(0, room);
  const inputIds = [...o.promptIds, ...caption, o.eosId];
  const labels = [...o.promptIds.map(() => IGNORE_INDEX), ...caption, o.eosId];
  return { inputIds, labels, promptLength: o.promptIds.length, truncated: caption.length < o.captionIds.length };
}

/** Tokenizes prompt and caption separately and builds the example. */
export function tokenizeExample(
  tokenizer: TextTokenizer,
  prompt: string,
  caption: string,
  eosId: number,
  maxTextLength: number,
): TrainingExample {
  return buildExample({
    promptIds: tokenizer.encode(prompt),
    captionIds: tokenizer.encode(caption),
    eosId,
    maxTextLength,
  });
}
