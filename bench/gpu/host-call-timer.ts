/// <reference types="@webgpu/types" />
/**
 * Host time spent inside the WebGPU calls that can cost a step the most when tfjs's buffer pool churns (benchmarks):
 * `device.createBuffer`, `GPUBuffer.destroy`, `queue.submit`, `queue.writeBuffer`, `device.createBindGroup` and
 * `buffer.mapAsync` (time to resolve: a read-back waits for the GPU). Each call is wrapped on the device, the queue or
 * the buffers' prototype, counted and timed with performance.now(); `take()` returns the totals since the last call
 * and starts new ones. Created bytes are summed too.
 */
export interface HostCallTotals {
  readonly [call: string]: { readonly n: number; readonly ms: number; readonly bytes?: number };
}

export function timeHostCalls(device: GPUDevice): {
  take: () => HostCallTotals;
  format: (t: HostCallTotals) => string;
} {
  const totals = new Map<string, { n: number; ms: number; bytes: number }>();
  const add = (name: string, ms: number, bytes = 0) => {
    const e = totals.get(name) ?? { n: 0, ms: 0, bytes: 0 };
    e.n++;
    e.ms += ms;
    e.bytes += bytes;
    totals.set(name, e);
  };
  const wrap = <T extends object>(
    target: T,
    key: keyof T & string,
    label: string,
    bytesOf?: (args: unknown[]) => number,
  ) => {
    const original = target[key] as unknown as (...a: unknown[]) => unknown;
    (target as Record<string, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
      const t0 = performance.now();
      const out = original.apply(this, args);
      add(label, performance.now() - t0, bytesOf?.(args));
      return out;
    };
  };
  const probe = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
  const bufferProto = Object.getPrototypeOf(probe) as GPUBuffer;
  probe.destroy();
  wrap(device, 'createBuffer', 'createBuffer', (a) => (a[0] as GPUBufferDescriptor).size);
  wrap(device, 'createBindGroup', 'createBindGroup');
  wrap(device.queue, 'submit', 'queue.submit');
  wrap(device.queue, 'writeBuffer', 'queue.writeBuffer');
  wrap(bufferProto, 'destroy', 'buffer.destroy');
  const mapAsync = bufferProto.mapAsync as (...a: unknown[]) => Promise<undefined>;
  (bufferProto as unknown as Record<string, unknown>).mapAsync = function (this: GPUBuffer, ...args: unknown[]) {
    const t0 = performance.now();
    return mapAsync.apply(this, args).finally(() => add('mapAsync (to resolve)', performance.now() - t0));
  };
  return {
    take: () => {
      const out = Object.fromEntries([...totals].map(([k, v]) => [k, { ...v }]));
      totals.clear();
      return out;
    },
    format: (t) =>
      Object.entries(t)
        .sort((a, b) => b[1].ms - a[1].ms)
        .map(
          ([k, v]) => `${k} ×${v.n} ${v.ms.toFixed(0)} ms${v.bytes ? ` (${(v.bytes / 2 ** 30).toFixed(2)} GiB)` : ''}`,
        )
        .join(', '),
  };
}
