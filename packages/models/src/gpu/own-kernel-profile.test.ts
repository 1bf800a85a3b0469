/**
 * The profile of our own dispatches on webgpu (lavapipe in CI, which has `timestamp-query`): every dispatch of
 * ours while it is on is counted under its pipeline's bindings and workgroups, with a GPU time; none before or
 * after it; and more than one query set's worth (2,048 dispatches) is resolved.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend } from '../engine/init-backend.js';
import { ownPassTimestamps, startOwnKernelProfile, stopOwnKernelProfile } from './own-kernel-profile.js';
import { runKernel, webgpuBackend } from './webgpu-internals.js';
import { webgpuForTests } from './webgpu-for-tests.js';

const gpu = await webgpuForTests();
afterAll(async () => {
  if (gpu) await initBackend('cpu');
});

const DOUBLE = `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < arrayLength(&y)) { y[g.x] = 2.0 * x[g.x]; }
}`;
const ADD_ONE = DOUBLE.replace('var<storage, read> x', 'var<storage, read> a').replace('2.0 * x[g.x]', 'a[g.x] + 1.0');
const double = (x: tf.Tensor) => runKernel(DOUBLE, [x], x.shape, 'float32', [Math.ceil(x.size / 64), 1]);
const addOne = (x: tf.Tensor) => runKernel(ADD_ONE, [x], x.shape, 'float32', [Math.ceil(x.size / 64), 1]);

describe.skipIf(!gpu)('own kernel profile', () => {
  it('times each of our dispatches under its bindings and workgroups, and only while on', async () => {
    expect(webgpuBackend().device.features.has('timestamp-query')).toBe(true);
    const x = tf.fill([300], 1.5);
    tf.dispose(double(x)); // before: not counted
    startOwnKernelProfile();
    const outs = [double(x), double(x), addOne(x), double(tf.fill([64], 1))];
    const profile = await stopOwnKernelProfile(webgpuBackend());
    tf.dispose(double(x)); // after: not counted
    expect(ownPassTimestamps(webgpuBackend().device, 'x')).toBeUndefined();
    expect(Array.from(await outs[2]!.data()).slice(0, 2)).toEqual([2.5, 2.5]); // the kernels still ran
    const by = new Map(profile.map((p) => [p.label, p]));
    expect(by.get('x→y 5×1')?.count).toBe(2);
    expect(by.get('a→y 5×1')?.count).toBe(1);
    expect(by.get('x→y 1×1')?.count).toBe(1);
    expect(profile.reduce((n, p) => n + p.count, 0)).toBe(4);
    for (const p of profile) expect(p.ms).toBeGreaterThanOrEqual(0);
    // largest first
    for (let i = 1; i < profile.length; i++) expect(profile[i - 1]!.ms).toBeGreaterThanOrEqual(profile[i]!.ms);
    tf.dispose([x, ...outs]);
  });

  it('resolves more dispatches than one query set holds', async () => {
    const x = tf.fill([64], 1);
    startOwnKernelProfile();
    for (let i = 0; i < 2100; i++) tf.dispose(double(x));
    const profile = await stopOwnKernelProfile(webgpuBackend());
    expect(profile).toEqual([expect.objectContaining({ label: 'x→y 1×1', count: 2100 })]);
    expect(profile[0]!.ms).toBeGreaterThan(0);
    x.dispose();
  });
});
