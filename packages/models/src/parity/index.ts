/**
 * @kvc/models/parity — comparison with the Python references (test/fixtures/reference): the
 * tensor comparison and report every package's parity runner builds on, and the runners of
 * this package's cases by kind (`kvc parity`). Not part of the main entry.
 */
export { compare } from './compare.js';
export { F16_GEMM_REL, f16RelTolerance, precisionCompare } from './f16-parity-tolerance.js';
export { makeReport, formatParityReport } from './parity-report.js';
export type { ParityCheck, ParityReport, ToleranceMode } from './parity-report.js';
export { readCaseJson, readReferenceTensors } from './read-case.js';
export type { CaseJson } from './read-case.js';
export { runQwen3VlmParity, QWEN3_VLM_TOLERANCES } from './run-qwen3-vlm-parity.js';
export type { ModelParityOptions } from './run-qwen3-vlm-parity.js';
export { runQwen3TokenizerParity } from './run-qwen3-tokenizer-parity.js';
export type { TokenizerParityOptions } from './run-qwen3-tokenizer-parity.js';
export { modelParityRunners } from './model-parity-runners.js';
export type { ModelParityKind, ModelParityRunner } from './model-parity-runners.js';
export { runClipVisionParity, CLIP_PARITY_TOL } from './clip-parity.js';
export type { ClipParityOptions } from './clip-parity.js';
export { runSiglipParity, SIGLIP_PARITY_TOL } from './siglip-parity.js';
export type { SiglipParityOptions } from './siglip-parity.js';
export { runBertParity, BERT_PARITY_TOL } from './bert-parity.js';
export type { BertParityOptions } from './bert-parity.js';
export { runImageProcessorsParity, IMAGE_PROCESSORS_TOL_255 } from './image-processors-parity.js';
export type { ImageProcessorsParityOptions } from './image-processors-parity.js';
export { runNf4Parity, NF4_PARITY_TOL, nf4DoubleQuantTolerance } from './nf4-parity.js';
