/**
 * `orderedMergeMap`: like `mergeMap` with a concurrency limit, but emits results in input order
 * (each inner Observable's values are held until all earlier inputs have completed). Used where
 * output must be deterministic while work runs in parallel.
 */
import { Observable, type ObservableInput, type OperatorFunction, Subscription, from } from 'rxjs';
import { InvalidArgumentError } from '../errors.js';

/** Map each value to an inner Observable, at most `concurrency` at once, emitting in input order. */
export function orderedMergeMap<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  concurrency: number,
): OperatorFunction<T, R> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new InvalidArgumentError(`concurrency must be a positive integer, got ${concurrency}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const results = new Map<number, { values: R[]; done: boolean }>();
      const queue: { value: T; index: number }[] = [];
      const inner = new Set<Subscription>();
      let nextIndex = 0;
      let emitIndex = 0;
      let active = 0;
      let sourceDone = false;
      const flush = (): void => {
        for (let r = results.get(emitIndex); r; r = results.get(emitIndex)) {
          for (const v of r.values.splice(0)) subscriber.next(v);
          if (!r.done) return;
          results.delete(emitIndex++);
        }
        if (sourceDone && active === 0 && queue.length === 0 && emitIndex === nextIndex) subscriber.complete();
      };
      const start = (): void => {
        while (active < concurrency && queue.length > 0) {
          const { value, index } = queue.shift()!;
          const slot = { values: [] as R[], done: false };
          results.set(index, slot);
          active++;
          const sub = new Subscription();
          inner.add(sub);
          sub.add(
            from(project(value, index)).subscribe({
              next: (v) => {
                slot.values.push(v);
                if (index === emitIndex) flush();
              },
              error: (e: unknown) => subscriber.error(e),
              complete: () => {
                slot.done = true;
                active--;
                inner.delete(sub);
                start();
                flush();
              },
            }),
          );
        }
      };
      const outer = source.subscribe({
        next: (value) => {
          queue.push({ value, index: nextIndex++ });
          start();
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          flush();
        },
      });
      return () => {
        outer.unsubscribe();
        for (const s of inner) s.unsubscribe();
      };
    });
}
