// Probe: how fast the tiny Qwen3 warm-up runs on wasm, and whether its loss falls.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@kvc/models';
import { planSynth } from '@kvc/video-io';
import { buildDemoModels } from '../../apps/cli/src/demo/build-demo-models.js';

const steps = Number(process.argv[2] ?? 40);
const bs = Number(process.argv[3] ?? 32);
await initBackend('wasm');
const plan = planSynth({ out: '/tmp/x', train: 128, val: 0 });
const out = mkdtempSync(join(tmpdir(), 'kvc-warm-'));
const t0 = Date.now();
const r = await buildDemoModels(out, {
  captions: plan.map((s) => s.caption),
  prompt: '이 영상을 자세히 설명해주세요.',
  warmUp: { steps, batchSize: bs, lr: 3e-3 },
  onProgress: (e) => {
    if (e.step % 10 === 0) console.log(`step ${e.step} loss ${e.loss.toFixed(3)} ${e.elapsedS.toFixed(1)}s`);
  },
});
console.log(JSON.stringify(r), ((Date.now() - t0) / 1000).toFixed(1), 's');
