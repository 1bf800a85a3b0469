/**
 * Which hidden layer BERTScore reads for a model, from bert_score 0.3.12's `model2layers` (the
 * BERT-architecture entries; the layers its authors found best on WMT16). `evaluate`'s bertscore
 * with `lang="ko"` uses bert-base-multilingual-cased, layer 9.
 */
import { basename } from 'node:path';

/** The model `evaluate`'s bertscore picks for Korean. */
export const BERTSCORE_KO_MODEL = 'bert-base-multilingual-cased';

const MODEL_LAYERS: Readonly<Record<string, number>> = {
  'bert-base-uncased': 9,
  'bert-large-uncased': 18,
  'bert-base-cased-finetuned-mrpc': 9,
  'bert-base-multilingual-cased': 9,
  'bert-base-chinese': 8,
  'scibert-scivocab-uncased': 8,
  'scibert-scivocab-cased': 9,
  'scibert-basevocab-uncased': 9,
  'scibert-basevocab-cased': 9,
};

/**
 * bert_score's layer for `model` (a hub id like `google-bert/bert-base-multilingual-cased`, or a
 * local folder named after the model), or undefined when it has no entry.
 */
export function bertscoreDefaultLayer(model: string): number | undefined {
  const name = basename(model.replace(/[\\/]+$/, ''));
  return MODEL_LAYERS[name];
}
