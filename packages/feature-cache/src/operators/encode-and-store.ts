/**
 * encodeAndStore: one batch of misses through the encoder and into the cache in one transaction.
 * It emits the tensors as a later hit would return them (float16 rounding applied), so a run's
 * features never depend on whether they were cached; every failure is an EncodeError with the
 * batch's index, size and first keys.
 */
import { type ObservableInput, type Observable, catchError, concatMap, defer, from, reduce, throwError } from 'rxjs';
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

/** Encodes `batch`, stores the results (all or none), emits them once as stored. */
export function encodeAndStore<D>(
  encode: BatchEncoder<D>,
  batch: EncodeBatch<D>,
  cache: FeatureCache,
  dtype: StorageDtype | undefined,
): Observable<FeatureTensor[]> {
  const n = batch.inputs.length;
  const context = (err?: unknown): Record<string, unknown> => ({
    batchIndex: batch.index,
    batchSize: n,
    keys: batch.keys.slice(0, 4).map(keyString),
    ...causeContext(err),
  });
  return defer(() => from(encode(batch.inputs))).pipe(
    reduce((all, tensors) => (all.push(...tensors), all), [] as FeatureTensor[]),
    catchError((err: unknown) =>
      throwError(
        () =>
          new EncodeError(
            'E_ENCODE_FAILED',
            `encode failed on a batch of ${n}: ${(err as Error)?.message ?? String(err)}`,
            context(err),
            (err as { hint?: string })?.hint,
            { cause: err },
          ),
      ),
    ),
    concatMap(async (tensors) => {
      if (tensors.length !== n) {
        throw new EncodeError(
          'E_ENCODE_RESULT',
          `encode returned ${tensors.length} tensors for a batch of ${n}`,
          context(),
          'encode must return one tensor per item, in order',
        );
      }
      const dtypeOf = (key: string | FeatureKey) => (typeof key === 'string' && dtype ? { dtype } : {});
      const writes = batch.keys.map((key, i) => ({ key, tensor: tensors[i]!, ...dtypeOf(key) }));
      try {
        await cache.putMany(writes);
      } catch (err) {
        const code = err instanceof InvalidArgumentError ? 'E_ENCODE_RESULT' : 'E_CACHE_WRITE';
        const message = `cannot store the encoded batch: ${(err as Error).message}`;
        throw new EncodeError(code, message, context(err), undefined, { cause: err });
      }
      return tensors.map((t, i) => {
        const key = batch.keys[i]!;
        const stored = typeof key === 'string' ? (dtype ?? 'float32') : key.ingredients.recipe.dtype;
        if (stored !== 'float16') return t;
        return { data: float16ToFloat32Array(float32ArrayToFloat16(t.data)), shape: t.shape };
      });
    }),
  );
}

/** The cause's code and context, for errors read without following `cause`. */
function causeContext(err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; context?: unknown } | undefined;
  return {
    ...(typeof e?.code === 'string' ? { causeCode: e.code } : {}),
    ...(e?.context && typeof e.context === 'object' ? { cause: e.context } : {}),
  };
}
