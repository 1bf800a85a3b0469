// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- the only way an ambient module reaches dependants
/// <reference path="./tfjs-gradients-module.d.ts" />
/**
 * Chooses and initialises the TensorFlow.js backend from one option:
 * `auto | webgpu | tensorflow | wasm | cpu`.
 *
 * - `webgpu`: Dawn through the optional `webgpu` npm package; its globals and
 *   `navigator.gpu` must exist before `@tensorflow/tfjs-backend-webgpu` is imported.
 *   tfjs runs on a device we request (gpu/webgpu-device.ts: shader-f16, subgroups, subgroup
 *   matrices when offered), and start-up self-tests pick the variants of the f16 GEMM and of
 *   the fused attention kernels. Its pool of freed buffers is bounded (gpu/buffer-pool.ts: tfjs
 *   keeps every freed buffer forever).
 * - `tensorflow`: libtensorflow through `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`,
 *   optional peers the user installs (they download native binaries at install time).
 * - `wasm`: XNNPACK/SIMD, ~30× the `cpu` backend on CPU. It lacks some kernels (e.g.
 *   UnsortedSegmentSum, so `gather` has no gradient), but the VLM's backward never needs
 *   them (embeddings are frozen; the loss selects rows with slices), and the qwen3-vlm
 *   parity case passes on wasm (gradients included; a test runs it), so `auto` picks wasm
 *   on CPU-only machines for training too. Pass `purpose: 'training-any'` to avoid it for
 *   graphs that may need the missing gradients; those fail with a BackendError naming the op.
 * - `cpu`: plain JavaScript, every kernel and gradient; slow (~1 GFLOP/s) but complete.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { installWasmMatMulFix } from './wasm-matmul-fix.js';
import { installWebgpuMatMulFix } from './webgpu-matmul-fix.js';
import { watchDeviceErrors } from './device-errors.js';
import { dawnFlags, registerWebgpuBackend } from '../gpu/webgpu-device.js';
import { selectGemmVariant } from '../gpu/select-gemm-variant.js';
import { applyGpuPoolLimit } from '../gpu/buffer-pool-policy.js';
import { selectFlashAttentionVariant } from '../gpu/flash-attention-select.js';

export type BackendName = 'auto' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
export type ConcreteBackend = Exclude<BackendName, 'auto'>;
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  /** The backend now active. */
  readonly backend: ConcreteBackend;
  /** Why it was picked (printed by the CLI). */
  readonly reason: string;
}

export interface InitBackendOptions {
  /**
   * What the backend will run. `training-any` makes `auto` skip wasm (some gradients are
   * missing there); `inference` and `training` (the VLM recipe, proven on wasm) allow it.
   */
  readonly purpose?: 'inference' | 'training' | 'training-any';
}

let gradientsLoaded: Promise<void> | undefined;

/**
 * tfjs-core ships its gradient functions separately, as ESM files Node cannot import directly;
 * the build bundles them into one file (scripts/bundle-tfjs-gradients.mjs) that registers them
 * all, instead of depending on the whole @tensorflow/tfjs bundle for it.
 */
export function ensureGradients(): Promise<void> {
  gradientsLoaded ??= import('@kvc/models/tfjs-gradients').then(
    () => undefined,
    (e: unknown) => {
      gradientsLoaded = undefined;
      throw new BackendError(
        'E_GRADIENTS_MISSING',
        "tfjs' gradient functions could not be loaded (@kvc/models/tfjs-gradients)",
        { cause: e instanceof Error ? e.message : String(e) },
        'build the package first: npm run build (npm install runs it)',
      );
    },
  );
  return gradientsLoaded;
}

async function trySet(name: string): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name);
    if (ok) await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

async function initCpu(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-cpu');
  const ok = await trySet('cpu');
  // The cpu backend prints a "install tfjs-node" banner on first use; initBackend already
  // tells the user what was picked and why.
  if (ok) (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return ok;
}

async function initWasm(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  const ok = await trySet('wasm');
  // tfjs-backend-wasm 4.22 is ~10× slower on transposed matmuls (every Linear layer): fix it once.
  if (ok) installWasmMatMulFix();
  return ok;
}

/**
 * Whether a Vulkan loader is installed (Linux). Dawn prints a warning to stderr when it is not, so
 * `auto` checks first instead of trying — a CPU-only machine then picks its backend quietly.
 */
export function vulkanLoaderPresent(env: NodeJS.ProcessEnv = process.env): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    ...(env.LD_LIBRARY_PATH ?? '').split(':'),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((d) => d && existsSync(join(d, 'libvulkan.so.1')));
}

let gemmSelected: Promise<void> | undefined;

/**
 * Whether an adapter is a CPU emulation (Mesa's lavapipe, SwiftShader): Dawn marks them as
 * fallback adapters, and lavapipe says `architecture: 'software'`.
 */
export function isSoftwareAdapter(info: { isFallbackAdapter?: boolean; architecture?: string } | undefined): boolean {
  return info?.isFallbackAdapter === true || info?.architecture === 'software';
}

/**
 * Registers `webgpu` through Dawn. Returns undefined when ok, else why it is unavailable.
 * `allowSoftware: false` (what `auto` passes) refuses a CPU-emulated adapter: there wasm is
 * faster, and a machine with Mesa's Vulkan drivers installed would otherwise train on lavapipe.
 */
async function initWebgpu(allowSoftware = true): Promise<string | undefined> {
  const g = globalThis as unknown as { navigator?: { gpu?: { requestAdapter(o?: unknown): Promise<unknown> } } };
  if (!g.navigator?.gpu) {
    let dawn: { create(opts: string[]): unknown; globals: Record<string, unknown> };
    try {
      dawn = (await import(/* @vite-ignore */ 'webgpu' as string)) as typeof dawn;
    } catch (err) {
      return `the optional package "webgpu" (Dawn) is not installed or failed to load: ${(err as Error).message}`;
    }
    Object.assign(globalThis, dawn.globals);
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu: dawn.create(dawnFlags()), userAgent: 'node' },
      configurable: true,
      writable: true,
    });
  }
  const adapter = await g.navigator!.gpu!.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
  if (!adapter) return 'no WebGPU adapter (no GPU, or no Vulkan/Metal/D3D12 driver)';
  const info = (adapter as { info?: { isFallbackAdapter?: boolean; architecture?: string; description?: string } })
    .info;
  if (!allowSoftware && isSoftwareAdapter(info)) {
    return `the only WebGPU adapter is a software one (${info?.description ?? 'CPU emulation'}); --backend webgpu forces it`;
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  // Our device, with shader-f16 / subgroups / subgroup matrices when offered (tfjs asks for none).
  if (!tf.engine().registry['webgpu']) await registerWebgpuBackend(adapter as GPUAdapter);
  if (!(await trySet('webgpu'))) return 'tfjs-backend-webgpu failed to initialise on the adapter';
  const device = (tf.backend() as unknown as { device?: Parameters<typeof watchDeviceErrors>[0] }).device;
  if (device) watchDeviceErrors(device);
  // tfjs-webgpu's pool never frees a buffer: bound it (setGpuPoolLimit changes the bound).
  applyGpuPoolLimit();
  // tfjs-webgpu 4.22's split-K matMul reads transposed operands wrongly (a LoRA branch's x·Aᵀ at 9–256 rows).
  installWebgpuMatMulFix();
  // One after the other: each self-test pushes and pops the device's error scope.
  gemmSelected ??= (async () => {
    for (const select of [selectGemmVariant, selectFlashAttentionVariant]) {
      (await select()).warnings.forEach((w) => console.warn(`kvc: ${w}`));
    }
  })();
  await gemmSelected;
  return undefined;
}

/** Registers `tensorflow` through tfjs-node(-gpu). Returns undefined when ok, else why not. */
async function initTensorflow(): Promise<string | undefined> {
  const errors: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ pkg as string);
      if (await trySet('tensorflow')) return undefined;
      errors.push(`${pkg} loaded but the backend did not initialise`);
    } catch (err) {
      errors.push(`${pkg}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return `neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is usable (${errors.join('; ')})`;
}

/**
 * Activates a backend (and registers gradients). `auto` picks the fastest available:
 * webgpu if a hardware adapter exists (a software one such as lavapipe is skipped), else tensorflow if tfjs-node is installed, else wasm (for
 * inference and the VLM training recipe alike), else cpu; `purpose: 'training-any'` skips wasm
 * for cpu. Throws a BackendError naming why an explicit choice failed.
 */
export async function initBackend(name: BackendName = 'auto', opts: InitBackendOptions = {}): Promise<BackendChoice> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new BackendError(
      'E_BACKEND_UNKNOWN',
      `unknown backend "${String(name)}"`,
      { backend: name },
      `choose one of ${BACKEND_NAMES.join(', ')}`,
    );
  }
  await ensureGradients();
  const fail = (b: string, why: string, hint: string) =>
    new BackendError(
      'E_BACKEND_UNAVAILABLE',
      `backend ${b} is not available: ${why}`,
      { backend: b, reason: why },
      hint,
    );
  switch (name) {
    case 'cpu':
      if (!(await initCpu()))
        throw fail('cpu', 'tfjs-backend-cpu did not initialise', 'reinstall @tensorflow/tfjs-backend-cpu');
      return { backend: 'cpu', reason: 'requested' };
    case 'wasm':
      if (!(await initWasm())) throw fail('wasm', 'tfjs-backend-wasm did not initialise', 'use --backend cpu');
      return { backend: 'wasm', reason: 'requested' };
    case 'webgpu': {
      const why = await initWebgpu();
      if (why) throw fail('webgpu', why, 'npm install webgpu (Dawn) and check the GPU driver, or use --backend auto');
      return { backend: 'webgpu', reason: 'requested' };
    }
    case 'tensorflow': {
      const why = await initTensorflow();
      if (why)
        throw fail(
          'tensorflow',
          why,
          'npm install @tensorflow/tfjs-node-gpu (CUDA 11.2) or @tensorflow/tfjs-node, or use --backend auto',
        );
      return { backend: 'tensorflow', reason: 'requested' };
    }
    case 'auto': {
      const skipped: string[] = [];
      const gpuWhy = vulkanLoaderPresent()
        ? await initWebgpu(false)
        : 'no Vulkan loader (libvulkan.so.1) on this machine';
      if (!gpuWhy) return { backend: 'webgpu', reason: 'auto: a WebGPU adapter is available (fastest)' };
      skipped.push(`webgpu: ${gpuWhy}`);
      const tfWhy = await initTensorflow();
      if (!tfWhy) return { backend: 'tensorflow', reason: `auto: tfjs-node is installed (${skipped.join('; ')})` };
      skipped.push(`tensorflow: not installed`);
      if (opts.purpose !== 'training-any' && (await initWasm())) {
        return { backend: 'wasm', reason: `auto: fastest CPU backend (${skipped.join('; ')})` };
      }
      if (await initCpu()) {
        const why =
          opts.purpose === 'training-any'
            ? 'a graph that may need gradients wasm lacks (gather), so cpu'
            : 'wasm unavailable, so cpu';
        return { backend: 'cpu', reason: `auto: ${why} (${skipped.join('; ')})` };
      }
      throw fail('auto', skipped.join('; '), 'reinstall @tensorflow/tfjs-backend-cpu');
    }
  }
}
