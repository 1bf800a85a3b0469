/**
 * Timing one WGSL kernel alone on given buffers (for nf4-gemm-bench.ts): a fresh output buffer,
 * `reps` dispatches in one command encoder, GPU timestamps around the batch, 3 rounds after one
 * warm-up round, after rampClocks. As gemm-kernel-timing.ts, for kernels with any number of inputs.
 */
import { pipelineFor, webgpuBackend, type Dispatch } from '../../packages/models/src/gpu/webgpu-internals.js';
import { rampClocks } from './ramp-clocks.js';

/** TFLOP/s of each timed round for `flop` per dispatch, and their median. */
export async function timeDispatch(
  code: string,
  inputs: GPUBuffer[],
  outBytes: number,
  dispatch: Dispatch,
  flop: number,
  reps = 5,
): Promise<{ all: number[]; median: number }> {
  const device = webgpuBackend().device;
  const out = device.createBuffer({ size: Math.max(outBytes, 1024), usage: GPUBufferUsage.STORAGE });
  const pipe = pipelineFor(device, code);
  const bg = device.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [...inputs, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const qb = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  await rampClocks(device, pipe, bg, dispatch, reps);
  const all: number[] = [];
  for (let round = 0; round < 4; round++) {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) {
      const ts = {
        querySet: qs,
        ...(i === 0 ? { beginningOfPassWriteIndex: 0 } : {}),
        ...(i === reps - 1 ? { endOfPassWriteIndex: 1 } : {}),
      };
      const pass = enc.beginComputePass(i === 0 || i === reps - 1 ? { timestampWrites: ts } : {});
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(dispatch[0], dispatch[1], dispatch[2] ?? 1);
      pass.end();
    }
    enc.resolveQuerySet(qs, 0, 2, qb, 0);
    enc.copyBufferToBuffer(qb, 0, rb, 0, 16);
    device.queue.submit([enc.finish()]);
    await rb.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(rb.getMappedRange().slice(0));
    rb.unmap();
    if (round > 0) all.push((flop * reps) / (Number(t[1]! - t[0]!) / 1e9) / 1e12);
  }
  for (const b of [out, qb, rb]) b.destroy();
  qs.destroy();
  return { all, median: [...all].sort((x, y) => x - y)[1]! };
}
