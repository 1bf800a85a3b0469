/**
 * The parity runners of @kvc/models by case kind (case.json "kind"); `kvc parity <case>`
 * looks the kind up here. One line per kind.
 */
import type { BackendName } from '../engine/init-backend.js';
import type { Precision } from '../nn/precision.js';
import { runBertParity } from './bert-parity.js';
import { runClipVisionParity } from './clip-parity.js';
import { runImageProcessorsParity } from './image-processors-parity.js';
import { runNf4Parity } from './nf4-parity.js';
import type { ParityReport } from './parity-report.js';
import { runQwen3TokenizerParity } from './run-qwen3-tokenizer-parity.js';
import { runQwen3VlmParity } from './run-qwen3-vlm-parity.js';
import { runSiglipParity } from './siglip-parity.js';

export type ModelParityKind =
  | 'qwen3-vlm'
  | 'qwen3-tokenizer'
  | 'clip-vision'
  | 'siglip'
  | 'bert'
  | 'image-processors'
  | 'nf4';

/**
 * `backend` is the active backend, recorded in the report where the runner records one; `precision`
 * f16 loads frozen linear weights in f16 (webgpu) and checks against the same references with the
 * f16 tolerances (f16-parity-tolerance.ts). Kinds without model weights ignore it.
 */
export type ModelParityRunner = (
  caseDir: string,
  opts?: { readonly backend?: BackendName; readonly precision?: Precision },
) => Promise<ParityReport>;

export const modelParityRunners: Readonly<Record<ModelParityKind, ModelParityRunner>> = {
  'qwen3-vlm': (dir, opts) => runQwen3VlmParity(dir, opts),
  'qwen3-tokenizer': (dir) => runQwen3TokenizerParity(dir),
  'clip-vision': (dir, opts) => runClipVisionParity(dir, { precision: opts?.precision ?? 'f32' }),
  siglip: (dir, opts) => runSiglipParity(dir, { precision: opts?.precision ?? 'f32' }),
  bert: (dir, opts) => runBertParity(dir, { precision: opts?.precision ?? 'f32' }),
  'image-processors': (dir) => runImageProcessorsParity(dir),
  nf4: (dir) => runNf4Parity(dir),
};
