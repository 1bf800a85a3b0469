/**
 * Which freed GPU buffers should the pool keep (gpu/buffer-pool.ts)? Records the buffer requests
 * and releases of one training step (the trainer's step of a random Qwen3 with LoRA and per-layer
 * checkpointing, f16 weights, fused kernels: random-vlm-step.ts), then replays that trace against
 * pools of several sizes under three eviction policies and counts the buffers each must create a
 * step once warm (each creation is host time: on an H200 the Qwen3-8B step re-created ~5,900
 * buffers and spent 50 of its 51 s recording, bench/results/2026-11-28-keep-attention-h200.md):
 *   lru    the least recently freed go first (what buffer-pool.ts does);
 *   mru    the most recently freed go first (keeps what was freed earliest);
 *   opt    the buffer whose size is next asked for latest goes first (Belady: the best any policy
 *          can do, knowing the future; the step repeats, so the future is the next step).
 * Pool sizes are fractions of the step's largest free-byte total (what a pool that never destroys
 * holds at most). The layer structure, not the widths, sets the pattern, so a small model on
 * lavapipe says what the 8B one would.
 *
 *   bash bench/gpu/pack.sh bench/gpu/pool-policy-sim.ts
 *   VK_DRIVER_FILES=/usr/share/vulkan/icd.d/lvp_icd.json node .gpu/app/pool-policy-sim.mjs [layers=4]
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  F16Matrix,
  initBackend,
  parseQwen3Config,
  setFusedAttentionDefault,
  setFusedElementwiseDefault,
  setGpuPoolLimit,
} from '@kvc/models';
import { tinyQwen3ConfigJson } from '@kvc/models/testing';
import type { BufferManagerLike } from '../../packages/models/src/gpu/buffer-pool.js';
import { randomVlmStep } from './random-vlm-step.js';

const layers = Number(process.argv[2] ?? 4);
await initBackend('webgpu', { purpose: 'training' });
setFusedElementwiseDefault(true);
setFusedAttentionDefault(true);
setGpuPoolLimit({ maxFreeBytes: Infinity });
const json = tinyQwen3ConfigJson({ num_hidden_layers: layers, hidden_size: 128, head_dim: 32, intermediate_size: 384 });
const config = parseQwen3Config(json, 'pool-policy-sim');
const step = await randomVlmStep(config, { batch: 2, visionTokens: 96, textTokens: 32, visionHidden: 64 }, (t) => {
  const w = F16Matrix.fromTensor(t);
  t.dispose();
  return w;
});
await step();

type Event = { readonly acquire: boolean; readonly key: string; readonly size: number; readonly usage: number };
const trace: Event[] = [];
const manager = (tf.backend() as unknown as { bufferManager: BufferManagerLike }).bufferManager;
const [acquire, release] = [manager.acquireBuffer.bind(manager), manager.releaseBuffer.bind(manager)];
manager.acquireBuffer = (size, usage, mapped, reuse = true) => {
  if (reuse) trace.push({ acquire: true, key: `${size}_${usage}`, size, usage });
  return acquire(size, usage, mapped, reuse);
};
manager.releaseBuffer = (buffer, reuse = true) => {
  if (reuse)
    trace.push({ acquire: false, key: `${buffer.size}_${buffer.usage}`, size: buffer.size, usage: buffer.usage });
  release(buffer, reuse);
};
await step();
manager.acquireBuffer = acquire;
manager.releaseBuffer = release;

// The free bytes a never-destroying pool would hold over the step (starting from what the warm step left).
let free = 0,
  maxFree = 0;
{
  const pool = new Map<string, number>();
  for (const e of trace) {
    const n = pool.get(e.key) ?? 0;
    if (!e.acquire) {
      pool.set(e.key, n + 1);
      free += e.size;
      maxFree = Math.max(maxFree, free);
    } else if (n > 0) {
      pool.set(e.key, n - 1);
      free -= e.size;
    }
  }
}
const keys = new Set(trace.map((e) => e.key)).size;
const acquires = trace.filter((e) => e.acquire).length;
console.log(
  `Qwen3 ${layers} layers: ${acquires} buffer requests a step, ${keys} sizes, free bytes up to ${(maxFree / 2 ** 20).toFixed(1)} MiB`,
);

type Policy = 'lru' | 'mru' | 'opt';
/**
 * Size classes: every request rounded up to the next 2^(k/perOctave) bytes (a buffer then serves any request
 * of its class; up to 2^(1/perOctave) − 1 of each buffer is unused). 0: exact sizes, as tfjs matches them.
 */
const classed = (perOctave: number): Event[] =>
  perOctave === 0
    ? trace
    : trace.map((e) => {
        const size = Math.ceil(2 ** (Math.ceil(Math.log2(e.size) * perOctave) / perOctave) / 4) * 4;
        return { ...e, size, key: `${size}_${e.usage}` };
      });

/** Buffers created in the last of `rounds` replays of the trace, with a pool of `limit` free bytes. */
function simulate(policy: Policy, limit: number, perOctave = 0, rounds = 3): number {
  const step = classed(perOctave);
  const events = Array.from({ length: rounds }, () => step).flat();
  // For opt: each event's next request of the same size.
  const nextUse = new Array<number>(events.length).fill(Infinity);
  const seen = new Map<string, number>();
  for (let i = events.length - 1; i >= 0; i--) {
    nextUse[i] = seen.get(events[i]!.key) ?? Infinity;
    if (events[i]!.acquire) seen.set(events[i]!.key, i);
  }
  // Free buffers in release order: [key, size, release index].
  const pool: [string, number, number][] = [];
  let bytes = 0,
    created = 0;
  const lastRound = events.length - trace.length;
  events.forEach((e, i) => {
    if (e.acquire) {
      const at = pool.findIndex(([k]) => k === e.key);
      if (at >= 0) {
        bytes -= pool[at]![1];
        pool.splice(at, 1);
      } else if (i >= lastRound) created++;
      return;
    }
    pool.push([e.key, e.size, i]);
    bytes += e.size;
    while (bytes > limit) {
      let victim = 0;
      if (policy === 'mru') victim = pool.length - 1;
      if (policy === 'opt') {
        let far = -1;
        pool.forEach(([, , r], n) => {
          if (nextUse[r]! > far) {
            far = nextUse[r]!;
            victim = n;
          }
        });
      }
      bytes -= pool[victim]![1];
      pool.splice(victim, 1);
    }
  });
  return created;
}

console.log(
  'pool (share of the largest free total) | buffers created a step: lru  mru  opt | lru with size classes: ' +
    '8, 4, 2 an octave (≤ 9, 19, 41 % unused)',
);
for (const share of [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1]) {
  const limit = share * maxFree;
  const [l, m, o] = (['lru', 'mru', 'opt'] as const).map((p) => simulate(p, limit));
  const c = [8, 4, 2].map((k) => simulate('lru', limit, k));
  console.log(
    `${(share * 100).toFixed(0).padStart(4)} % (${(limit / 2 ** 20).toFixed(1)} MiB) | ${l} ${m} ${o} | ` +
      `${c.join(' ')} of ${acquires}`,
  );
}
process.exit(0);
