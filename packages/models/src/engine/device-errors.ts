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

/** Starts recording a device's uncaptured errors (idempotent per device is not required: the first error wins). */
export function watchDeviceErrors(device: DeviceLike): void {
  const handler = (ev: ErrorEventLike): void => {
    pending ??= ev.error?.message ?? 'unknown GPU error';
  };
  if (typeof device.addEventListener === 'function') device.addEventListener('uncapturederror', handler);
  else device.onuncapturederror = handler;
}

/** Records an error as if the device had reported it (tests). */
export function recordDeviceError(message: string): void {
  pending ??= message;
}

/** Throws (once) if the GPU reported an error since the last check. */
export function throwIfDeviceError(what: string): void {
  if (pending === undefined) return;
  const message = pending;
  pending = undefined;
  const oom = /out of (device )?memory|OUT_OF_DEVICE_MEMORY/i.test(message);
  throw new BackendError(
    oom ? 'E_GPU_OUT_OF_MEMORY' : 'E_GPU_ERROR',
    `the GPU reported ${oom ? 'running out of memory' : 'an error'} during ${what}: ${message.split('\n')[0]}`,
    { reason: message.slice(0, 2000) },
    oom ? 'lower the batch size or the sequence length, or turn on train.gradientCheckpointing' : 'results computed after a GPU error are invalid: fix the cause and run again',
  );
}
