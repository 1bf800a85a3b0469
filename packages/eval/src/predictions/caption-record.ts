/**
 * The unit the evaluation works on: one generated caption with its reference, the video it
 * describes (for image–text scores) and whether generation stopped at EOS.
 */

/** One caption to evaluate. */
export interface CaptionRecord {
  /** Sample id (the predictions file's `id`, else `line-<n>`). */
  readonly id: string;
  /** The video the caption describes (path or dataset key); the SigLIP score needs it. */
  readonly video?: string;
  /** The generated caption; may be empty (it is scored, and counted as empty). */
  readonly prediction: string;
  readonly reference: string;
  /** Whether generation stopped at EOS (absent when unknown). */
  readonly eosReached?: boolean;
}
