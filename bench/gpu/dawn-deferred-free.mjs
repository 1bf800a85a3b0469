/* global GPUBufferUsage */
// Probe: does Dawn give a destroyed buffer's memory back while JavaScript runs synchronously,
// or only once it yields? (buffer-pool.ts relies on the answer: it destroys freed buffers mid-step.)
// Allocates 1 GiB storage buffers, queues a slow kernel on each, destroys it, N times in a row;
// `sync` never yields, `yield` lets the event loop run every 4 buffers. Run under
// with-peak-memory.sh: a sync peak near N GiB means the memory waited for the yield.
// Usage: node dawn-deferred-free.mjs sync|yield [N=24] [ITER=2000: the kernel's work per invocation]
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const gpu = create([]); // kept referenced: a collected instance takes the device down with it
const adapter = await gpu.requestAdapter();
const lim = adapter.limits;
const device = await adapter.requestDevice({
  requiredLimits: { maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize, maxBufferSize: lim.maxBufferSize },
});
const mode = process.argv[2] ?? 'sync';
const n = Number(process.argv[3] ?? 24);
const SZ = Math.min(2 ** 30, lim.maxStorageBufferBindingSize);
const code = `@group(0) @binding(0) var<storage, read_write> a: array<u32>;
@compute @workgroup_size(256) fn main(@builtin(global_invocation_id) g: vec3u) {
  var v = g.x;
  for (var k = 0u; k < ${Number(process.argv[4] ?? 2000)}u; k++) { v = v * 1664525u + 1013904223u; }
  for (var i = g.x; i < arrayLength(&a); i += 65535u * 256u) { a[i] = v; }
}`;
const pipe = device.createComputePipeline({
  layout: 'auto',
  compute: { module: device.createShaderModule({ code }), entryPoint: 'main' },
});
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const b = device.createBuffer({ size: SZ, usage: GPUBufferUsage.STORAGE });
  const enc = device.createCommandEncoder();
  const p = enc.beginComputePass();
  p.setPipeline(pipe);
  p.setBindGroup(
    0,
    device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: b } }] }),
  );
  p.dispatchWorkgroups(65535);
  p.end();
  device.queue.submit([enc.finish()]);
  b.destroy();
  if (mode === 'yield' && i % 4 === 3) await new Promise((r) => setImmediate(r));
}
const queued = performance.now() - t0;
await device.queue.onSubmittedWorkDone();
console.log(
  `${mode}: ${n} × ${SZ / 2 ** 30} GiB buffers; queued in ${queued.toFixed(0)} ms, done after ${(performance.now() - t0).toFixed(0)} ms`,
);
process.exit(0);
