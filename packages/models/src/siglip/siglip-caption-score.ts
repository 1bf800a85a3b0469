/**
 * The seed's per-caption SigLIP score: the mean over a video's frames (images) of
 * sigmoid(logits_per_image[:, j]) for caption j. Pure math on the logits.
 */

/** Logits [numImages, numTexts], row-major, as `logits_per_image`. */
export interface LogitsMatrix {
  readonly data: ArrayLike<number>;
  readonly shape: readonly [number, number];
}

/** mean_i sigmoid(logits[i, textIndex]); throws RangeError on an empty matrix or bad index. */
export function siglipCaptionScore(logitsPerImage: LogitsMatrix, textIndex = 0): number {
  const [rows, cols] = logitsPerImage.shape;
  if (rows <= 0 || !Number.isInteger(textIndex) || textIndex < 0 || textIndex >= cols) {
    throw new RangeError(`siglipCaptionScore: text ${textIndex} is not in a ${rows}x${cols} logits matrix`);
  }
  if (logitsPerImage.data.length !== rows * cols)
    throw new RangeError(`siglipCaptionScore: ${logitsPerImage.data.length} values for shape [${rows},${cols}]`);
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += 1 / (1 + Math.exp(-logitsPerImage.data[i * cols + textIndex]!));
  return sum / rows;
}

/** The score of every caption (column) of the logits matrix. */
export function siglipCaptionScores(logitsPerImage: LogitsMatrix): number[] {
  return Array.from({ length: logitsPerImage.shape[1] }, (_, j) => siglipCaptionScore(logitsPerImage, j));
}
