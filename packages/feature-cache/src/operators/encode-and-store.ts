/**
 * One batch of misses through the encoder (`encodeOnly`) and into the cache in one transaction
 * (`storeEncoded`): two steps, so the next batch can be encoded while this one is written. The
 * stored tensors are returned as a later hit would return them (float16 rounding applied), so a
 * run's features never depend on whether they were cached; every failure is an EncodeError with the
 * batch's index, size and first keys.
 */
import { type ObservableInput, type Observable, catchError, defer, from, map, reduce, throwError } from 'rxjs';
import type { FeatureKey, StorageDtype } from '../cache-key.js';
import type { FeatureCache, FeatureTensor } from '../feature-cache.js';
import { EncodeError, InvalidArgumentError } from '../errors.js';
import { float16ToFloat32Array, float32ArrayToFloat16 } from '../float16.js';
import { keyString } from '../validate.js';

/** Encodes a batch of items into one tensor per item, in the same order (all at once or in pieces). */
export type BatchEncoder<T> = (batch: readonly T[]) => ObservableInput<readonly FeatureTensor[]>;

/** One batch: what the encoder gets, the keys to store the results under, and its index in the run. */
export interface EncodeBatch<D> {
  readonly inputs: readonly D[];
  readonly keys: readonly (string | FeatureKey)[];
  readonly index: number;
}

const contextOf = (batch: EncodeBatch<unknown>, err?: unknown): Record<string, unknown> => ({
  batchIndex: batch.index,
  batchSize: batch.inputs.length,
  keys: batch.keys.slice(0, 4).map(keyString),
  ...causeContext(err),
});

/** Encodes `batch`: emits one tensor per item, once (not stored yet: see {@link storeEncoded}). */
export function encodeOnly<D>(encode: BatchEncoder<D>, batch: EncodeBatch<D>): Observable<FeatureTensor[]> {
  const n = batch.inputs.length;
  return defer(() => from(encode(batch.inputs))).pipe(
    reduce((all, tensors) => (all.push(...tensors), all), [] as FeatureTensor[]),
    catchError((err: unknown) =>
      throwError(
        () =>
          new EncodeError(
            'E_ENCODE_FAILED',
            `encode failed on a batch of ${n}: ${(err as Error)?.message ?? String(err)}`,
            contextOf(batch, err),
            (err as { hint?: string })?.hint,
            { cause: err },
          ),
      ),
    ),
    map((tensors) => {
      if (tensors.length !== n) {
        throw new EncodeError(
          'E_ENCODE_RESULT',
          `encode returned ${tensors.length} tensors for a batch of ${n}`,
          contextOf(batch),
          'encode must return one tensor per item, in order',
        );
      }
      return tensors;
    }),
  );
}

/** Stores an encoded batch in one transaction (all or none); resolves to the tensors as a later hit returns them. */
export async function storeEncoded(
  batch: EncodeBatch<unknown>,
  tensors: readonly FeatureTensor[],
  cache: FeatureCache,
  dtype: StorageDtype | undefined,
): Promise<FeatureTensor[]> {
  const dtypeOf = (key: string | FeatureKey) => (typeof key === 'string' && dtype ? { dtype } : {});
  const writes = batch.keys.map((key, i) => ({ key, tensor: tensors[i]!, ...dtypeOf(key) }));
  try {
    await cache.putMany(writes);
  } catch (err) {
    const code = err instanceof InvalidArgumentError ? 'E_ENCODE_RESULT' : 'E_CACHE_WRITE';
    const message = `cannot store the encoded batch: ${(err as Error).message}`;
    throw new EncodeError(code, message, contextOf(batch, err), undefined, { cause: err });
  }
  return tensors.map((t, i) => {
    const key = batch.keys[i]!;
    const stored = typeof key === 'string' ? (dtype ?? 'float32') : key.ingredients.recipe.dtype;
    if (stored !== 'float16') return t;
    return { data: float16ToFloat32Array(float32ArrayToFloat16(t.data)), shape: t.shape };
  });
}

/** The cause's code and context, for errors read without following `cause`. */
function causeContext(err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; context?: unknown } | undefined;
  return {
    ...(typeof e?.code === 'string' ? { causeCode: e.code } : {}),
    ...(e?.context && typeof e.context === 'object' ? { cause: e.context } : {}),
  };
}
