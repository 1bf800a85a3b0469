/// <reference types="@webgpu/types" />
/**
 * GPU time of our own dispatches (runKernelOutputs), for benchmarks. tf.profile times tfjs's kernels only; the
 * GEMMs, the attention and the other WGSL of ours ran outside it, so a training step's profile missed most of its
 * GPU time (bench/results/2026-11-29-split-attention-h200.md, section 5). While a profile is on, every pass of ours
 * (one dispatch each already) writes a timestamp at its start and end; stopping resolves them all, once.
 * Timestamps are per pass, so this changes no pass boundaries and adds no submits: what it measures is the step as
 * it runs. Needs the device's `timestamp-query` feature; without it the profile is empty.
 */
import { readTimestampPairs } from './timestamp-pairs.js';
import type { WebgpuBackendInternals } from './webgpu-internals.js';

/** WebGPU's maximum queries a set: 2,048 dispatches a set. */
const QUERIES = 4096;

interface Chunk {
  readonly set: GPUQuerySet;
  readonly labels: string[];
}
let chunks: Chunk[] | undefined;

/** One kernel's share of a profile: our pipeline's bindings and workgroup counts, how often, how long. */
export interface OwnKernelTime {
  readonly label: string;
  readonly count: number;
  readonly ms: number;
}

/** Starts timing our dispatches (a profile already on is dropped). */
export function startOwnKernelProfile(): void {
  for (const c of chunks ?? []) c.set.destroy();
  chunks = [];
}

/** The timestamp writes for the pass of our next dispatch, or undefined when no profile is on. */
export function ownPassTimestamps(device: GPUDevice, label: string): GPUComputePassTimestampWrites | undefined {
  if (!chunks || !device.features.has('timestamp-query')) return undefined;
  let c = chunks[chunks.length - 1];
  if (!c || 2 * c.labels.length >= QUERIES) {
    chunks.push((c = { set: device.createQuerySet({ type: 'timestamp', count: QUERIES }), labels: [] }));
  }
  const i = c.labels.length;
  c.labels.push(label);
  return { querySet: c.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
}

/** Ends the profile once the GPU has run everything recorded: GPU ms and dispatches per label, largest first. */
export async function stopOwnKernelProfile(b: WebgpuBackendInternals): Promise<OwnKernelTime[]> {
  const taken = chunks ?? [];
  chunks = undefined;
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
  const reads = taken.map((c) => ({ c, ms: readTimestampPairs(b.device, b.commandEncoder!, c.set, c.labels.length) }));
  b.submitQueue();
  const byLabel = new Map<string, { count: number; ms: number }>();
  for (const { c, ms } of reads) {
    const times = await ms();
    c.labels.forEach((label, i) => {
      const e = byLabel.get(label) ?? { count: 0, ms: 0 };
      e.count += 1;
      e.ms += times[i]!;
      byLabel.set(label, e);
    });
    c.set.destroy();
  }
  return [...byLabel].map(([label, e]) => ({ label, ...e })).sort((x, y) => y.ms - x.ms);
}
