/**
 * Test helper: rewrites a subgroup-matrix kernel into core WGSL that computes the same thing on an
 * adapter without subgroup matrices (lavapipe), so the staging and addressing of the tensor-core
 * variants are checked in CI and not only on the GPU machine. Each invocation holds whole 16×16
 * matrices in private arrays and does every multiply itself (all 32 write the same values on a
 * store: benign); only small register tiles are practical. What it cannot check is Dawn's own
 * implementation of the builtins, whose semantics it mirrors from the WGSL proposal:
 * element (r, c) of a matrix loaded at `off` with `stride` is arr[off + r·stride + c] row-major,
 * arr[off + c·stride + r] column-major; left is M×K, right K×N, the result M×N.
 * The helpers loop to `smN`, 16 but set from the workgroup id at run time: with a constant bound
 * lavapipe's LLVM unrolls every multiply (4096 FMAs) at every call site and takes minutes to
 * compile a fused attention kernel.
 */
const N = 16;

const M = `array<f32, ${N * N}>`;
const at = 'select(off + r * stride + c, off + c * stride + r, colMajor)';
const loadFn = (src: string) => `fn smLoad_${src}(colMajor: bool, off: u32, stride: u32) -> ${M} {
  var m: ${M};
  for (var r = 0u; r < smN; r++) {
    for (var c = 0u; c < smN; c++) { m[r * ${N}u + c] = f32(${src}[${at}]); }
  }
  return m;
}`;
// A load through a tile pointer (`&src[tile]`, an array of fixed-size arrays) reads src[tile][…].
const tileLoadFn = (src: string) => `fn smLoadTile_${src}(colMajor: bool, tile: u32, off: u32, stride: u32) -> ${M} {
  var m: ${M};
  for (var r = 0u; r < smN; r++) {
    for (var c = 0u; c < smN; c++) { m[r * ${N}u + c] = f32(${src}[tile][${at}]); }
  }
  return m;
}`;
const storeFn = (dst: string) => `fn smStore_${dst}(colMajor: bool, off: u32, m: ${M}, stride: u32) {
  for (var r = 0u; r < smN; r++) {
    for (var c = 0u; c < smN; c++) { ${dst}[${at}] = m[r * ${N}u + c]; }
  }
}`;
// A store through a tile pointer (`&dst[tile]`) into an array of fixed-size arrays of `type` (f16 when staging).
const tileStoreFn = (
  dst: string,
  type: string,
) => `fn smStoreTile_${dst}(colMajor: bool, tile: u32, off: u32, m: ${M}, stride: u32) {
  for (var r = 0u; r < smN; r++) {
    for (var c = 0u; c < smN; c++) { ${dst}[tile][${at}] = ${type}(m[r * ${N}u + c]); }
  }
}`;
const MMA = `fn smMma(a: ${M}, b: ${M}, acc: ${M}) -> ${M} {
  var c = acc;
  for (var r = 0u; r < smN; r++) {
    for (var j = 0u; j < smN; j++) {
      var s = c[r * ${N}u + j];
      for (var q = 0u; q < smN; q++) { s = fma(a[r * ${N}u + q], b[q * ${N}u + j], s); }
      c[r * ${N}u + j] = s;
    }
  }
  return c;
}`;

export function emulateSubgroupMatrix(code: string): string {
  // The calls as smLoad/smStore write them: the majorness in the template, passed on as the helpers' first argument.
  const loads = new Set([...code.matchAll(/subgroupMatrixLoad<\w+, \w+_major>\(&(\w+),/g)].map((x) => x[1]!));
  const tileLoads = new Set([...code.matchAll(/subgroupMatrixLoad<\w+, \w+_major>\(&(\w+)\[/g)].map((x) => x[1]!));
  const stores = new Set([...code.matchAll(/subgroupMatrixStore<\w+_major>\(&(\w+),/g)].map((x) => x[1]!));
  const tileStores = new Set([...code.matchAll(/subgroupMatrixStore<\w+_major>\(&(\w+)\[/g)].map((x) => x[1]!));
  const elementOf = (name: string) =>
    new RegExp(`var<workgroup> ${name}: array<array<(\\w+),`).exec(code)?.[1] ?? 'f32';
  const colMajor = (layout: string) => String(layout === 'col');
  const body = code
    .replace('enable chromium_experimental_subgroup_matrix;\n', '')
    .replace('diagnostic(off, chromium.subgroup_matrix_uniformity);\n', '')
    .replace(/alias (L|R|Acc) = subgroup_matrix_\w+<[^>]+>;/g, `alias $1 = array<f32, ${N * N}>;`)
    .replace(
      /subgroupMatrixLoad<\w+, (\w+)_major>\(&(\w+),/g,
      (_, l: string, p: string) => `smLoad_${p}(${colMajor(l)},`,
    )
    .replace(
      /subgroupMatrixLoad<\w+, (\w+)_major>\(&(\w+)\[([^\]]+)\],/g,
      (_, l: string, p: string, tile: string) => `smLoadTile_${p}(${colMajor(l)}, ${tile},`,
    )
    .replace(/subgroupMatrixStore<(\w+)_major>\(&(\w+),/g, (_, l: string, p: string) => `smStore_${p}(${colMajor(l)},`)
    .replace(
      /subgroupMatrixStore<(\w+)_major>\(&(\w+)\[([^\]]+)\],/g,
      (_, l: string, p: string, tile: string) => `smStoreTile_${p}(${colMajor(l)}, ${tile},`,
    )
    .replace(/subgroupMatrixMultiplyAccumulate\(/g, 'smMma(');
  // Helpers go after the module-scope declarations they read (the line before @compute).
  const at = body.indexOf('@compute');
  const helpers = [
    `var<private> smN: u32;`,
    ...[...loads].map(loadFn),
    ...[...tileLoads].map(tileLoadFn),
    ...[...stores].map(storeFn),
    ...[...tileStores].map((d) => tileStoreFn(d, elementOf(d))),
    MMA,
  ].join('\n');
  // smN is 16 unless workgroup_id.x were 2³² − 1, which no dispatch reaches but the compiler cannot rule out.
  const wg = /@builtin\(workgroup_id\)\s+(\w+)/.exec(body)?.[1];
  if (!wg) throw new Error('emulateSubgroupMatrix: the entry point needs a @builtin(workgroup_id) parameter');
  const open = body.indexOf('{', at);
  return `${body.slice(0, at)}${helpers}\n${body.slice(at, open + 1)}\n  smN = select(${N}u, 0u, ${wg}.x == 0xffffffffu);${body.slice(open + 1)}`;
}
