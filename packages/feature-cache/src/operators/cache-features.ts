/**
 * cacheFeatures: features for a stream of items (videos), from the cache where valid, else decoded
 * and encoded, emitted in input order with bounded memory. Per item:
 * - hit: only probed on arrival; its features are read when its turn to be emitted comes.
 * - miss: `decode` runs for it (ffmpeg frames, say) and decoded misses are batched for `encode`
 *   (see MissWindow for the bounds); a batch is written in one transaction before any of it is
 *   emitted, so a crash loses at most the batches not yet written.
 * - a miss whose decode fails is emitted as `skipped` with the error, never fatal; a repeat of its
 *   key is skipped without a second decode. A key repeated while on its way is encoded once.
 * The package depends on no decoder: `decode` is the caller's (the CLI passes video-io's).
 */
import { Observable } from 'rxjs';
import type { ObservableInput, OperatorFunction } from 'rxjs';
import type { FeatureKey, StorageDtype } from '../cache-key.js';
import type { FeatureCache, FeatureTensor } from '../feature-cache.js';
import { FeatureCacheError, InvalidArgumentError } from '../errors.js';
import { keyString } from '../validate.js';
import type { BatchEncoder } from './encode-and-store.js';
import type { FeatureResult } from './feature-result.js';
import { MissWindow, type Slot } from './miss-window.js';

export interface CacheFeaturesOptions<T, D> {
  readonly cache: FeatureCache;
  /** The item's cache key; a FeatureKey also fixes the storage dtype and is stored as metadata. */
  readonly keyOf: (item: T) => string | FeatureKey;
  /** What `encode` needs of a miss (e.g. its decoded frames): its first value. An error skips the item. */
  readonly decode: (item: T) => ObservableInput<D>;
  readonly encode: BatchEncoder<D>;
  /** Misses per `encode` call (smaller only when nothing more can be decoded yet). Default 8. */
  readonly batchSize?: number;
  /** Decodes running at once. Default 2. */
  readonly decodeConcurrency?: number;
  /** Misses alive at once, from the start of their decode to their emission. Default 2 × batchSize. */
  readonly maxInFlight?: number;
  /** Storage dtype for string keys. Default float32. */
  readonly dtype?: StorageDtype;
}

type Outcome =
  | { readonly features: FeatureTensor; readonly source: 'cache' | 'encoded' }
  | { readonly source: 'skipped'; readonly error: unknown };

/** See the module comment. Errors (source, keyOf, encode, the cache, a decode emitting nothing) end the stream. */
export function cacheFeatures<T, D>(options: CacheFeaturesOptions<T, D>): OperatorFunction<T, FeatureResult<T>> {
  const { cache, keyOf, batchSize = 8, decodeConcurrency = 2 } = options;
  const maxInFlight = options.maxInFlight ?? 2 * batchSize;
  for (const [name, v] of Object.entries({ batchSize, decodeConcurrency, maxInFlight })) {
    if (!Number.isInteger(v) || v < 1) {
      throw new InvalidArgumentError(`${name} must be a positive integer`, { [name]: v });
    }
  }
  if (maxInFlight < batchSize) {
    throw new InvalidArgumentError(
      'maxInFlight must be at least batchSize',
      { maxInFlight, batchSize },
      'a whole batch must fit in flight',
    );
  }

  return (source) =>
    new Observable<FeatureResult<T>>((subscriber) => {
      const queue: Slot<T, D>[] = []; // not yet emitted, input order
      const onTheirWay = new Map<string, Slot<T, D>>(); // misses not yet emitted, by key: repeats wait for them
      const failed = new Map<string, unknown>(); // keys whose decode failed, with the error
      let upstreamDone = false,
        stopped = false,
        stepping = false,
        again = false;

      const fail = (err: unknown): void => {
        if (stopped) return;
        stopped = true;
        subscriber.error(err);
      };
      const out = (s: Slot<T, D>, r: Outcome): void => subscriber.next({ item: s.item, key: s.text, ...r });
      const bounds = { batchSize, decodeConcurrency, maxInFlight, dtype: options.dtype };
      const window = new MissWindow<T, D>({ ...options, ...bounds }, () => step(), fail);

      const drain = (): void => {
        while (!stopped && queue.length > 0) {
          const head = queue[0]!;
          if (head.state === 'hit' && failed.has(head.text)) {
            Object.assign(head, { state: 'skipped', error: failed.get(head.text) });
          }
          if (head.state === 'hit') {
            const got = cache.get(head.key);
            if (!got) {
              // Deleted since it was probed (or, as a repeat, since it was written): decode it now, first.
              onTheirWay.set(head.text, head);
              return window.add(head, true);
            }
            queue.shift();
            out(head, { features: { data: got.data, shape: got.shape }, source: 'cache' });
          } else if (head.state === 'done' || head.state === 'skipped') {
            queue.shift();
            if (onTheirWay.get(head.text) === head) onTheirWay.delete(head.text);
            if (head.state === 'skipped') {
              failed.set(head.text, head.error);
              out(head, { source: 'skipped', error: head.error });
              continue;
            }
            window.release();
            const features = head.result!;
            head.result = undefined; // the batch's memory goes as soon as it is emitted
            out(head, { features, source: 'encoded' });
          } else return;
        }
      };

      // Re-entrant calls (a synchronous decode finishing inside `pump`) just ask for another round.
      function step(): void {
        if (stepping) return void (again = true);
        stepping = true;
        try {
          do {
            again = false;
            drain();
            if (!stopped) window.pump(queue[0]?.text, upstreamDone);
          } while (again && !stopped);
          if (!stopped && upstreamDone && queue.length === 0 && window.idle) {
            stopped = true;
            subscriber.complete();
          }
        } catch (err) {
          fail(err); // e.g. the cache was closed under a running stream
        } finally {
          stepping = false;
        }
      }

      const onItem = (item: T): void => {
        let key: string | FeatureKey;
        let text: string;
        try {
          key = keyOf(item);
          text = keyString(key);
        } catch (err) {
          if (err instanceof FeatureCacheError) throw err;
          throw new InvalidArgumentError(
            `keyOf failed: ${(err as Error)?.message}`,
            { item: String(item) },
            undefined,
            { cause: err },
          );
        }
        const slot: Slot<T, D> = { item, key, text, state: 'queued' };
        if (failed.has(text)) Object.assign(slot, { state: 'skipped', error: failed.get(text) });
        else if (onTheirWay.has(text))
          slot.state = 'hit'; // in the cache (or failed) by the time its turn comes
        else if (queue.length === 0) {
          const got = cache.get(key);
          if (got) return out(slot, { features: { data: got.data, shape: got.shape }, source: 'cache' });
        } else if (cache.has(key))
          slot.state = 'hit'; // read when its turn comes
        else cache.get(key); // counts the miss in the session stats (nothing to decode)
        if (slot.state === 'queued') {
          onTheirWay.set(text, slot);
          window.add(slot);
        }
        queue.push(slot);
        step();
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
          step();
        },
      });

      return () => {
        stopped = true;
        upstream.unsubscribe();
        window.dispose();
      };
    });
}
