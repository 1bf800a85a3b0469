/**
 * Samples the GPU's used memory (nvidia-smi, the whole device: Dawn's allocations included) every
 * 250 ms while a benchmark runs, so one process reports a device peak per run; with-peak-memory.sh
 * does the same for a whole command. Where nvidia-smi is missing, the peak is undefined.
 */
import { spawn } from 'node:child_process';

export interface MemorySampler {
  /** Stops sampling; the largest MiB seen (undefined without nvidia-smi). */
  stop(): Promise<number | undefined>;
}

export function sampleGpuMemory(): MemorySampler {
  let peak: number | undefined;
  const child = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-lms', '250'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  child.on('error', () => undefined); // no nvidia-smi: no peak
  child.stdout.on('data', (buf: Buffer) => {
    for (const line of buf.toString().split('\n')) {
      const mib = Number(line.trim().split(/\s+/)[0]);
      if (line.trim() && Number.isFinite(mib)) peak = Math.max(peak ?? 0, mib);
    }
  });
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 300)); // one more sample after the run
      child.kill();
      return peak;
    },
  };
}
