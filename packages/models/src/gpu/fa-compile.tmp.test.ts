import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { webgpuForTests } from './webgpu-for-tests.js';
import { runKernelOutputs } from './webgpu-internals.js';
import { flashForwardWgsl } from './flash-attention-forward-wgsl.js';
await webgpuForTests();
it('runs', async () => {
  const d = Number(process.env.FA_D), br = Number(process.env.FA_BR), bc = Number(process.env.FA_BC), t = Number(process.env.FA_T);
  const q = tf.randomUniform([1, 1, t, d], -2, 2, 'float32', 1) as tf.Tensor4D;
  const code = flashForwardWgsl({ b: 1, nh: 1, nkv: 1, t, s: t, d, causal: false, bias: 'none' }, { br, bc });
  if (process.env.FA_PRINT) { (await import('node:fs')).writeFileSync('/tmp/fa/k.wgsl', code); return; }
  const [o] = runKernelOutputs(code, [q, q, q], [{ shape: q.shape, dtype: 'float32' }, { shape: [t * 3], dtype: 'float32' }], [Math.ceil(t / br), 1]);
  console.error('ok', (await o!.data())[0]);
}, 20000);
