/**
 * The parity runners of @kvc/models by case kind (case.json "kind"); `kvc parity <case>`
 * looks the kind up here. One line per kind.
 */
import type { BackendName } from '../engine/init-backend.js';
import type { ParityReport } from './parity-report.js';
import { runQwen3TokenizerParity } from './run-qwen3-tokenizer-parity.js';
import { runQwen3VlmParity } from './run-qwen3-vlm-parity.js';

export type ModelParityRunner = (caseDir: string, opts?: { readonly backend?: BackendName }) => Promise<ParityReport>;

export const modelParityRunners: Record<string, ModelParityRunner> = {
  'qwen3-vlm': (dir, opts) => runQwen3VlmParity(dir, opts),
  'qwen3-tokenizer': (dir) => runQwen3TokenizerParity(dir),
};
