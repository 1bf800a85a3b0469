/**
 * MissWindow: the miss side of `cacheFeatures`. Misses are decoded at most `decodeConcurrency` at a
 * time, batched for the encoder one batch at a time, and written (one transaction a batch) before
 * they count as done. A batch's write overlaps the next batch's encode, but a new encode waits while
 * two writes are pending (back-pressure: the disk sets the pace, features never pile up). At most
 * `maxInFlight` misses live in the window, from the start of their decode until the operator emits
 * them and calls `release`: that bound is what keeps frames and features from piling up when the
 * encoder is slower than the decoder (the decode queue itself holds only items and keys).
 */
import { Subscription, defer, from, take } from 'rxjs';
import type { ObservableInput } from 'rxjs';
import type { FeatureKey, StorageDtype } from '../cache-key.js';
import type { FeatureCache, FeatureTensor } from '../feature-cache.js';
import { FeatureCacheError } from '../errors.js';
import { type BatchEncoder, encodeOnly, storeEncoded } from './encode-and-store.js';

/** One input item on its way through the operator. */
export interface Slot<T, D> {
  readonly item: T;
  readonly key: string | FeatureKey;
  readonly text: string;
  state: 'hit' | 'queued' | 'decoding' | 'ready' | 'encoding' | 'done' | 'skipped';
  /** What `decode` gave, until it is encoded. */
  input?: D;
  /** The stored features, until they are emitted. */
  result?: FeatureTensor;
  /** Why `decode` failed. */
  error?: unknown;
}

export interface MissWindowOptions<T, D> {
  readonly cache: FeatureCache;
  readonly decode: (item: T) => ObservableInput<D>;
  readonly encode: BatchEncoder<D>;
  readonly dtype: StorageDtype | undefined;
  readonly batchSize: number;
  readonly decodeConcurrency: number;
  readonly maxInFlight: number;
}

export class MissWindow<T, D> {
  private readonly toDecode: Slot<T, D>[] = [];
  private readonly ready: Slot<T, D>[] = [];
  private readonly work = new Subscription();
  private decoding = 0;
  private held = 0;
  private encoding = false;
  /** Encoded batches whose transaction has not committed yet. */
  private writing = 0;
  /** An encode failed while earlier batches were being written: it ends the stream once they are. */
  private failure: { readonly error: unknown } | undefined;
  private batchIndex = 0;

  /** `changed`: a slot moved on (call `pump` again); `fail`: an error that ends the stream. */
  constructor(
    private readonly o: MissWindowOptions<T, D>,
    private readonly changed: () => void,
    private readonly fail: (err: unknown) => void,
  ) {}

  /** Queues a miss; `first` puts it ahead of the others (the output is waiting for it). */
  add(slot: Slot<T, D>, first = false): void {
    slot.state = 'queued';
    if (first) this.toDecode.unshift(slot);
    else this.toDecode.push(slot);
  }

  /** Nothing decoding, encoding or being written. */
  get idle(): boolean {
    return this.decoding === 0 && !this.encoding && this.writing === 0;
  }

  /** An emitted miss leaves the window. */
  release(): void {
    this.held--;
  }

  /**
   * Starts what may start: decodes within both bounds (the key the output waits for, `priority`,
   * may always start, or a full window behind it would wait forever), then a batch if the encoder
   * is free, at most one write is pending, and the batch is full or nothing more can be decoded now
   * (`inputDone`: no more misses).
   */
  pump(priority: string | undefined, inputDone: boolean): void {
    if (this.failure) return;
    while (this.toDecode.length > 0 && this.decoding < this.o.decodeConcurrency) {
      if (this.held >= this.o.maxInFlight && this.toDecode[0]!.text !== priority) break;
      this.startDecode(this.toDecode.shift()!);
    }
    const { ready } = this;
    const { batchSize } = this.o;
    if (this.encoding || this.writing > 1 || ready.length === 0) return;
    if (ready.length < batchSize && (this.decoding > 0 || (this.toDecode.length === 0 && !inputDone))) return;
    this.startBatch(ready.splice(0, batchSize));
  }

  /** Stops every running decode and encode. */
  dispose(): void {
    this.work.unsubscribe();
  }

  private startDecode(s: Slot<T, D>): void {
    s.state = 'decoding';
    this.decoding++;
    this.held++;
    let got = false;
    this.work.add(
      defer(() => from(this.o.decode(s.item)))
        .pipe(take(1))
        .subscribe({
          next: (input) => {
            got = true;
            Object.assign(s, { state: 'ready', input });
            this.ready.push(s);
          },
          error: (error: unknown) => {
            this.decoding--;
            this.held--; // a skipped item holds nothing
            Object.assign(s, { state: 'skipped', error });
            this.changed();
          },
          complete: () => {
            this.decoding--;
            if (got) return this.changed();
            this.fail(
              new FeatureCacheError(
                'E_DECODE_EMPTY',
                'decode completed without a value',
                { key: s.text },
                'decode must emit what encode needs, or error to skip the item',
              ),
            );
          },
        }),
    );
  }

  private startBatch(batch: Slot<T, D>[]): void {
    for (const s of batch) s.state = 'encoding';
    this.encoding = true;
    const inputs = batch.map((s) => s.input!);
    const job = { inputs, keys: batch.map((s) => s.key), index: this.batchIndex++ };
    this.work.add(
      encodeOnly(this.o.encode, job).subscribe({
        next: (tensors) => {
          // The inputs (frames) go now; the features live until written and emitted.
          batch.forEach((s) => (s.input = undefined));
          this.writing++;
          storeEncoded(job, tensors, this.o.cache, this.o.dtype).then(
            (stored) => {
              this.writing--;
              batch.forEach((s, i) => Object.assign(s, { state: 'done', result: stored[i] }));
              this.changed();
              if (this.writing === 0 && this.failure) this.fail(this.failure.error);
            },
            (err: unknown) => this.fail(err),
          );
        },
        // Batches encoded before are still written and emitted first, as when encode and write were one step.
        error: (error: unknown) => (this.writing === 0 ? this.fail(error) : (this.failure = { error })),
        complete: () => {
          this.encoding = false;
          this.changed();
        },
      }),
    );
  }
}
