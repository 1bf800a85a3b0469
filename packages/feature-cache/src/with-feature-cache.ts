/**
 * withFeatureCache: a cold Observable that opens a cache when subscribed, hands it to `use`, and
 * closes it on teardown (complete, error or unsubscribe), so a pipeline never leaks an LMDB env.
 */
import { Observable, from } from 'rxjs';
import type { ObservableInput, Subscription } from 'rxjs';
import { FeatureCache } from './feature-cache.js';
import type { FeatureCacheOptions } from './feature-cache.js';

/** Opens the cache at `path` for the lifetime of one subscription to `use(cache)`. */
export function withFeatureCache<R>(
  path: string,
  options: FeatureCacheOptions,
  use: (cache: FeatureCache) => ObservableInput<R>,
): Observable<R> {
  return new Observable<R>((subscriber) => {
    let cache: FeatureCache | undefined;
    let inner: Subscription | undefined;
    let torndown = false;
    FeatureCache.open(path, options).then(
      (c) => {
        cache = c;
        if (torndown) return void c.close();
        try {
          inner = from(use(c)).subscribe({
            next: (v) => subscriber.next(v),
            error: (e: unknown) => subscriber.error(e),
            complete: () => subscriber.complete(),
          });
        } catch (err) {
          subscriber.error(err);
        }
      },
      (err: unknown) => subscriber.error(err),
    );
    return () => {
      torndown = true;
      inner?.unsubscribe();
      // Closing waits for writes already queued; a failure here has nowhere to go but the void.
      void cache?.close().catch(() => undefined);
    };
  });
}
