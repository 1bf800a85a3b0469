/**
 * @kvc/models — tensor engine, Hugging Face checkpoint loading, and the networks of kvc
 * (Qwen3 + LoRA + projector, CLIP vision, SigLIP, BERT) in TensorFlow.js.
 */
export { ModelsError, SafetensorsError, WeightMismatchError, ModelNotFoundError, ConfigError, BackendError } from './errors.js';
export { DTYPE_BYTES, toFloat32, toInt32 } from './io/dtype.js';
export type { SafetensorsDtype } from './io/dtype.js';
export { SafetensorsFile } from './io/safetensors-file.js';
export type { TensorInfo } from './io/safetensors-file.js';
export { writeSafetensors, float32ToBf16Bits } from './io/write-safetensors.js';
export type { TensorToWrite } from './io/write-safetensors.js';
export { Checkpoint } from './io/checkpoint.js';
export { resolveModelDir, findInHubCache, hubCacheDir } from './io/resolve-model-dir.js';
export type { ResolveOptions } from './io/resolve-model-dir.js';
export { readJsonConfig } from './io/read-config.js';
export { compare } from './parity/compare.js';
export { makeReport, formatParityReport } from './parity/parity-report.js';
export type { ParityCheck, ParityReport, ToleranceMode } from './parity/parity-report.js';
export { readCaseJson, readReferenceTensors } from './parity/read-case.js';
export type { CaseJson } from './parity/read-case.js';
