/**
 * @kvc/eval — caption metrics: the metric registry (keys, labels, directions) every other package
 * reads; pure metrics (METEOR nltk-exact, BLEU, ROUGE-L, CIDEr-D, diversity) and the nltk
 * tokenizers they need; model-based metrics (BERTScore, SigLIP2 score); the evaluation stream,
 * predictions / metrics files, the run report, and parity runners against Python references.
 */
export { EvalError, MetricInputError, ParityCaseError } from './errors.js';

export { nltkSentTokenize, nltkWordTokenize, type NltkWordTokenizeOptions } from './tokenize/nltk-word-tokenize.js';
export { nltkTreebankTokenize } from './tokenize/nltk-word-tokenizer.js';
export { PunktSentenceTokenizer } from './tokenize/punkt-sentence-tokenizer.js';
export { EMPTY_PUNKT_PARAMETERS, loadPunktParameters, type PunktParameters } from './tokenize/punkt-parameters.js';

export {
  METRICS,
  METRIC_CHOICES,
  TRAINING_LOG_METRICS,
  canonicalMetricKey,
  canonicalMetrics,
  findMetric,
  metricFamilies,
  metricLabel,
  metricSpec,
  sortMetrics,
  type LoggedMetric,
  type MetricDirection,
  type MetricFamily,
  type MetricFormat,
  type MetricSpec,
} from './metrics/metric-registry.js';
export { formatMetric, type MetricTextStyle } from './metrics/format-metric.js';

export { porterStem } from './metrics/porter-stemmer.js';
export {
  countChunks,
  meteorAlign,
  meteorScore,
  singleMeteorScore,
  type MeteorOptions,
  type SynonymProvider,
} from './metrics/meteor.js';
export { corpusMeteor, type CorpusMeteorOptions, type CorpusMeteorResult } from './metrics/corpus-meteor.js';
export { numpyMean } from './metrics/numpy-mean.js';
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

export { type CaptionRecord } from './predictions/caption-record.js';
export {
  parsePredictionsJsonl,
  type ParsedPredictionsJsonl,
  type PredictionLineIssue,
} from './predictions/parse-predictions.js';
export { readPredictionsFile } from './predictions/read-predictions-file.js';
export { writeFileAtomic } from './predictions/write-file-atomic.js';
export { flattenAggregate } from './predictions/flatten-aggregate.js';
export { predictionLine, writeEvalOutputs, type EvalOutputFiles } from './predictions/write-eval-outputs.js';
export { ModelMetricError, PredictionsFileError, ScorerError } from './stream/evaluation-errors.js';
export { RunningMeans, type SampleScores, type Scorer } from './stream/scorer.js';
export {
  type EvalAggregate,
  type EvalEvent,
  type EvalTimings,
  type MetricsEvent,
  type ProgressEvent,
  type SampleEvent,
  type SampleResult,
} from './stream/eval-events.js';
export { evaluateCaptions, type EvaluateCaptionsOptions } from './stream/evaluate-captions.js';

export {
  buildRunReport,
  writeRunReport,
  writeRunReportWithSummary,
  type RunReportOptions,
  type RunReportSummary,
} from './report/build-run-report.js';
export { readRun, RUN_FILES, type RunData, type RunFile, type SkippedLines } from './report/read-run.js';
export {
  parseRunEvents,
  type RunEvent,
  type StepEvent,
  type EpochEvent,
  type EvaluationEvent,
  type CheckpointEvent,
  type WarningEvent,
  type RunBoundaryEvent,
  type ParsedEvents,
} from './report/run-events.js';
export { parseTrainingLogCsv, type TrainingLogRow, type ParsedTrainingLog } from './report/training-log-csv.js';
export {
  parseReportPredictions,
  type ReportPrediction,
  type ParsedReportPredictions,
} from './report/predictions-jsonl.js';
export {
  svgLineChart,
  CHART_PALETTE,
  type ChartSeries,
  type ChartMarker,
  type LineChartSpec,
} from './report/svg-line-chart.js';
export {
  niceTicks,
  logTicks,
  formatNumber,
  formatTicks,
  downsampleMinMax,
  type AxisTicks,
} from './report/chart-scale.js';
export { escapeHtml } from './report/escape-html.js';
export { videoThumbnails, type ThumbnailProvider, type ThumbnailOptions } from './report/video-thumbnails.js';
export { RunNotFoundError, ReportOptionError } from './report/report-errors.js';

export {
  cosineSimilarity,
  greedyCosineBatch,
  type BertScoreValue,
  type CosineSimilarity,
  type TokenEmbeddings,
  type WeightedSentence,
} from './model-metrics/bertscore-greedy.js';
export { BERTSCORE_KO_MODEL, bertscoreDefaultLayer } from './model-metrics/bert-default-layer.js';
export { BertSentenceEncoder, type BertSentenceEncoderOptions } from './model-metrics/bert-sentence-encoder.js';
export { computeBertScore, tensorCosineSimilarity, type ComputeBertScoreOptions } from './model-metrics/bert-score.js';
export { BertScorer, type BertScorerOptions } from './model-metrics/bert-scorer.js';
export {
  BERTSCORE_PARITY_TOLERANCE,
  runBertscoreParity,
  type BertscoreParityOptions,
} from './model-metrics/bertscore-parity.js';
export { resolveLegacyModelDir } from './model-metrics/resolve-legacy-model-dir.js';
export { frameCount, type SiglipFrameSource, type SiglipVideoInput } from './model-metrics/siglip-video-input.js';
export { decodedFrameSource, type DecodedFrameSourceOptions } from './model-metrics/decoded-frame-source.js';
export { SEED_SIGLIP_MODEL, SiglipScorer, type SiglipScorerOptions } from './model-metrics/siglip-scorer.js';
