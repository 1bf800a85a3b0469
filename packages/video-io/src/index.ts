/**
 * @kvc/video-io: dataset sources (AIHub layout, JSONL manifests, Hugging Face folders; `datasetSource`
 * detects which) as cold RxJS Observables of sample/skip events, ffprobe probing, uniform frame
 * sampling and ffmpeg decoding to RGB24, PNG output, and a deterministic synthetic video dataset
 * generator.
 */
export {
  VideoIoError,
  FfmpegNotFoundError,
  DatasetError,
  ProbeError,
  DecodeError,
  EncodeError,
  InvalidArgumentError,
} from './errors.js';
export { resolveFfmpeg, resolveFfprobe, ffmpegWarningOnce, resetFfmpegBinaries } from './ffmpeg-binaries.js';
export type { ResolvedBinary, BinarySource } from './ffmpeg-binaries.js';
export { runFfmpeg, runFfprobeJson, FfmpegProcessError } from './ffmpeg-process.js';
export type { FfmpegRun } from './ffmpeg-process.js';
export { probeVideo, parseProbeJson, rotationOf } from './probe-video.js';
export type { VideoProbe, ProbeOptions } from './probe-video.js';
export { uniformIndices } from './uniform-indices.js';
export { planResize } from './resize-plan.js';
export {
  DEFAULT_MAX_SHORT_EDGE,
  LONG_EDGE_FACTOR,
  MAX_VIDEO_EDGE,
  MAX_ASPECT_RATIO,
  dimensionsProblem,
  boundedSize,
} from './frame-bounds.js';
export type { ResizeSpec, ResizePlan } from './resize-plan.js';
export { blackFrame } from './rgb-frame.js';
export type { RgbFrame } from './rgb-frame.js';
export { sampleVideo, decodeFramesAt } from './sample-video.js';
export type { SampleOptions, SampledVideo } from './sample-video.js';
export { encodeVideo } from './encode-video.js';
export type { EncodeOptions } from './encode-video.js';
export { encodePng, writePng, decodePng } from './write-png.js';
export { SKIP_CODES, skip, compareEvents } from './dataset-events.js';
export type { SkipCode, SampleEvent, SkipEvent, DatasetEvent } from './dataset-events.js';
export { checkCaption } from './caption-of.js';
export { aihubSource } from './aihub-source.js';
export type { AihubSourceOptions } from './aihub-source.js';
export { manifestSource } from './manifest-source.js';
export type { ManifestSourceOptions } from './manifest-source.js';
export { hfFolderSource, METADATA_FILES } from './hf-folder-source.js';
export type { HfFolderSourceOptions } from './hf-folder-source.js';
export { datasetSource, resolveDataset, LAYOUT_HINT } from './dataset-source.js';
export type { DatasetLayout, DatasetSourceOptions, ResolvedDataset } from './dataset-source.js';
export { resolveVideoPath } from './video-path.js';
export type { VideoPathCheck, VideoPathOptions } from './video-path.js';
export { parseCsv } from './parse-csv.js';
export type { CsvRecord } from './parse-csv.js';
export { probeSamples } from './operators/probe-samples.js';
export type { ProbeSamplesOptions } from './operators/probe-samples.js';
export { decodeSample, decodeSkip } from './decode-sample.js';
export type { DecodeSampleOptions, FramesEvent } from './decode-sample.js';
export { decodeSamples } from './operators/decode-samples.js';
export { DecodePool, defaultDecodeWorkerUrl } from './decode-pool.js';
export type { DecodePoolOptions } from './decode-pool.js';
export { loadFrameMapper } from './frame-mapper.js';
export type { FrameMapper, FrameMapperSpec } from './frame-mapper.js';
export type { WorkerSampleOptions } from './worker-messages.js';
export { defaultDecodeConcurrency, MAX_DEFAULT_DECODES } from './decode-concurrency.js';
export type { DecodeSamplesOptions } from './operators/decode-samples.js';
export { orderedMergeMap } from './operators/ordered-merge-map.js';
export { mulberry32, hashString } from './synth/prng.js';
export type { Rng } from './synth/prng.js';
export {
  SHAPE_COLORS,
  SHAPES,
  DIRECTIONS,
  BACKGROUNDS,
  ATTRIBUTE_VALUES,
  extractAttributes,
} from './synth/vocabulary.js';
export type { SynthAttributes, ShapeColor, Shape, Direction, Background, VocabEntry } from './synth/vocabulary.js';
export { synthCaption, CAPTION_TEMPLATE_COUNT } from './synth/caption.js';
export { renderClip } from './synth/render.js';
export type { ClipGeometry } from './synth/render.js';
export { synthDataset, planSynth, synthLabel, synthDefaults, SYNTH_LIMITS } from './synth/synth-dataset.js';
export type { SynthOptions, SynthSample, SynthProgress } from './synth/synth-dataset.js';
