/**
 * Turns TensorFlow.js's "kernel not registered" and "gradient function not found" errors
 * into a BackendError that names the op and a backend that has it, so a user who picked
 * `--backend wasm` for training learns what to pick instead.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { throwIfDeviceError, type DeviceErrorPhase } from './device-errors.js';

const PREFERENCE = ['webgpu', 'tensorflow', 'cpu', 'wasm'];

/** Backends (registered in this process) that have `kernelName`. */
export function backendsWithKernel(kernelName: string): string[] {
  return PREFERENCE.filter((b) => tf.getKernelsForBackend(b).some((k) => k.kernelName === kernelName));
}

/** A BackendError for `err` if it is a missing kernel/gradient error, else undefined. */
export function translateBackendError(err: unknown, what = 'operation'): BackendError | undefined {
  if (err instanceof BackendError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const backend = tf.getBackend();
  const kernel = /Kernel '([^']+)' not registered for backend '([^']+)'/.exec(msg);
  if (kernel) {
    const op = kernel[1]!;
    const others = backendsWithKernel(op).filter((b) => b !== kernel[2]);
    return new BackendError(
      'E_BACKEND_MISSING_KERNEL',
      `backend ${kernel[2]} has no kernel for ${op} (needed by ${what})`,
      { op, backend: kernel[2], ...(others.length ? { availableOn: others } : {}) },
      others.length ? `use --backend ${others[0]} (it has ${op})` : 'use --backend cpu, which has every kernel',
    );
  }
  const grad = /gradient function not found for (\w+)/.exec(msg);
  if (grad) {
    const op = grad[1]!;
    return new BackendError(
      'E_BACKEND_MISSING_GRADIENT',
      `no gradient registered for ${op} (needed by ${what} on ${backend})`,
      { op, backend },
      'call initBackend() first (it registers all gradients), or use --backend cpu',
    );
  }
  return undefined;
}

/** Runs `fn` and rethrows missing-kernel/gradient errors as BackendErrors naming the op. */
export function withBackendErrors<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw translateBackendError(err, what) ?? err;
  }
}

/** Async variant of withBackendErrors; also surfaces a GPU error reported meanwhile (hint by `phase`). */
export async function withBackendErrorsAsync<T>(
  what: string,
  fn: () => Promise<T>,
  phase?: DeviceErrorPhase,
): Promise<T> {
  try {
    const r = await fn();
    throwIfDeviceError(what, phase);
    return r;
  } catch (err) {
    // A GPU error (out of memory) often surfaces as a later failure (a read of an invalid buffer):
    // report the cause, with its hint, rather than the symptom.
    throwIfDeviceError(what, phase);
    throw translateBackendError(err, what) ?? err;
  }
}
