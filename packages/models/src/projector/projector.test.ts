import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { SafetensorsFile } from '../io/safetensors-file.js';
import { geluErf } from '../nn/activations.js';
import { Projector } from './projector.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('Projector', () => {
  it.each([
    // x, torch.nn.GELU()(x) (exact erf form)
    [0, 0],
    [1, 0.8413447460685429],
    [-1, -0.15865525393145707],
    [2.5, 2.4844758366855597],
  ])('gelu(%d) = %d', async (x, y) => {
    const t = geluErf(tf.scalar(x));
    expect((await t.data())[0]).toBeCloseTo(y, 6);
    t.dispose();
  });

  it.each([
    ['linear', ['bias', 'weight']],
    ['mlp2x_gelu', ['0.bias', '0.weight', '2.bias', '2.weight']],
  ] as const)('%s saves with PyTorch names and loads back identically', async (type, names) => {
    const p = Projector.create(type, 6, 4, 3);
    const file = join(mkdtempSync(join(tmpdir(), 'kvc-proj-')), 'projector.safetensors');
    await p.save(file);
    const f = await SafetensorsFile.open(file);
    expect([...f.tensors.keys()].sort()).toEqual(names);
    await f.close();
    const q = await Projector.load(file);
    expect(q.type).toBe(type);
    expect([q.inputDim, q.outputDim]).toEqual([6, 4]);
    const x = tf.randomUniform([2, 3, 6]);
    const a = p.apply(x);
    const b = q.apply(x);
    expect(a.shape).toEqual([2, 3, 4]);
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    p.dispose();
    q.dispose();
  });

  it('rejects tensors that are neither layout', () => {
    expect(() => Projector.fromTensors(new Map([['w', tf.zeros([2, 2])]]))).toThrow(/neither linear/);
  });
});
