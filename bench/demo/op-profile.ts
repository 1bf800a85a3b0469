// Probe: per-kernel times of one tiny Qwen3 forward (tf.profile).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadQwen3, installWasmMatMulFix } from '@kvc/models';
import { causalLmLoss } from '../../apps/cli/src/demo/warm-up-causal-lm.js';

await initBackend((process.argv[3] ?? 'wasm') as 'wasm');
installWasmMatMulFix();
const m = await loadQwen3(process.argv[2]!);
const V = m.config.vocabSize;
const seqs = Array.from({ length: 32 }, (_, i) => Array.from({ length: 40 }, (_, j) => (i * 7 + j * 3) % V));
const l0 = causalLmLoss(m, seqs, 0);
await l0.data();
l0.dispose();
const info = await tf.profile(async () => {
  const l = causalLmLoss(m, seqs, 0);
  await l.data();
  l.dispose();
});
if (process.env.SHAPES)
  for (const k of info.kernels)
    if (k.name === 'BatchMatMul')
      console.log(Number(k.kernelTimeMs).toFixed(1), JSON.stringify(k.inputShapes), JSON.stringify(k.outputShapes));
const by = new Map<string, [number, number]>();
for (const k of info.kernels) {
  const e = by.get(k.name) ?? [0, 0];
  e[0] += Number(k.kernelTimeMs);
  e[1]++;
  by.set(k.name, e);
}
console.log(
  [...by]
    .sort((a, b) => b[1][0] - a[1][0])
    .slice(0, 15)
    .map(([n, [t, c]]) => `${n} ${t.toFixed(1)}ms x${c}`)
    .join('\n'),
);
