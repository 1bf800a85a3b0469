/**
 * The prediction gallery: for each chosen sample, a strip of frames from its video, the predicted
 * and reference captions, per-sample scores and whether generation reached EOS. A video that is
 * missing or cannot be decoded gets a placeholder and a note; it never fails the report.
 */
import { access } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { escapeHtml } from './escape-html.js';
import type { ReportPrediction } from './predictions-jsonl.js';
import { formatMetric } from '../metrics/format-metric.js';
import { metricLabel, sortMetrics } from '../metrics/metric-registry.js';
import type { ThumbnailOptions, ThumbnailProvider } from './video-thumbnails.js';

/** One gallery card's data. */
export interface GalleryItem {
  readonly prediction: ReportPrediction;
  /** PNG data URIs (empty when the video could not be shown). */
  readonly frames: readonly string[];
  /** Why there are no frames (video missing, decode failed). */
  readonly note?: string;
}

/** Where a prediction's video is: absolute, else relative to the run folder, the cwd, or `roots`. */
export async function resolveVideo(
  video: string,
  runDir: string,
  roots: readonly string[] = [],
): Promise<string | undefined> {
  const candidates = isAbsolute(video)
    ? [video]
    : [join(runDir, video), resolve(video), ...roots.map((r) => join(r, video))];
  for (const c of candidates) {
    if (
      await access(c).then(
        () => true,
        () => false,
      )
    )
      return c;
  }
  return undefined;
}

/** Load the frames of each sample, two videos at a time (ffmpeg is the slow part). */
export async function loadGallery(
  samples: readonly ReportPrediction[],
  runDir: string,
  thumbnails: ThumbnailProvider,
  options: ThumbnailOptions & { readonly videoRoots?: readonly string[] },
): Promise<GalleryItem[]> {
  const one = async (p: ReportPrediction): Promise<GalleryItem> => {
    if (p.video === undefined) return { prediction: p, frames: [], note: 'no video path in predictions.jsonl' };
    const file = await resolveVideo(p.video, runDir, options.videoRoots);
    if (file === undefined) return { prediction: p, frames: [], note: `video not found: ${p.video}` };
    try {
      return { prediction: p, frames: await thumbnails(file, options) };
    } catch (err) {
      return {
        prediction: p,
        frames: [],
        note: `could not decode ${p.video}: ${(err as Error).message.split('\n')[0]}`,
      };
    }
  };
  const out: GalleryItem[] = new Array<GalleryItem>(samples.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < samples.length) {
      const i = next++;
      out[i] = await one(samples[i]!);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

function card(item: GalleryItem): string {
  const p = item.prediction;
  const frames =
    item.frames.length > 0
      ? `<div class="frames">${item.frames.map((src, i) => `<img src="${src}" alt="frame ${i + 1} of ${escapeHtml(p.id)}">`).join('')}</div>`
      : `<div class="frames placeholder" aria-label="no frames"><span>no frames</span></div>`;
  const eos =
    p.eosReached === undefined
      ? ''
      : p.eosReached
        ? '<span class="badge ok" title="generation stopped at the end-of-sequence token">EOS</span>'
        : '<span class="badge bad" title="generation hit max_new_tokens without emitting EOS">no EOS</span>';
  const scores = sortMetrics(Object.keys(p.metrics))
    .map((k) => `<li><span>${escapeHtml(metricLabel(k))}</span><b>${formatMetric(k, p.metrics[k]!)}</b></li>`)
    .join('');
  return [
    '<article class="sample">',
    frames,
    `<div class="sample-body"><header><code>${escapeHtml(p.id)}</code>${eos}</header>`,
    `<p class="cap pred"><span class="lbl">prediction</span><span lang="ko">${escapeHtml(p.prediction)}</span></p>`,
    p.reference !== undefined
      ? `<p class="cap ref"><span class="lbl">reference</span><span lang="ko">${escapeHtml(p.reference)}</span></p>`
      : '',
    scores ? `<ul class="scores">${scores}</ul>` : '',
    item.note ? `<p class="note">${escapeHtml(item.note)}</p>` : '',
    '</div></article>',
  ].join('');
}

/** The gallery's HTML (a grid of cards). */
export function renderGallery(items: readonly GalleryItem[]): string {
  return `<div class="gallery">${items.map(card).join('')}</div>`;
}
