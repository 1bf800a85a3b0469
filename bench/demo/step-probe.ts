// Probe: time of one forward / one warm-up step of the tiny Qwen3 on a backend.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, loadQwen3, installWasmMatMulFix } from '@kvc/models';
import { causalLmLoss, warmUpCausalLm } from '../../apps/cli/src/demo/warm-up-causal-lm.js';

await initBackend((process.argv[3] ?? 'wasm') as 'wasm');
if (process.env.FIX) installWasmMatMulFix();
const m = await loadQwen3(process.argv[2]!);
const V = m.config.vocabSize;
const B = Number(process.argv[4] ?? 32);
const seqs = Array.from({ length: B }, (_, i) => Array.from({ length: 40 }, (_, j) => (i * 7 + j * 3) % V));
for (let r = 0; r < 3; r++) {
  const t = Date.now();
  const l = causalLmLoss(m, seqs, 0);
  await l.data();
  l.dispose();
  console.log(`fwd ${Date.now() - t} ms`);
}
let last = Date.now();
await warmUpCausalLm(m, seqs, {
  steps: 4,
  batchSize: B,
  padId: 0,
  onStep: (s) => {
    console.log(`step ${s.step} ${Date.now() - last} ms`);
    last = Date.now();
  },
});
console.log(tf.memory().numTensors);
