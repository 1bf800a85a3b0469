/**
 * The parity runners of @kvc/models by case kind (case.json "kind"); `kvc parity <case>`
 * looks the kind up here. One line per kind.
 */
import type { BackendName } from '../engine/init-backend.js';
import { runBertParity } from './bert-parity.js';
import { runClipVisionParity } from './clip-parity.js';
import { runImageProcessorsParity } from './image-processors-parity.js';
import type { ParityReport } from './parity-report.js';
import { runQwen3TokenizerParity } from './run-qwen3-tokenizer-parity.js';
import { runQwen3VlmParity } from './run-qwen3-vlm-parity.js';
import { runSiglipParity } from './siglip-parity.js';

export type ModelParityKind = 'qwen3-vlm' | 'qwen3-tokenizer' | 'clip-vision' | 'siglip' | 'bert' | 'image-processors';

/** `backend` is the active backend, recorded in the report where the runner records one. */
export type ModelParityRunner = (caseDir: string, opts?: { readonly backend?: BackendName }) => Promise<ParityReport>;

export const modelParityRunners: Readonly<Record<ModelParityKind, ModelParityRunner>> = {
  'qwen3-vlm': (dir, opts) => runQwen3VlmParity(dir, opts),
  'qwen3-tokenizer': (dir) => runQwen3TokenizerParity(dir),
  'clip-vision': (dir) => runClipVisionParity(dir),
  siglip: (dir) => runSiglipParity(dir),
  bert: (dir) => runBertParity(dir),
  'image-processors': (dir) => runImageProcessorsParity(dir),
};
