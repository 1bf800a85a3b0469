/// <reference types="@webgpu/types" />
/** A storage buffer's bytes as float32, copied to a mappable buffer and read back (benchmarks' output checks). */
export async function readGpuBuffer(device: GPUDevice, src: GPUBuffer): Promise<Float32Array> {
  const rb = device.createBuffer({ size: src.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, rb, 0, src.size);
  device.queue.submit([enc.finish()]);
  await rb.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(rb.getMappedRange().slice(0));
  rb.unmap();
  rb.destroy();
  return out;
}
