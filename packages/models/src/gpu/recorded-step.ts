/// <reference types="@webgpu/types" />
/**
 * A step of fixed shapes recorded once and replayed: CUDA graphs' idea on WebGPU. A decode step of
 * Qwen3-0.6B runs ~80 ops a layer through tfjs and our own wrappers (~41 of them GPU dispatches), ~2,200 in all at
 * ~35 µs of host time each (program lookup,
 * uniforms, bind groups, JavaScript around them): ~80 ms a step on the H200, which then hid the GPU's own time. A
 * replay encodes the same dispatches again from what the capture kept (pipelines, bind groups with their
 * uniforms copied, workgroup counts) and nothing else.
 *
 * What makes that correct:
 * - The step is a function of its `inputs` alone (tensors the step takes over; each replay first writes new
 *   values into them) and of buffers that keep their identity: weights, a KV cache written in place, and
 *   anything else the caller keeps alive and rewrites itself between replays (KvCache.prepareStep's row
 *   parameters). buffer-pins.ts keeps every buffer the commands use out of tfjs's pool while the step lives.
 * - Constants the step uploads (tf.ones, scalars) are uploaded once, during the capture, into buffers that
 *   nothing else writes, so they still hold them at every replay.
 * - `differsFrom` compares two captures of consecutive steps: the same kernels with the same workgroups, the
 *   same uniforms, the same buffers in the same roles and the same uploaded constants. A step that bakes
 *   anything of the step into a uniform or a constant (a host-side position, say) shows up there, and the
 *   caller must not replay it (generation/replayed-decode.ts falls back to recording every step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../errors.js';
import { pinBuffers, withArena } from './buffer-pins.js';
import { readTimestampPairs } from './timestamp-pairs.js';
import {
  gpuBufferOf,
  pipelineLabel,
  submitPending,
  webgpuBackend,
  type WebgpuBackendInternals,
} from './webgpu-internals.js';

// GPUBufferUsage bits (the WebGPU constants; not every runtime defines the global before a device exists).
const MAP_READ = 0x1;
const MAP_WRITE = 0x2;
const COPY_DST = 0x8;
const UNIFORM = 0x40;

/** New contents of an input before a replay: a tensor of its size (copied on the device) or host values. */
export type StepFeed = tf.Tensor | Int32Array | Float32Array;

type Op =
  | {
      kind: 'dispatch';
      pipeline: GPUComputePipeline;
      group: GPUBindGroup;
      x: number;
      y: number;
      z: number;
      /** What ran, for profiles: tfjs's program class, or our kernel's bindings (pipelineLabel). */
      label: string;
    }
  | { kind: 'copy'; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number };

const ids = new WeakMap<object, number>();
let nextId = 0;
const idOf = (o: object): number => {
  let i = ids.get(o);
  if (i === undefined) ids.set(o, (i = nextId++));
  return i;
};

/** FNV-1a over bytes: upload contents and uniforms in a signature. */
function hashBytes(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return `${bytes.length}:${(h >>> 0).toString(16)}`;
}

const bytesOf = (data: ArrayBuffer | ArrayBufferView, offset = 0, size?: number): Uint8Array => {
  if (ArrayBuffer.isView(data)) {
    const el = (data as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const start = data.byteOffset + offset * el;
    const len = size === undefined ? data.byteLength - offset * el : size * el;
    return new Uint8Array(data.buffer.slice(start, start + len));
  }
  const buf = data as ArrayBuffer;
  return new Uint8Array(buf.slice(offset, size === undefined ? undefined : offset + size));
};

/** Everything one capture sees, in order. */
class Recorder {
  readonly ops: Op[] = [];
  /** Signature lines, one per dispatch, copy or upload; buffers named by their first use. */
  readonly signature: string[] = [];
  /** Storage buffers the ops use (not the uniform ones, which are replaced by owned copies). */
  readonly used = new Set<GPUBuffer>();
  /** Used buffers whose tensors were released during the capture: held, reusable within the capture. */
  readonly held = new Set<GPUBuffer>();
  private readonly reusable = new Map<string, GPUBuffer[]>();
  /** Buffers written by uploads: constants, never handed to another tensor of the step. */
  private readonly constants = new Set<GPUBuffer>();
  /**
   * Buffers first handed out during the capture. Only these are reused within it: a buffer from before holds
   * data the step did not compute (a replay would find it overwritten by the step's own later use).
   */
  private readonly fresh = new Set<GPUBuffer>();
  private readonly names = new Map<GPUBuffer, string>();
  private readonly lastWrite = new Map<GPUBuffer, Uint8Array>();
  readonly uniforms = new Map<string, GPUBuffer>();
  private readonly replayGroups = new Map<GPUBindGroup, { group: GPUBindGroup; sig: string }>();
  private pipeline: GPUComputePipeline | undefined;
  private group: GPUBindGroup | undefined;
  /** The tfjs program being recorded, if one is. */
  program: string | undefined;
  failure: string | undefined;

  /** The device's own methods: the capture hooks shadow them on the device while it records. */
  private readonly createBindGroup: GPUDevice['createBindGroup'];
  private readonly writeBuffer: GPUQueue['writeBuffer'];

  constructor(
    private readonly device: GPUDevice,
    inputs: readonly GPUBuffer[],
  ) {
    this.createBindGroup = device.createBindGroup.bind(device);
    this.writeBuffer = device.queue.writeBuffer.bind(device.queue);
    inputs.forEach((b, i) => this.names.set(b, `in${i}`));
  }

  private name(b: GPUBuffer): string {
    let n = this.names.get(b);
    if (!n) this.names.set(b, (n = `b${this.names.size}`));
    return n;
  }

  // Arena: a held buffer serves the next request of its size and usage within the capture.
  acquire(size: number, usage: GPUBufferUsageFlags): GPUBuffer | undefined {
    const b = this.reusable.get(`${size}_${usage}`)?.pop();
    if (b) this.held.delete(b);
    return b;
  }
  acquired(b: GPUBuffer): void {
    this.fresh.add(b);
  }
  release(b: GPUBuffer): boolean {
    if (!this.used.has(b)) return false;
    this.held.add(b);
    if (this.fresh.has(b) && !this.constants.has(b)) {
      const key = `${b.size}_${b.usage}`;
      const list = this.reusable.get(key);
      if (list) list.push(b);
      else this.reusable.set(key, [b]);
    }
    return true;
  }

  write(buffer: GPUBuffer, bytes: Uint8Array): void {
    this.lastWrite.set(buffer, bytes);
  }

  upload(buffer: GPUBuffer, values: ArrayLike<number>, dtype: string): void {
    this.constants.add(buffer);
    this.used.add(buffer);
    const arr = dtype === 'int32' || dtype === 'bool' ? Int32Array.from(values) : Float32Array.from(values);
    this.signature.push(`U ${this.name(buffer)} ${hashBytes(new Uint8Array(arr.buffer))}`);
  }

  bindGroup(original: GPUBindGroup, desc: GPUBindGroupDescriptor): void {
    const parts: string[] = [];
    const entries = [...(desc.entries as Iterable<GPUBindGroupEntry>)].map((e) => {
      const r = e.resource as GPUBufferBinding;
      const buffer = r?.buffer;
      if (!buffer) {
        this.failure ??= 'a bind group entry that is not a buffer';
        return e;
      }
      if (buffer.usage & UNIFORM) {
        const bytes = this.lastWrite.get(buffer);
        if (!bytes) {
          this.failure ??= 'a uniform buffer bound before any write to it';
          return e;
        }
        const key = bytes.join(',');
        let own = this.uniforms.get(key);
        if (!own) {
          own = this.device.createBuffer({ size: buffer.size, usage: UNIFORM | COPY_DST });
          this.writeBuffer(own, 0, bytes);
          this.uniforms.set(key, own);
        }
        parts.push(`${e.binding}:u${hashBytes(bytes)}`);
        return { ...e, resource: { ...r, buffer: own } };
      }
      this.used.add(buffer);
      parts.push(`${e.binding}:${this.name(buffer)}@${r.offset ?? 0}+${r.size ?? buffer.size}`);
      return e;
    });
    const group = this.createBindGroup({ ...desc, entries });
    this.replayGroups.set(original, { group, sig: parts.join(' ') });
  }

  setPipeline(p: GPUComputePipeline): void {
    this.pipeline = p;
  }
  setBindGroup(index: number, g: GPUBindGroup | null, offsets?: unknown): void {
    if (index !== 0 || !g || (offsets && (offsets as ArrayLike<number>).length)) {
      this.failure ??= 'a bind group other than group 0 without dynamic offsets';
    }
    this.group = g ?? undefined;
  }
  dispatch(x: number, y = 1, z = 1): void {
    const g = this.group && this.replayGroups.get(this.group);
    if (!this.pipeline || !g) {
      this.failure ??= 'a dispatch whose bind group was not created during the capture';
      return;
    }
    const label = this.program ? `tfjs ${this.program}` : (pipelineLabel(this.pipeline) ?? 'unknown');
    this.ops.push({ kind: 'dispatch', pipeline: this.pipeline, group: g.group, x, y, z, label });
    this.signature.push(`D p${idOf(this.pipeline)} ${x},${y},${z} ${g.sig}`);
  }
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    // tfjs's upload through a staging buffer: the upload itself is recorded (a constant), not its copy.
    if (src.usage & MAP_WRITE) return;
    if (dst.usage & MAP_READ) {
      this.failure ??= 'a read back to the host';
      return;
    }
    this.used.add(src);
    this.used.add(dst);
    this.ops.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size });
    this.signature.push(`C ${this.name(src)}@${srcOffset} ${this.name(dst)}@${dstOffset}+${size}`);
  }
}

/** Installs the recording hooks on the backend; returns their removal. */
function hook(b: WebgpuBackendInternals, rec: Recorder): () => void {
  const device = b.device;
  const queue = b.queue;
  const createBindGroup = device.createBindGroup;
  const createCommandEncoder = device.createCommandEncoder;
  const writeBuffer = queue.writeBuffer;
  // Own properties shadow the native methods for the capture; deleting them restores the prototype's.
  const own = (o: object) => o as Record<string, unknown>;
  const be = b as unknown as { uploadToGPU(id: object): void; tensorMap: { get(id: object): UploadData } };
  const uploadToGPU = be.uploadToGPU;
  own(device).createBindGroup = (desc: GPUBindGroupDescriptor) => {
    const g = createBindGroup.call(device, desc);
    rec.bindGroup(g, desc);
    return g;
  };
  const passOf = (pass: GPUComputePassEncoder): GPUComputePassEncoder =>
    new Proxy(pass, {
      get(t, k) {
        if (k === 'setPipeline') return (p: GPUComputePipeline) => (rec.setPipeline(p), t.setPipeline(p));
        if (k === 'setBindGroup')
          return (i: number, g: GPUBindGroup | null, ...rest: unknown[]) => {
            rec.setBindGroup(i, g, rest[0]);
            return (t.setBindGroup as (...a: unknown[]) => void)(i, g, ...rest);
          };
        if (k === 'dispatchWorkgroups')
          return (x: number, y?: number, z?: number) => (rec.dispatch(x, y, z), t.dispatchWorkgroups(x, y, z));
        if (k === 'dispatchWorkgroupsIndirect') rec.failure ??= 'an indirect dispatch';
        const v = (t as unknown as Record<string | symbol, unknown>)[k];
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  own(device).createCommandEncoder = (desc?: GPUCommandEncoderDescriptor) => {
    const enc = createCommandEncoder.call(device, desc);
    return new Proxy(enc, {
      get(t, k) {
        if (k === 'beginComputePass') return (d?: GPUComputePassDescriptor) => passOf(t.beginComputePass(d));
        if (k === 'copyBufferToBuffer')
          return (s: GPUBuffer, so: number, d: GPUBuffer, dOff: number, size: number) => {
            rec.copy(s, so, d, dOff, size);
            return t.copyBufferToBuffer(s, so, d, dOff, size);
          };
        if (k === 'beginRenderPass' || k === 'clearBuffer' || k === 'copyBufferToTexture')
          rec.failure ??= `a ${String(k)} command`;
        const v = (t as unknown as Record<string | symbol, unknown>)[k];
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  };
  own(queue).writeBuffer = (
    buffer: GPUBuffer,
    offset: number,
    data: ArrayBuffer | ArrayBufferView,
    dataOffset?: number,
    size?: number,
  ) => {
    if (buffer.usage & UNIFORM) {
      if (offset !== 0) rec.failure ??= 'a uniform written at an offset';
      rec.write(buffer, bytesOf(data, dataOffset, size));
    }
    // Other writes are the caller's between replays (KvCache's row parameters): not part of the step.
    return (writeBuffer as (...a: unknown[]) => void).call(queue, buffer, offset, data, dataOffset, size);
  };
  const run = (b as unknown as { runWebGPUProgram: (program: object, ...rest: unknown[]) => unknown }).runWebGPUProgram;
  own(b).runWebGPUProgram = (program: object, ...rest: unknown[]) => {
    rec.program = program.constructor.name;
    try {
      return run.call(b, program, ...rest);
    } finally {
      rec.program = undefined;
    }
  };
  (be as unknown as Record<string, unknown>).uploadToGPU = (id: object) => {
    const data = be.tensorMap.get(id);
    const values = data.resource == null ? data.values : null;
    uploadToGPU.call(be, id);
    if (values) rec.upload(data.resource as GPUBuffer, values as ArrayLike<number>, data.dtype);
  };
  return () => {
    delete own(device).createBindGroup;
    delete own(device).createCommandEncoder;
    delete own(queue).writeBuffer;
    delete (be as unknown as Record<string, unknown>).uploadToGPU;
    delete own(b).runWebGPUProgram;
  };
}

interface UploadData {
  resource: unknown;
  values: unknown;
  dtype: string;
}

export class RecordedStep<T extends tf.Tensor = tf.Tensor> {
  private disposed = false;

  private constructor(
    /** What the step returned at its capture; every replay writes it again (the step owns it). */
    readonly output: T,
    private readonly inputs: readonly tf.Tensor[],
    private readonly ops: readonly Op[],
    /** One line per dispatch, copy and upload, for `differsFrom`. */
    readonly signature: readonly string[],
    private readonly uniforms: readonly GPUBuffer[],
    private readonly unpin: () => void,
    /**
     * Why this step cannot be replayed (it issued something a replay cannot repeat), or undefined. The step did
     * run: its output is valid and its side effects (a KV cache written) happened, so the caller must use the
     * output rather than run the step again.
     */
    readonly notReplayable: string | undefined,
  ) {}

  /**
   * Runs `fn(inputs)` once, for real, while recording every command it issues. The step takes over `inputs`
   * (GPU tensors it rewrites before each replay) and the returned tensor, and disposes them with itself. When
   * `fn` issued something a replay cannot repeat, `notReplayable` says what (and `replay` throws E_GPU_CAPTURE).
   */
  static capture<T extends tf.Tensor>(inputs: readonly tf.Tensor[], fn: (inputs: readonly tf.Tensor[]) => T) {
    const b = webgpuBackend();
    const inputBuffers = inputs.map((t) => gpuBufferOf(b, t));
    submitPending(b);
    const rec = new Recorder(b.device, inputBuffers);
    for (const buf of inputBuffers) rec.used.add(buf);
    const unhook = hook(b, rec);
    const noArena = withArena(b.bufferManager, rec);
    let out: T;
    try {
      out = tf.keep(fn(inputs));
      submitPending(b);
    } catch (e) {
      // Give back what the capture held and made, and let the error through.
      for (const u of rec.uniforms.values()) u.destroy();
      pinBuffers(b.bufferManager, rec.held, rec.held)();
      throw e;
    } finally {
      noArena();
      unhook();
    }
    const unpin = pinBuffers(b.bufferManager, rec.used, rec.held);
    const why = rec.failure && `a step cannot be replayed: it issued ${rec.failure}`;
    return new RecordedStep(out, inputs, rec.ops, rec.signature, [...rec.uniforms.values()], unpin, why);
  }

  /** Dispatches and copies a replay issues. */
  get commandCount(): number {
    return this.ops.length;
  }

  /**
   * Why this capture and `other` (of the next step) are not the same step, or undefined when they are:
   * then replaying either computes what a fresh recording would.
   */
  differsFrom(other: RecordedStep): string | undefined {
    const why = this.notReplayable ?? other.notReplayable;
    if (why) return why;
    const a = this.signature;
    const b = other.signature;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i] !== b[i]) return `command ${i} of ${a.length}/${b.length}: ${a[i] ?? '(none)'} ≠ ${b[i] ?? '(none)'}`;
    }
    return undefined;
  }

  /** Writes `feeds` into the inputs, then issues the recorded commands once; returns `output`. */
  replay(feeds: readonly StepFeed[]): T {
    if (this.disposed) throw new Error('RecordedStep.replay after dispose');
    if (this.notReplayable)
      throw new BackendError(
        'E_GPU_CAPTURE',
        this.notReplayable,
        { commands: this.ops.length },
        'run the step again instead',
      );
    const b = webgpuBackend();
    const sources = feedSources(b, this.inputs, feeds);
    const enc = b.device.createCommandEncoder();
    writeInputs(b, enc, this.inputs, sources);
    let pass: GPUComputePassEncoder | undefined;
    let pipeline: GPUComputePipeline | undefined;
    for (const op of this.ops) {
      if (op.kind === 'copy') {
        pass?.end();
        pass = pipeline = undefined;
        enc.copyBufferToBuffer(op.src, op.srcOffset, op.dst, op.dstOffset, op.size);
        continue;
      }
      // One pass for a run of dispatches: WebGPU orders each dispatch's writes before the next one's reads.
      pass ??= enc.beginComputePass();
      if (op.pipeline !== pipeline) pass.setPipeline((pipeline = op.pipeline));
      pass.setBindGroup(0, op.group);
      pass.dispatchWorkgroups(op.x, op.y, op.z);
    }
    pass?.end();
    b.queue.submit([enc.finish()]);
    // A read of the output or an input cached its values on the host; tfjs would return (or compute on) them.
    for (const t of [this.output, ...this.inputs]) b.tensorMap.get(t.dataId).values = null;
    return this.output;
  }

  /**
   * The GPU time of each recorded dispatch (benchmarks): one replay with every dispatch in a pass of its own,
   * timed by timestamp queries, on the inputs as they are (no feeds; a decoding step recomputes its own
   * results). Separate passes add their own cost, so the times rank kernels; their sum overstates the step.
   * Needs the device's `timestamp-query` feature; undefined without it.
   */
  async profile(): Promise<{ label: string; ms: number }[] | undefined> {
    const b = webgpuBackend();
    if (!b.device.features.has('timestamp-query')) return undefined;
    submitPending(b);
    const dispatches = this.ops.filter((o) => o.kind === 'dispatch');
    const times: number[] = [];
    // A query set holds 4,096 queries at most (WebGPU's limit): 2,048 dispatches a round.
    for (let start = 0; start < dispatches.length; start += 2048) {
      const part = dispatches.slice(start, start + 2048);
      const set = b.device.createQuerySet({ type: 'timestamp', count: 2 * part.length });
      const enc = b.device.createCommandEncoder();
      part.forEach((op, i) => {
        const timestampWrites = { querySet: set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
        const pass = enc.beginComputePass({ timestampWrites });
        pass.setPipeline(op.pipeline);
        pass.setBindGroup(0, op.group);
        pass.dispatchWorkgroups(op.x, op.y, op.z);
        pass.end();
      });
      const ms = readTimestampPairs(b.device, enc, set, part.length);
      b.queue.submit([enc.finish()]);
      times.push(...(await ms()));
      set.destroy();
    }
    return dispatches.map((op, i) => ({ label: op.label, ms: times[i]! }));
  }

  /**
   * The GPU time of the recorded dispatches that `keep` accepts (default all), run back to back in one pass as a
   * replay runs them, timed by one pair of timestamps: the median of `rounds` after a warm-up (benchmarks).
   * Leaving a kernel out and timing again is an honest measure of its share, which separate passes
   * (profile()) are not: on the H200 a pass of its own costs more than a small dispatch. The results of a run
   * that leaves kernels out are garbage; the step is replayed normally afterwards. Undefined without
   * `timestamp-query`.
   */
  async timeInOnePass(keep: (label: string) => boolean = () => true, rounds = 5): Promise<number | undefined> {
    const b = webgpuBackend();
    if (!b.device.features.has('timestamp-query')) return undefined;
    submitPending(b);
    const kept = this.ops.filter((o) => o.kind === 'dispatch' && keep(o.label));
    const set = b.device.createQuerySet({ type: 'timestamp', count: 2 });
    const ms: number[] = [];
    try {
      for (let round = 0; round <= rounds; round++) {
        const enc = b.device.createCommandEncoder();
        const pass = enc.beginComputePass({
          timestampWrites: { querySet: set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
        });
        for (const op of kept) {
          if (op.kind !== 'dispatch') continue;
          pass.setPipeline(op.pipeline);
          pass.setBindGroup(0, op.group);
          pass.dispatchWorkgroups(op.x, op.y, op.z);
        }
        pass.end();
        const pair = readTimestampPairs(b.device, enc, set, 1);
        b.queue.submit([enc.finish()]);
        const [t] = await pair();
        if (round > 0) ms.push(t!);
      }
    } finally {
      set.destroy();
    }
    return ms.sort((x, y) => x - y)[Math.floor(ms.length / 2)];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const u of this.uniforms) u.destroy();
    this.unpin();
    tf.dispose([this.output, ...this.inputs]);
  }
}

/** Writes first values into a step's inputs before its capture (a replay writes its own). */
export function feedInputs(inputs: readonly tf.Tensor[], feeds: readonly StepFeed[]): void {
  const b = webgpuBackend();
  const sources = feedSources(b, inputs, feeds);
  const enc = b.device.createCommandEncoder();
  writeInputs(b, enc, inputs, sources);
  b.queue.submit([enc.finish()]);
}

type FeedSource = GPUBuffer | Int32Array | Float32Array;

/**
 * The feeds checked against the inputs, tensors as their GPU buffers. Then what tfjs has recorded is submitted:
 * a tensor's upload may be among it, and must land before the copy from it.
 */
function feedSources(b: WebgpuBackendInternals, inputs: readonly tf.Tensor[], feeds: readonly StepFeed[]) {
  if (feeds.length !== inputs.length)
    throw new RangeError(`recorded step: ${feeds.length} feeds for ${inputs.length} inputs`);
  const sources = inputs.map((t, i): FeedSource => {
    const f = feeds[i]!;
    if (f instanceof tf.Tensor ? f.size !== t.size || f.dtype !== t.dtype : f.length !== t.size)
      throw new RangeError(`recorded step: input ${i} is [${t.shape}] ${t.dtype}; the feed does not fit`);
    return f instanceof tf.Tensor ? gpuBufferOf(b, f) : f;
  });
  submitPending(b);
  return sources;
}

/** New values into `inputs`: buffers copied on the device (recorded in `enc`), host values written to the queue. */
function writeInputs(
  b: WebgpuBackendInternals,
  enc: GPUCommandEncoder,
  inputs: readonly tf.Tensor[],
  sources: readonly FeedSource[],
): void {
  inputs.forEach((t, i) => {
    const f = sources[i]!;
    const dst = gpuBufferOf(b, t);
    // Host writes land before this submit's commands (the queue's order), after the earlier submits'.
    if (ArrayBuffer.isView(f)) b.queue.writeBuffer(dst, 0, f);
    else enc.copyBufferToBuffer(f, 0, dst, 0, t.size * 4);
  });
}
