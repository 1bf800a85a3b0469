import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { paddingAttentionBias } from '../nn/attention-bias.js';
import { attention } from '../nn/attention.js';
import {
  flashAttention,
  flashAttentionVariant,
  fusedAttentionDefault,
  setFlashAttentionVariant,
  setFusedAttentionDefault,
} from './flash-attention.js';
import { selectFlashAttentionVariant, tensorCoreFlashCandidates } from './flash-attention-select.js';
import { selectKernelVariant } from './select-gemm-variant.js';
import { webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

describe.skipIf(!gpu)('fused attention selection and the hook behind attention()', () => {
  it('initBackend("webgpu") ran the self-test and the portable kernels passed it', () => {
    expect(flashAttentionVariant()).toBe('portable');
  });

  it('the tensor-core kernels fail their self-test where the device has no subgroup matrices, and portable stays', async () => {
    const offered = webgpuBackend().device.features.has('chromium-experimental-subgroup-matrix');
    expect(tensorCoreFlashCandidates()).toEqual(offered ? ['subgroup-matrix', 'portable'] : ['portable']);
    const sel = await selectFlashAttentionVariant(['subgroup-matrix', 'portable']);
    try {
      if (offered) return void expect(sel.variant).toBe('subgroup-matrix');
      expect(sel.variant).toBe('portable');
      expect(flashAttentionVariant()).toBe('portable');
      expect(sel.warnings).toHaveLength(1);
      expect(sel.warnings[0]).toMatch(/^fused attention subgroup-matrix variant failed its self-test/);
    } finally {
      setFlashAttentionVariant('portable');
    }
  });

  it('selectKernelVariant falls back past a failing candidate with a warning', async () => {
    const sel = await selectKernelVariant('fused attention', ['bad', 'good'], (v) =>
      Promise.resolve(v === 'bad' ? 3 : 0.5),
    );
    expect(sel.variant).toBe('good');
    expect(sel.warnings).toHaveLength(1);
    expect(sel.warnings[0]).toMatch(
      /fused attention bad variant failed its self-test \(results off by 3\.00×.*falling back/,
    );
    const none = await selectKernelVariant('x', ['a'], () => Promise.reject(new Error('no compile')));
    expect(none).toEqual({
      variant: undefined,
      warnings: ['x a variant failed its self-test (no compile); falling back'],
    });
  });

  it('attention() runs the fused kernels when asked (per call or by default), else the tfjs op', async () => {
    const q = tf.randomUniform([2, 4, 13, 16], -1, 1, 'float32', 5) as tf.Tensor4D;
    const k = tf.randomUniform([2, 2, 13, 16], -1, 1, 'float32', 6) as tf.Tensor4D;
    // Right pads: every row sees a key (tfjs-webgpu's softmax gives NaN on rows that see nothing).
    const mask = tf.tensor2d([Array<number>(13).fill(1), [...Array<number>(10).fill(1), 0, 0, 0]]);
    const bias = paddingAttentionBias(mask);
    const opts = { bias, causal: true };
    const direct = flashAttention(q, k, k, opts);
    const tfjs = attention(q, k, k, { ...opts, fused: false });
    const [d, t] = [await direct.data(), await tfjs.data()];
    // Same kernels, same inputs: bit-identical. The tfjs op rounds differently: not identical.
    expect(d).not.toEqual(t);
    const via = async (o: { fused?: boolean }) => {
      const y = attention(q, k, k, { ...opts, ...o });
      const data = await y.data();
      y.dispose();
      return data;
    };
    expect(fusedAttentionDefault()).toBe(false);
    expect(await via({})).toEqual(t);
    expect(await via({ fused: true })).toEqual(d);
    setFusedAttentionDefault(true);
    try {
      expect(await via({})).toEqual(d);
      setFlashAttentionVariant(undefined);
      expect(await via({ fused: true })).toEqual(t);
    } finally {
      setFlashAttentionVariant('portable');
      setFusedAttentionDefault(false);
    }
    tf.dispose([q, k, mask, bias, direct, tfjs]);
  });
});
