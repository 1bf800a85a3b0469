/**
 * `mapBounded`: `fn` over `items` with at most `limit` calls in flight, results in the items' order. The
 * SigLIP score decodes a batch's videos this way (each decode is an ffmpeg process or a decode worker). On
 * the first failure no new call starts; the calls in flight settle, then that first error is thrown, so no
 * rejection is left unobserved and no work continues after the caller has its error.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed) throw failed.error;
  return results;
}
