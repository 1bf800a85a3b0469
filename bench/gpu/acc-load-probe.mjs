// Probe: subgroup-matrix loads and stores in workgroup memory on this GPU. The one-pass tensor-core
// attention forward was wrong on an H200 while the WGSL emulation agreed; the cause (session 13) is the
// case "left load of an f16 workgroup array beside a lone u32": the driver packs workgroup variables
// back to back, and a matrix load needs a 16-byte boundary. Each case prints the largest difference
// from what the WGSL proposal's semantics give.
// Device: cp bench/gpu/acc-load-probe.mjs .gpu/app/ && bash bench/gpu/run-on-gpu.sh acc-load-probe
import { create, globals } from 'webgpu';
Object.assign(globalThis, globals);
const { GPUBufferUsage, GPUMapMode } = globals;
const gpu = create(['enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia']);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const device = await adapter.requestDevice({
  requiredFeatures: ['shader-f16', 'subgroups', 'chromium-experimental-subgroup-matrix'],
});
device.addEventListener?.('uncapturederror', (e) => console.log('uncaptured', e.error?.message));

// X: a 16×16 matrix of small integers (exact in f16 and f32), row-major.
const X = Float32Array.from({ length: 256 }, (_, i) => ((i * 7) % 23) - 11);
const head = `enable f16;
enable chromium_experimental_subgroup_matrix;
diagnostic(off, chromium.subgroup_matrix_uniformity);
alias L = subgroup_matrix_left<f16, 16, 16>; alias R = subgroup_matrix_right<f16, 16, 16>;
alias Acc = subgroup_matrix_result<f32, 16, 16>;
@group(0) @binding(0) var<storage, read> X: array<f32, 256>;
@group(0) @binding(1) var<storage, read_write> O: array<f32, 256>;
var<workgroup> W: array<f32, 512>;
var<workgroup> H: array<f16, 512>;
EXTRA
@compute @workgroup_size(32) fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wg: vec3u) {
  for (var e = lid; e < 256u; e += 32u) { W[e] = X[e]; H[e] = f16(X[e]); H[256u + e] = f16(select(0.0, 1.0, e / 16u == e % 16u)); }
  workgroupBarrier();
`;
const cases = {
  // A result matrix loaded from workgroup memory, stored: X.
  'load<Acc> workgroup, row-major': [
    `let a = subgroupMatrixLoad<Acc>(&W, 0u, false, 16u); subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => X[r * 16 + c],
  ],
  'load<Acc> workgroup, column-major': [
    `let a = subgroupMatrixLoad<Acc>(&W, 0u, true, 16u); subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => X[c * 16 + r],
  ],
  // Stride 32 (two 16-wide tiles side by side, as the forward's first round trip stored them).
  'load<Acc> workgroup, row-major, stride 32': [
    `for (var e = lid; e < 512u; e += 32u) { W[e] = f32(e); }
  workgroupBarrier();
  let a = subgroupMatrixLoad<Acc>(&W, 16u, false, 32u); subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => r * 32 + 16 + c,
  ],
  'store<Acc> workgroup stride 32, load back': [
    `let a = subgroupMatrixLoad<Acc>(&X, 0u, false, 16u);
  workgroupBarrier();
  subgroupMatrixStore(&W, 16u, a, false, 32u);
  workgroupBarrier();
  let b = subgroupMatrixLoad<Acc>(&W, 16u, false, 32u); subgroupMatrixStore(&O, 0u, b, false, 16u);`,
    (r, c) => X[r * 16 + c],
  ],
  'store<Acc> workgroup stride 32, read by invocations': [
    `let a = subgroupMatrixLoad<Acc>(&X, 0u, false, 16u);
  workgroupBarrier();
  subgroupMatrixStore(&W, 16u, a, false, 32u);
  workgroupBarrier();
  for (var e = lid; e < 256u; e += 32u) { O[e] = W[16u + (e / 16u) * 32u + e % 16u]; }`,
    (r, c) => X[r * 16 + c],
  ],
  // The first one-pass forward's round trip: column-major at stride 32, offset 16 (the second row tile).
  'store<Acc> col-major stride 32, load back col-major': [
    `let a = subgroupMatrixLoad<Acc>(&X, 0u, false, 16u);
  workgroupBarrier();
  subgroupMatrixStore(&W, 16u, a, true, 32u);
  workgroupBarrier();
  let b = subgroupMatrixLoad<Acc>(&W, 16u, true, 32u); subgroupMatrixStore(&O, 0u, b, false, 16u);`,
    (r, c) => X[r * 16 + c],
  ],
  'store<Acc> col-major stride 32, read by invocations': [
    `let a = subgroupMatrixLoad<Acc>(&X, 0u, false, 16u);
  workgroupBarrier();
  subgroupMatrixStore(&W, 16u, a, true, 32u);
  workgroupBarrier();
  for (var e = lid; e < 256u; e += 32u) { O[e] = W[16u + (e % 16u) * 32u + e / 16u]; }`,
    (r, c) => X[r * 16 + c],
  ],
  // The cause of the one-pass forward's wrong output (session 13): a 4-byte workgroup variable beside the f16 strip.
  // H·I with H loaded as a left matrix; `flag` is written so that it is kept.
  'left load of an f16 workgroup array beside a lone u32': [
    `flag = 1u;
  let h = subgroupMatrixLoad<L>(&H, 0u, false, 16u); let i = subgroupMatrixLoad<R>(&H, 256u, false, 16u);
  subgroupMatrixStore(&O, 0u, subgroupMatrixMultiplyAccumulate(h, i, Acc()), false, 16u);`,
    (r, c) => X[r * 16 + c],
    'var<workgroup> flag: u32;',
  ],
  'the same beside array<u32, 4>': [
    `flag[0] = 1u;
  let h = subgroupMatrixLoad<L>(&H, 0u, false, 16u); let i = subgroupMatrixLoad<R>(&H, 256u, false, 16u);
  subgroupMatrixStore(&O, 0u, subgroupMatrixMultiplyAccumulate(h, i, Acc()), false, 16u);`,
    (r, c) => X[r * 16 + c],
    'var<workgroup> flag: array<u32, 4>;',
  ],
  'load<Acc> storage, row-major': [
    `let a = subgroupMatrixLoad<Acc>(&X, 0u, false, 16u); subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => X[r * 16 + c],
  ],
  // A loaded result as the accumulator of a product: I·X + X = 2X.
  'load<Acc> then multiply-accumulate': [
    `let i = subgroupMatrixLoad<L>(&H, 256u, false, 16u); let x = subgroupMatrixLoad<R>(&H, 0u, false, 16u);
  var a = subgroupMatrixLoad<Acc>(&W, 0u, false, 16u); a = subgroupMatrixMultiplyAccumulate(i, x, a);
  subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => 2 * X[r * 16 + c],
  ],
  // The forward's round trip: a product stored to workgroup memory, each row scaled by one invocation, loaded back.
  'product → workgroup → row scaled → load<Acc>': [
    `let i = subgroupMatrixLoad<L>(&H, 256u, false, 16u); let x = subgroupMatrixLoad<R>(&H, 0u, false, 16u);
  var a = subgroupMatrixMultiplyAccumulate(i, x, Acc());
  workgroupBarrier();
  subgroupMatrixStore(&W, 0u, a, false, 16u);
  workgroupBarrier();
  if (lid < 16u) { for (var c = 0u; c < 16u; c++) { W[lid * 16u + c] *= f32(lid + 1u); } }
  workgroupBarrier();
  a = subgroupMatrixLoad<Acc>(&W, 0u, false, 16u);
  a = subgroupMatrixMultiplyAccumulate(i, x, a);
  subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => X[r * 16 + c] * (r + 2),
  ],
  // The same inside a loop and a uniform branch, as the forward has it.
  'round trip in a loop and a branch': [
    `let i = subgroupMatrixLoad<L>(&H, 256u, false, 16u); let x = subgroupMatrixLoad<R>(&H, 0u, false, 16u);
  var a = Acc();
  for (var k = 0u; k < 3u + wg.z; k++) {
    if (k > 0u) {
      workgroupBarrier();
      subgroupMatrixStore(&W, 0u, a, false, 16u);
      workgroupBarrier();
      if (lid < 16u) { for (var c = 0u; c < 16u; c++) { W[lid * 16u + c] *= 2.0; } }
      workgroupBarrier();
      a = subgroupMatrixLoad<Acc>(&W, 0u, false, 16u);
    }
    a = subgroupMatrixMultiplyAccumulate(i, x, a);
  }
  subgroupMatrixStore(&O, 0u, a, false, 16u);`,
    (r, c) => X[r * 16 + c] * 7,
  ],
};

const xBuf = device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
device.queue.writeBuffer(xBuf, 0, X);
for (const [name, [body, expected, extra = '']] of Object.entries(cases)) {
  device.pushErrorScope('validation');
  const o = device.createBuffer({ size: 1024, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: 1024, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const module = device.createShaderModule({ code: `${head.replace('EXTRA', extra)}  ${body}\n}` });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: xBuf } },
      { binding: 1, resource: { buffer: o } },
    ],
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(1);
  pass.end();
  enc.copyBufferToBuffer(o, 0, read, 0, 1024);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  if (err) {
    console.log(`${name}: INVALID ${err.message.split('\n')[0]}`);
    continue;
  }
  await read.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(read.getMappedRange().slice(0));
  read.unmap();
  let worst = 0;
  for (let r = 0; r < 16; r++)
    for (let c = 0; c < 16; c++) worst = Math.max(worst, Math.abs(got[r * 16 + c] - expected(r, c)));
  console.log(
    `${name}: ${worst === 0 ? 'OK' : `WRONG, max difference ${worst}; row 0: ${Array.from(got.slice(0, 16)).join(' ')}`}`,
  );
}
