/**
 * `--precision`, beside `--backend` on every command that runs a model: the flag is the config key
 * `precision` given on the command line (the last override, so it wins over a file, a preset and a
 * trained run's saved config). f16 needs the webgpu backend: a config that names another backend is
 * refused when it is validated, and `auto` is checked once the backend is chosen, before any model
 * loads ({@link initRunBackend}).
 */
import { initBackend, setGpuPoolLimit, type BackendChoice, type GpuPoolLimit } from '@kvc/models';
import { CliError } from '../cli-error.js';
import { backendOverride } from './backend-flag.js';
import { applyGpuKernels } from './gpu-kernels.js';
import { quantizationOverride } from './quantization-flag.js';
import type { RunConfig } from './run-config.js';

export const PRECISION_FLAG = [
  '--precision <p>',
  'f32 | f16 (f16: frozen weights in f16 and dynamic loss scaling; webgpu only) (config key precision)',
] as const;

/** The override that `--precision P` stands for (none when the flag is absent). */
export function precisionOverride(precision: string | undefined): string[] {
  return precision === undefined ? [] : [`precision=${precision}`];
}

/** `--backend`, `--precision` and `--quantization` together: the overrides every model command appends last. */
export function modelFlagOverrides(opts: {
  readonly backend?: string;
  readonly precision?: string;
  readonly quantization?: string;
}): string[] {
  return [
    ...backendOverride(opts.backend),
    ...precisionOverride(opts.precision),
    ...quantizationOverride(opts.quantization),
  ];
}

const F16_HINT = 'pass --precision f32 (precision=f32), or run on a machine with a GPU with --backend webgpu';

/** Config-time check: f16 with a backend that is never webgpu (part of the config's cross-field checks). */
export function precisionIssues(c: Pick<RunConfig, 'precision' | 'backend'>): string[] {
  if (c.precision !== 'f16' || c.backend === 'webgpu' || c.backend === 'auto') return [];
  return [`precision: f16 needs backend webgpu (or auto with a GPU), not ${c.backend}: ${F16_HINT}`];
}

/** The pool bound a config asks for: gpuMemoryGiB's cap on allocated bytes when set (not 0), else gpuPoolGiB's free bytes. */
export function gpuPoolLimitOf(
  config: Partial<Pick<RunConfig, 'gpuPoolGiB' | 'gpuMemoryGiB'>>,
): GpuPoolLimit | undefined {
  if (config.gpuMemoryGiB) return { maxFreeBytes: Infinity, maxAllocatedBytes: config.gpuMemoryGiB * 2 ** 30 };
  return config.gpuPoolGiB === undefined ? undefined : { maxFreeBytes: config.gpuPoolGiB * 2 ** 30 };
}

/**
 * Chooses the run's backend and checks that its precision can run there: with `backend: auto` on a
 * machine without a WebGPU adapter, f16 (the seed preset's) fails here, before any weight is read.
 * Then applies the config's `kernels` there (gpu-kernels.ts); a self-test that failed is a warning.
 * `gpuPoolGiB` bounds the freed GPU buffers kept for reuse, or `gpuMemoryGiB` (when set) what live tensors and kept
 * buffers take together (on webgpu; nothing elsewhere).
 */
export async function initRunBackend(
  config: Pick<RunConfig, 'precision' | 'backend'> &
    Partial<Pick<RunConfig, 'kernels' | 'gpuPoolGiB' | 'gpuMemoryGiB'>>,
  purpose: 'training' | 'inference',
): Promise<BackendChoice> {
  // Before initBackend, which applies the bound to a webgpu backend it starts.
  const limit = gpuPoolLimitOf(config);
  if (limit) setGpuPoolLimit(limit);
  const choice = await initBackend(config.backend, { purpose });
  if (config.kernels) {
    // stderr, as initBackend's own self-test warnings: stdout may be a --json event stream.
    for (const w of await applyGpuKernels(config.kernels, choice.backend)) console.warn(`kvc: ${w}`);
  }
  if (config.precision === 'f16' && choice.backend !== 'webgpu') {
    throw new CliError(
      'E_PRECISION_BACKEND',
      `precision f16 needs the webgpu backend; backend ${config.backend} chose ${choice.backend} (${choice.reason})`,
      { precision: config.precision, backend: config.backend, chosen: choice.backend },
      F16_HINT,
    );
  }
  return choice;
}
