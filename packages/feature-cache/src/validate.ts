/** Checks at the FeatureCache boundary: keys and tensors, with messages built only on failure. */
import type { FeatureKey } from './cache-key.js';
import { InvalidArgumentError } from './errors.js';
import type { FeatureTensor } from './feature-cache.js';

/** The key string of a string or FeatureKey (LMDB keys are limited to 511 bytes). */
export function keyString(key: string | FeatureKey): string {
  const k = typeof key === 'string' ? key : key?.key;
  if (typeof k !== 'string' || k.length === 0 || Buffer.byteLength(k) > 480) {
    throw new InvalidArgumentError(
      'a cache key must be a non-empty string of at most 480 bytes',
      { key: String(k) },
      'build keys with featureKey()',
    );
  }
  return k;
}

/** Throws unless `t.data` is a Float32Array whose length is the product of `t.shape`. */
export function validateTensor(key: string, t: FeatureTensor): void {
  if (!(t?.data instanceof Float32Array)) throw new InvalidArgumentError('tensor data must be a Float32Array', { key });
  if (!Array.isArray(t.shape)) throw new InvalidArgumentError('tensor shape must be an array of dimensions', { key });
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || n !== t.data.length) {
    throw new InvalidArgumentError(`tensor shape [${t.shape.join(', ')}] does not match its ${t.data.length} values`, {
      key,
      shape: t.shape,
      length: t.data.length,
    });
  }
}
