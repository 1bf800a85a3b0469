/**
 * cacheThrough: features for a stream of videos, from the cache where valid, else from `encode`,
 * which receives misses batched across videos and whose results are written before they are emitted.
 *
 * Order: outputs come in input order. A key repeated while it is being encoded is encoded once. A hit behind a pending miss waits for it; while it waits only
 * its key is held and its features are read when it is emitted, so memory holds at most the batches
 * being encoded (one runs at a time) plus the waiting items, never the dataset's features.
 * Crash safety: a batch is written in one transaction before any of it is emitted, so a crash loses
 * at most the batches not yet written, and the next run encodes only what is missing.
 */
import { Observable, from } from 'rxjs';
import type { ObservableInput, OperatorFunction, Subscription } from 'rxjs';
import type { FeatureKey, StorageDtype } from '../cache-key.js';
import type { FeatureCache, FeatureTensor } from '../feature-cache.js';
import { EncodeError, FeatureCacheError, InvalidArgumentError } from '../errors.js';
import { float16ToFloat32Array, float32ArrayToFloat16 } from '../float16.js';
import { keyString } from '../validate.js';

/** Encodes a batch of items into one tensor per item, in the same order. */
export type BatchEncoder<T> = (batch: readonly T[]) => ObservableInput<readonly FeatureTensor[]>;

export interface CacheThroughOptions<T> {
  readonly cache: FeatureCache;
  /** The item's cache key; a FeatureKey also fixes the storage dtype and is stored as metadata. */
  readonly keyOf: (item: T) => string | FeatureKey;
  /** Misses per `encode` call (the last batch may be smaller). Default 8. */
  readonly batchSize?: number;
  /** Storage dtype for string keys. Default float32. */
  readonly dtype?: StorageDtype;
}

/** One output: the input item, its key and features (as stored: f16 rounding applied), and where they came from. */
export interface CachedFeatures<T> {
  readonly item: T;
  readonly key: string;
  readonly features: FeatureTensor;
  readonly source: 'cache' | 'encoded';
}

interface Slot<T> {
  readonly item: T;
  readonly key: string | FeatureKey;
  state: 'hit' | 'waiting' | 'done';
  result?: FeatureTensor;
}

const keyText = keyString;

/** See the module comment. Errors (from the source, keyOf, encode or the cache) end the stream with context. */
export function cacheThrough<T>(encode: BatchEncoder<T>, options: CacheThroughOptions<T>): OperatorFunction<T, CachedFeatures<T>> {
  const batchSize = options.batchSize ?? 8;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidArgumentError('batchSize must be a positive integer', { batchSize });
  const { cache, keyOf } = options;

  return (source) =>
    new Observable<CachedFeatures<T>>((subscriber) => {
      const queue: Slot<T>[] = []; // not yet emitted, input order
      let pending: Slot<T>[] = []; // misses not yet handed to encode
      const batches: Slot<T>[][] = [];
      // Keys being encoded (pending or in a batch): a repeat of one waits for it instead of encoding twice.
      const inflight = new Set<string>();
      let batchIndex = 0;
      let busy = false;
      let upstreamDone = false;
      let stopped = false;
      let running: Subscription | undefined;

      const fail = (err: unknown): void => {
        if (stopped) return;
        stopped = true;
        subscriber.error(err);
      };
      const emit = (slot: Slot<T>, features: FeatureTensor, from: 'cache' | 'encoded'): void =>
        subscriber.next({ item: slot.item, key: keyText(slot.key), features, source: from });

      const maybeComplete = (): void => {
        if (!stopped && upstreamDone && queue.length === 0 && pending.length === 0 && batches.length === 0 && !busy) {
          stopped = true;
          subscriber.complete();
        }
      };

      const submit = (): void => {
        if (pending.length === 0) return;
        batches.push(pending);
        pending = [];
        pump();
      };

      const drain = (): void => {
        while (!stopped && queue.length > 0) {
          const head = queue[0]!;
          if (head.state === 'waiting') break;
          if (head.state === 'hit') {
            const got = cache.get(head.key);
            if (!got) {
              // Deleted or damaged since it was probed: encode it like any miss.
              head.state = 'waiting';
              inflight.add(keyText(head.key));
              pending.push(head);
              if (upstreamDone || pending.length >= batchSize) submit();
              break;
            }
            queue.shift();
            emit(head, { data: got.data, shape: got.shape }, 'cache');
          } else {
            queue.shift();
            const result = head.result!;
            head.result = undefined; // let the batch's memory go as soon as it is emitted
            emit(head, result, 'encoded');
          }
        }
        maybeComplete();
      };

      const pump = (): void => {
        if (busy || stopped || batches.length === 0) return;
        busy = true;
        const batch = batches.shift()!;
        const index = batchIndex++;
        const context = (extra: Record<string, unknown> = {}) => ({
          batchIndex: index,
          batchSize: batch.length,
          keys: batch.slice(0, 4).map((s) => keyText(s.key)),
          ...extra,
        });
        const collected: FeatureTensor[] = [];
        try {
          running = from(encode(batch.map((s) => s.item))).subscribe({
            next: (tensors) => collected.push(...tensors),
            error: (err: unknown) =>
              fail(new EncodeError('E_ENCODE_FAILED', `encode failed on a batch of ${batch.length}: ${(err as Error)?.message ?? String(err)}`,
                context(causeContext(err)), (err as { hint?: string })?.hint, { cause: err })),
            complete: () => void store(batch, collected, context),
          });
        } catch (err) {
          fail(new EncodeError('E_ENCODE_FAILED', `encode threw on a batch of ${batch.length}: ${(err as Error)?.message ?? String(err)}`,
            context(causeContext(err)), undefined, { cause: err }));
        }
      };

      const store = async (batch: Slot<T>[], tensors: FeatureTensor[], context: (x?: Record<string, unknown>) => Record<string, unknown>) => {
        running = undefined;
        if (stopped) return;
        if (tensors.length !== batch.length) {
          fail(new EncodeError('E_ENCODE_RESULT', `encode returned ${tensors.length} tensors for a batch of ${batch.length}`, context(),
            'encode must return one tensor per item, in order'));
          return;
        }
        try {
          await cache.putMany(batch.map((s, i) => ({ key: s.key, tensor: tensors[i]!, ...(typeof s.key === 'string' && options.dtype ? { dtype: options.dtype } : {}) })));
        } catch (err) {
          const code = err instanceof InvalidArgumentError ? 'E_ENCODE_RESULT' : 'E_CACHE_WRITE';
          fail(new EncodeError(code, `cannot store the encoded batch: ${(err as Error).message}`, context(causeContext(err)), undefined, { cause: err }));
          return;
        }
        batch.forEach((s, i) => {
          const t = tensors[i]!;
          const dtype = typeof s.key === 'string' ? (options.dtype ?? 'float32') : s.key.ingredients.recipe.dtype;
          // Emit what a later hit would return, so a run's features do not depend on the cache state.
          s.result = dtype === 'float16' ? { data: float16ToFloat32Array(float32ArrayToFloat16(t.data)), shape: t.shape } : t;
          s.state = 'done';
          inflight.delete(keyText(s.key));
        });
        busy = false;
        try {
          drain();
          pump();
        } catch (err) {
          fail(err); // e.g. the cache was closed under a running stream
        }
      };

      const onItem = (item: T): void => {
        let key: string | FeatureKey;
        try {
          key = keyOf(item);
          keyText(key);
        } catch (err) {
          fail(err instanceof FeatureCacheError ? err : new InvalidArgumentError(`keyOf failed: ${(err as Error)?.message}`, { item: String(item) }));
          return;
        }
        if (inflight.has(keyText(key))) {
          // Same video already on its way to the encoder: its features will be in the cache when this
          // slot's turn comes (slots are emitted in order, and a batch is written before it is emitted).
          queue.push({ item, key, state: 'hit' });
          return;
        }
        if (queue.length === 0) {
          const got = cache.get(key);
          if (got) return emit({ item, key, state: 'hit' }, { data: got.data, shape: got.shape }, 'cache');
        } else if (cache.has(key)) {
          queue.push({ item, key, state: 'hit' }); // features read when its turn comes
          return;
        } else {
          cache.get(key); // counts the miss in the session stats (nothing to decode)
        }
        const slot: Slot<T> = { item, key, state: 'waiting' };
        inflight.add(keyText(key));
        queue.push(slot);
        pending.push(slot);
        if (pending.length >= batchSize) submit();
      };

      const upstream = source.subscribe({
        next: (item) => {
          if (stopped) return;
          try {
            onItem(item);
          } catch (err) {
            fail(err);
          }
        },
        error: fail,
        complete: () => {
          upstreamDone = true;
          try {
            submit();
            drain();
          } catch (err) {
            fail(err);
          }
        },
      });

      return () => {
        stopped = true;
        upstream.unsubscribe();
        running?.unsubscribe();
      };
    });
}

function causeContext(err: unknown): Record<string, unknown> {
  const e = err as { code?: unknown; context?: unknown } | undefined;
  return {
    ...(typeof e?.code === 'string' ? { causeCode: e.code } : {}),
    ...(e?.context && typeof e.context === 'object' ? { cause: e.context } : {}),
  };
}
