/**
 * The GPU NF4 quantizer (nf4-quantize.ts) against the host's quantizeNf4 on the widened values: codes and scales
 * equal bit for bit (bitsandbytes' semantics are the host's, checked against its reference in nf4-parity), and the
 * cases it leaves to the host.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { toFloat32 } from '../io/dtype.js';
import { NF4_TABLE } from '../quant/nf4-matrix.js';
import { packNf4Codes } from '../quant/pack-nf4-codes.js';
import { quantizeNf4, type Nf4QuantizeOptions } from '../quant/quantize-nf4.js';
import { prng } from './nf4-host.js';
import { nf4MatrixFromBf16OnGpu } from './nf4-quantize.js';
import { webgpuForTests } from './webgpu-for-tests.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../io/checkpoint.js';
import { Nf4Matrix } from '../quant/nf4-matrix.js';
import { loadQwen3 } from '../qwen3/load-qwen3.js';
import { qwen3LinearModules } from '../qwen3/qwen3-weights.js';
import { OTHER_CONFIGS } from '../testing/random-qwen3.js';
import { writeRandomQwen3 } from '../testing/write-random-qwen3.js';
import * as quantizer from './nf4-quantize.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const bf16Of = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0]! >>> 16; // truncation

/**
 * `n` bf16 weights: normal-ish values, plus what the decision tree and the scales are sensitive to: values whose
 * scaled form lands on the table's entries and midway between them (the thresholds), signed zeros, subnormals
 * beside normal values, one all-zero block, a block holding one nonzero value.
 */
function weights(n: number, bs: number, seed: number): Uint8Array {
  const r = prng(seed);
  const bits = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    const scale = 0.02 * (1 + Math.floor(r() * 4));
    let x: number;
    if (u < 0.6) x = (r() + r() + r() - 1.5) * scale;
    else if (u < 0.8) x = NF4_TABLE[Math.floor(r() * 16)]! * scale;
    else if (u < 0.95) {
      const k = Math.floor(r() * 15);
      x = ((NF4_TABLE[k]! + NF4_TABLE[k + 1]!) / 2) * scale;
    } else if (u < 0.97) x = r() < 0.5 ? 0 : -0;
    else x = (r() - 0.5) * 1e-39; // subnormal
    bits[i] = bf16Of(x);
  }
  bits.fill(0, bs, 2 * bs); // block 1: all zero
  bits.fill(0x8000, 2 * bs, 3 * bs); // block 2: -0 …
  bits[2 * bs + 5] = bf16Of(-0.5); // … and one value
  return new Uint8Array(bits.buffer);
}

async function compare(bytes: Uint8Array, rows: number, cols: number, opts: Nf4QuantizeOptions = {}, row?: number) {
  const m = nf4MatrixFromBf16OnGpu(bytes, rows, cols, opts, row);
  expect(m).toBeDefined();
  const host = quantizeNf4(toFloat32('BF16', bytes), opts);
  const codes = new Int32Array(await m!.codes.data());
  const absmax = new Float32Array(await m!.absmax.data());
  m!.dispose();
  expect(codes).toEqual(packNf4Codes(host.codes));
  expect(absmax).toEqual(host.absmax);
  return host;
}

describe.skipIf(!gpu)('the GPU NF4 quantizer against the host quantizer, bit for bit', () => {
  it('64-element blocks, whole words', async () => {
    const host = await compare(weights(96 * 64, 64, 1), 96, 64);
    // The data reaches the cases it claims to: the zero block, and every code.
    expect(host.absmax[1]).toBe(0);
    expect(new Set(host.codes).size).toBe(16);
  });
  it('a partial last block and an element count not a multiple of 8 (padded words)', async () => {
    await compare(weights(37 * 29, 64, 2), 37, 29);
  });
  it('128-element blocks with double quantization (the codes use the true absmax, the scales the stand-in)', async () => {
    const host = await compare(weights(64 * 200, 128, 3), 64, 200, { blocksize: 128, doubleQuant: true });
    expect(host.double).toBeDefined();
  });
  it('more workgroups than a dispatch row holds (the second row of the grid)', async () => {
    // 3 rows of 1 workgroup: 256 words each, the last partly
    await compare(weights(8 * 256 * 2 + 8 * 40, 64, 4), 1, 8 * 256 * 2 + 8 * 40, {}, 1);
  });
  it('leaves to the host: infinite or NaN weights, a subnormal block absmax, a block size not a multiple of 8', () => {
    const base = () => new Uint16Array(weights(4 * 64, 64, 5).buffer);
    for (const special of [0x7f80, 0xff80, 0x7fc1]) {
      const bits = base();
      bits[70] = special;
      expect(nf4MatrixFromBf16OnGpu(new Uint8Array(bits.buffer), 4, 64)).toBeUndefined();
    }
    const tiny = base();
    tiny.fill(0x0001, 64, 128); // block 1: subnormal absmax, 1/absmax overflows f32
    expect(nf4MatrixFromBf16OnGpu(new Uint8Array(tiny.buffer), 4, 64)).toBeUndefined();
    expect(nf4MatrixFromBf16OnGpu(new Uint8Array(base().buffer), 4, 64, { blocksize: 12 })).toBeUndefined();
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe.skipIf(!gpu)('loading a bf16 Qwen3 with quantization nf4 on webgpu', () => {
  it('quantizes every decoder weight on the GPU, to the host quantizer’s codes and scales', async () => {
    const configJson = OTHER_CONFIGS['untied, head_dim 12, 4:1 GQA, bias, eps 1e-5, theta 5000']!;
    const dir = mkdtempSync(join(tmpdir(), 'kvc-nf4-gpu-'));
    await writeRandomQwen3(dir, configJson, { seed: 7, dtype: 'BF16' });
    const spy = vi.spyOn(quantizer, 'nf4MatrixFromBf16OnGpu');
    const model = await loadQwen3(dir, { quantization: 'nf4', nf4DoubleQuant: true });
    const config = model.config;
    const perLayer = 7;
    expect(spy).toHaveBeenCalledTimes(perLayer * config.numHiddenLayers);
    expect(spy.mock.results.every((r) => r.value instanceof Nf4Matrix)).toBe(true);
    spy.mockRestore();
    const ck = await Checkpoint.open(dir);
    const keys = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const;
    for (const [i, layer] of model.weights.layers.entries()) {
      for (const k of keys) {
        const w = layer[k].weight as Nf4Matrix;
        const host = quantizeNf4(await ck.readFloat32(`${qwen3LinearModules(config, i)[k][0]}.weight`), {
          doubleQuant: true,
        });
        expect(new Int32Array(await w.codes.data())).toEqual(packNf4Codes(host.codes));
        expect(new Float32Array(await w.absmax.data())).toEqual(host.absmax);
      }
    }
    await ck.close();
    model.dispose();
  });
});
