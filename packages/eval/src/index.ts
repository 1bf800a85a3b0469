/**
 * @kvc/eval — caption metrics. Pure metrics (no model): METEOR (nltk-exact), BLEU, ROUGE-L,
 * CIDEr-D, diversity; the nltk tokenizers they need; parity runners against Python references.
 */
export { EvalError, MetricInputError, ParityCaseError } from './errors.js';

export { nltkSentTokenize, nltkWordTokenize, type NltkWordTokenizeOptions } from './tokenize/nltk-word-tokenize.js';
export { nltkTreebankTokenize } from './tokenize/nltk-word-tokenizer.js';
export { PunktSentenceTokenizer } from './tokenize/punkt-sentence-tokenizer.js';
export { EMPTY_PUNKT_PARAMETERS, loadPunktParameters, type PunktParameters } from './tokenize/punkt-parameters.js';

export { porterStem } from './metrics/porter-stemmer.js';
export { countChunks, meteorAlign, meteorScore, singleMeteorScore, type MeteorOptions, type SynonymProvider } from './metrics/meteor.js';
export { corpusMeteor, type CorpusMeteorOptions, type CorpusMeteorResult } from './metrics/corpus-meteor.js';
export { numpyMean } from './metrics/numpy-mean.js';
export { type ParityCheck, type ParityReport } from './metrics/parity-report.js';
export { METEOR_PARITY_TOLERANCE, runMeteorParity } from './metrics/meteor-parity.js';

export { type Tokenizer, whitespaceTokenize } from './tokenize/whitespace-tokenize.js';
export { type SampleReferences } from './metrics/corpus-input.js';
export { corpusBleu, type BleuOptions, type BleuResult } from './metrics/bleu.js';
export { corpusRougeL, lcsLength, rougeL, type RougeLOptions } from './metrics/rouge-l.js';
export { corpusCiderD, type CiderDOptions } from './metrics/cider-d.js';
export {
  MODE_COLLAPSE_THRESHOLD,
  diversityStats,
  lengthStats,
  type DiversityOptions,
  type DiversityStats,
  type LengthStats,
} from './metrics/diversity.js';
export {
  PURE_METRIC_NAMES,
  computePureMetrics,
  type EvalRecord,
  type PureMetricName,
  type PureMetricsAggregate,
  type PureMetricsOptions,
  type PureMetricsSample,
} from './metrics/compute-pure-metrics.js';
