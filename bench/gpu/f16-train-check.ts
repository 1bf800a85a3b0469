/**
 * f16 training on the GPU (kvc issues #12/#13), one run with a verdict:
 *  1. a Qwen3-8B-sized embedding/head in f16 (151,936 × 4096: 2.5 GB in f32, over the 2 GiB binding):
 *     row shards, the f16 gather (each value within f16 rounding, u = 2⁻¹⁰, of the f32 table) and
 *     logits per shard through the f16 GEMM (within f16GemmBound of an f64 host product) at the shard edges;
 *  2. qwen3-vlm parity in f16 (head and embedding now f16 too) against the f32 references;
 *  3. the train-trajectory case in f16 with loss scaling against the f32 references.
 * Usage (packed by pack.sh, run by run-on-gpu.sh): node f16-train-check.mjs <fixtures/reference dir>
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  F16RowMatrix,
  backendMaxTensorBytes,
  f16GatherRows,
  f16GemmBound,
  frozenF16MatMul,
  gemmVariant,
  initBackend,
} from '@kvc/models';
import { formatParityReport, modelParityRunners } from '@kvc/models/parity';
import type { ParityReport } from '@kvc/models/parity';
import { runTrainTrajectoryParity } from '@kvc/train';

const ref = process.argv[2] ?? 'test/fixtures/reference';
const choice = await initBackend('webgpu', { purpose: 'training' });
console.log(`backend ${choice.backend} (${choice.reason}); f16 GEMM ${gemmVariant()}`);
let failed = 0;

async function bigTable(): Promise<void> {
  const [rows, cols, n] = [151936, 4096, 16];
  const data = new Float32Array(rows * cols);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = (s / 2 ** 32 - 0.5) * 0.1;
  }
  let t0 = performance.now();
  const m = F16RowMatrix.fromFloat32(data, rows, cols, backendMaxTensorBytes());
  const shardRows = m.shards.map((x) => x.rows).join('/');
  const gib = (m.bytes / 2 ** 30).toFixed(2);
  const packMs = (performance.now() - t0).toFixed(0);
  console.log(`table: shards of ${shardRows} rows, ${gib} GiB f16, packed in ${packMs} ms`);
  const ids: number[] = [0, 1, 77777, rows - 1];
  for (let o = 0, i = 0; i < m.shards.length - 1; i++) ids.push((o += m.shards[i]!.rows) - 1, o);
  t0 = performance.now();
  const g = f16GatherRows(m, tf.tensor1d(ids, 'int32'));
  const got = (await g.data()) as Float32Array;
  let worst = 0;
  ids.forEach((id, r) => {
    for (let c = 0; c < cols; c++) {
      const x = data[id * cols + c]!;
      worst = Math.max(worst, Math.abs(got[r * cols + c]! - x) / (2 ** -10 * Math.abs(x) + 2 ** -24));
    }
  });
  const ms = (performance.now() - t0).toFixed(0);
  console.log(`gather of ${ids.length} rows: worst error ${worst.toFixed(3)} of the f16 rounding bound; ${ms} ms`);
  if (!(worst <= 1)) failed++;
  const h = Float32Array.from({ length: n * cols }, (_, i) => Math.sin(i * 0.001));
  const ht = tf.tensor2d(h, [n, cols]);
  let offset = 0;
  let ratio = 0;
  for (const shard of m.shards) {
    const z = frozenF16MatMul(ht, shard);
    const zd = (await z.data()) as Float32Array;
    for (const local of [0, 1, shard.rows - 1]) {
      const row = offset + local;
      for (let i = 0; i < n; i++) {
        let exact = 0,
          sAbs = 0,
          sa = 0,
          sb = 0;
        for (let k = 0; k < cols; k++) {
          const a = h[i * cols + k]!,
            b = data[row * cols + k]!;
          exact += a * b;
          sAbs += Math.abs(a * b);
          sa += Math.abs(a);
          sb += Math.abs(b);
        }
        const bound = f16GemmBound(sAbs, sa, sb, cols);
        ratio = Math.max(ratio, Math.abs(zd[i * shard.rows + local]! - exact) / bound);
      }
    }
    offset += shard.rows;
    z.dispose();
  }
  console.log(`logits at every shard's edges: worst ${ratio.toFixed(3)} of f16GemmBound`);
  if (!(ratio <= 1)) failed++;
  tf.dispose([g, ht]);
  m.dispose();
}

try {
  await bigTable();
} catch (err) {
  failed++;
  console.log(`big table: ERROR ${(err as Error).stack ?? err}`);
}
const runs: [string, () => Promise<ParityReport>][] = [
  ['qwen3-vlm f16', () => modelParityRunners['qwen3-vlm'](`${ref}/qwen3`, { backend: 'webgpu', precision: 'f16' })],
  ['trajectory f16', () => runTrainTrajectoryParity(`${ref}/trajectory`, { backend: 'webgpu', precision: 'f16' })],
];
for (const [name, run] of runs) {
  const t0 = performance.now();
  try {
    const r = await run();
    console.log(formatParityReport(r));
    console.log(`  ${name}: ${(performance.now() - t0).toFixed(0)} ms`);
    if (!r.pass) failed++;
  } catch (err) {
    failed++;
    console.log(`${name}: ERROR ${(err as Error).stack ?? err}`);
  }
}
console.log(failed ? `VERDICT: ${failed} check(s) FAILED` : 'VERDICT: all f16 training checks passed');
process.exit(failed ? 1 : 0);
