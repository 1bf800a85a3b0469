/**
 * TensorBoard event files from the training event stream (kvc issue #16): per optimizer step the
 * loss, learning rate, gradient norm, throughput and memory; per epoch the train loss; per
 * evaluation every metric and a table of sample captions. `tensorboard --logdir RUN/tensorboard`
 * reads them; W&B (`wandb.tensorboard.patch` / `wandb sync`) and MLflow import the same files
 * (docs/tracking.md).
 *
 * Each process writes its own file (a resumed run adds one; TensorBoard merges a folder's files by
 * step), named as TensorFlow's writer names them so every reader finds it.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { TrainEvent } from '../../trainer/trainer-types.js';
import { fileVersionEvent, scalarsEvent, textEvent } from './tensorboard-event.js';
import { TfRecordFile } from './tfrecord-file.js';

/** Sample captions an evaluation may pass in `details.captions`, shown as a text table. */
export interface CaptionSample {
  readonly id: string;
  readonly prediction: string;
  readonly reference?: string;
}

const MAX_CAPTIONS = 16;

export class TensorboardLog {
  private file: TfRecordFile | undefined;
  /** Evaluations and epochs are drawn at the global step they follow. */
  private globalStep = 0;

  constructor(readonly dir: string) {}

  write(event: TrainEvent): void {
    const now = Date.now() / 1000;
    switch (event.type) {
      case 'step':
        this.globalStep = event.globalStep;
        this.append(
          scalarsEvent(now, event.globalStep, {
            'train/loss': event.loss,
            'train/lr': event.lr,
            'train/grad_norm': event.gradNorm,
            'train/tokens_per_s': event.tokensPerS,
            'system/device_memory_mb': event.memoryMB,
            'system/rss_mb': event.rssMB,
          }),
        );
        return;
      case 'epoch':
        this.append(
          scalarsEvent(now, this.globalStep, { 'epoch/train_loss': event.trainLoss, 'epoch/epoch': event.epoch }),
        );
        return;
      case 'evaluation': {
        const scalars = Object.fromEntries(Object.entries(event.metrics).map(([k, v]) => [`eval/${k}`, v]));
        this.append(scalarsEvent(now, this.globalStep, scalars));
        const captions = captionSamples(event.details?.captions);
        if (captions.length > 0) {
          const title = `${event.stage} epoch ${event.epoch}`;
          this.append(textEvent(now, this.globalStep, 'eval/captions', captionTable(title, captions)));
        }
        return;
      }
      default:
        return;
    }
  }

  private append(record: Uint8Array): void {
    if (!this.file) {
      mkdirSync(this.dir, { recursive: true });
      const name = `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}.kvc`;
      this.file = new TfRecordFile(join(this.dir, name));
      this.file.append(fileVersionEvent(Date.now() / 1000));
    }
    this.file.append(record);
  }
}

function captionSamples(v: unknown): CaptionSample[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter(
      (c): c is CaptionSample => !!c && typeof c === 'object' && typeof (c as CaptionSample).prediction === 'string',
    )
    .slice(0, MAX_CAPTIONS);
}

/** A markdown table; cell text is escaped so a caption cannot break the table or inject markup. */
function captionTable(title: string, rows: readonly CaptionSample[]): string {
  const cell = (s: string | undefined) =>
    (s ?? '').replace(/[\\|*_`<>[\]]/g, (c) => `\\${c}`).replace(/\s*\n\s*/g, ' ');
  const lines = [`**${cell(title)}**`, '', '| id | prediction | reference |', '|---|---|---|'];
  for (const r of rows) lines.push(`| ${cell(String(r.id))} | ${cell(r.prediction)} | ${cell(r.reference)} |`);
  return lines.join('\n');
}
