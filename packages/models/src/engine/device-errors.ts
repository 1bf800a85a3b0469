/**
 * GPU errors that WebGPU reports asynchronously (out of memory, invalid buffers) instead of
 * throwing: tfjs-webgpu would keep computing on invalid buffers and return garbage. We listen for
 * the device's uncaptured errors and turn the first one into a thrown BackendError at the next
 * check (after reading a result back), with a hint when memory ran out.
 */
import { BackendError } from '../errors.js';

interface ErrorEventLike {
  readonly error?: { readonly message?: string };
}

interface DeviceLike {
  addEventListener?: (type: 'uncapturederror', handler: (ev: ErrorEventLike) => void) => void;
  onuncapturederror?: ((ev: ErrorEventLike) => void) | null;
}

let pending: string | undefined;
/** What was running when the pending error arrived (markDevicePhase), if anything was marked. */
let pendingPhase: DeviceErrorPhase | undefined;
let currentPhase: DeviceErrorPhase | undefined;

/**
 * Marks what runs on the device from now on, so that an error arriving meanwhile gets the hint
 * that fits it (generation marks itself; a caller's later check with no phase still gets it right).
 * Returns a function that restores the previous mark.
 */
export function markDevicePhase(phase: DeviceErrorPhase): () => void {
  const previous = currentPhase;
  currentPhase = phase;
  return () => {
    currentPhase = previous;
  };
}

function record(message: string): void {
  if (pending !== undefined) return;
  pending = message;
  pendingPhase = currentPhase;
}

/** Starts recording a device's uncaptured errors (idempotent per device is not required: the first error wins). */
export function watchDeviceErrors(device: DeviceLike): void {
  const handler = (ev: ErrorEventLike): void => record(ev.error?.message ?? 'unknown GPU error');
  if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', handler);
  else device.onuncapturederror = handler;
}

/** Records an error as if the device had reported it (tests). */
export function recordDeviceError(message: string): void {
  record(message);
}

/** What was running when the GPU failed: it decides what the out-of-memory hint suggests. */
export type DeviceErrorPhase = 'training' | 'generation' | 'inference';

const OOM_HINTS: Readonly<Record<DeviceErrorPhase, string>> = {
  training:
    'lower the batch size or the sequence length, turn on train.gradientCheckpointing, or keep fewer freed ' +
    'GPU buffers for reuse (a lower gpuMemoryGiB, ~10 GiB under the card; gpuMemoryGiB=0 and a lower gpuPoolGiB ' +
    'keep fewest, at the price of re-creating buffers every step)',
  // Generation keeps no activations for a backward pass: what grows is the batch, the KV cache
  // (prefix + new tokens) and the vision prefix.
  generation:
    'generate fewer captions at once (a smaller batch), fewer new tokens or a shorter prefix ' +
    '(fewer frames), or use another backend (--backend wasm or cpu)',
  inference: 'encode fewer frames or texts at once (a smaller batch), or use another backend (--backend wasm or cpu)',
};

/**
 * Throws (once) if the GPU reported an error since the last check. The out-of-memory hint fits
 * `phase`, else what was marked running when the error arrived (markDevicePhase), else training.
 */
export function throwIfDeviceError(what: string, phase?: DeviceErrorPhase): void {
  if (pending === undefined) return;
  const message = pending;
  const hintPhase = phase ?? pendingPhase ?? 'training';
  pending = undefined;
  pendingPhase = undefined;
  const oom = /out of (device )?memory|OUT_OF_DEVICE_MEMORY/i.test(message);
  throw new BackendError(
    oom ? 'E_GPU_OUT_OF_MEMORY' : 'E_GPU_ERROR',
    `the GPU reported ${oom ? 'running out of memory' : 'an error'} during ${what}: ${message.split('\n')[0]}`,
    { reason: message.slice(0, 2000) },
    oom ? OOM_HINTS[hintPhase] : 'results computed after a GPU error are invalid: fix the cause and run again',
  );
}
