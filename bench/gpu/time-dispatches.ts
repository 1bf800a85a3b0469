/// <reference types="@webgpu/types" />
/**
 * GPU time of a list of dispatches run back to back in one compute pass, as a replayed decoding step runs them
 * (recorded-step.ts): timestamps at the pass's start and end only, so no per-dispatch pass or timestamp cost
 * (Dawn quantizes timestamps to 65.5 µs steps on the H200, too coarse for one small dispatch). Round 0 warms up;
 * the median of the rest is reported.
 */
export interface Dispatch {
  readonly pipeline: GPUComputePipeline;
  readonly group: GPUBindGroup;
  readonly workgroups: readonly [number, number?, number?];
}

export async function timeDispatches(device: GPUDevice, dispatches: readonly Dispatch[], rounds = 6): Promise<number> {
  const qs = device.createQuerySet({ type: 'timestamp', count: 2 });
  const qb = device.createBuffer({ size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const rb = device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const ms: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass({
        timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
      });
      let current: GPUComputePipeline | undefined;
      for (const d of dispatches) {
        if (d.pipeline !== current) pass.setPipeline((current = d.pipeline));
        pass.setBindGroup(0, d.group);
        pass.dispatchWorkgroups(...(d.workgroups as [number, number, number]));
      }
      pass.end();
      enc.resolveQuerySet(qs, 0, 2, qb, 0);
      enc.copyBufferToBuffer(qb, 0, rb, 0, 16);
      device.queue.submit([enc.finish()]);
      await rb.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(rb.getMappedRange().slice(0));
      rb.unmap();
      if (round > 0) ms.push(Number(t[1]! - t[0]!) / 1e6);
    }
  } finally {
    for (const x of [qs, qb, rb]) x.destroy();
  }
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}
