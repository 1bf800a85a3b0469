/**
 * The fused attention backward on tensor cores, part 2: dk and dv, GEMM-style like the forward
 * (flash-attention-forward-sm-direct-wgsl.ts says why: one subgroup, packed f16 operands read as
 * 16-row tiles, every subgroup-matrix offset a constant). One workgroup per 16 keys of one
 * (batch, kv head) keeps the dk and dv accumulators for its whole pass (2·d/16 matrices: 16 keys,
 * not 32, so that they stay in registers at d = 128) and walks every query head of the group and
 * every block of br queries (16 by default: flash-kernel-set.ts) that sees the keys, as
 * flash-attention-dkdv-wgsl.ts does: sᵀ = k·qᵀ and dPᵀ = v·dOᵀ on the tensor cores, P and dS = P ∘ (dP − Δ) in f32 (Δ from the dq kernel),
 * then dv += Pᵀ·dO and dk += dSᵀ·q with P and dS rounded to f16.
 */
import { packedRows, type FlashShape, type FlashTiles } from './flash-attention-shape.js';
import { biasBinding, firstVisibleCode, flashHeader, visitsCode } from './flash-attention-wgsl.js';
import { directHeader, directProduct, FLASH_DIRECT_LANES, range, tileLoad } from './flash-attention-sm-direct-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

/** Keys per workgroup: one 16-row tile. */
export const FLASH_DIRECT_KEYS = 16;
const KEYS = FLASH_DIRECT_KEYS;

/**
 * The module scope and the entry point's start of a direct dk/dv kernel (this one, and the split one:
 * flash-attention-dkdv-sm-split-wgsl.ts): bindings, the packed row counts, the workgroup `arrays` and the query block's
 * statistics (rowM, rowL, delta), then bk, b, hk, the first key c0 (`keys` a workgroup), kTile, kvBase and firstVis.
 */
export function dkdvKernelMain(s: FlashShape, arrays: string, br: number, keys: number, threads: number): string {
  const inputs = [
    ['Q', 'read', 'f16-tiles'],
    ['K', 'read', 'f16-tiles'],
    ['V', 'read', 'f16-tiles'],
    ['DO', 'read', 'f16-tiles'],
    ['ST', 'read'],
    ...biasBinding(s),
  ] as const;
  return `${directHeader}
${flashHeader(s, [...inputs, ['DK', 'read_write'], ['DV', 'read_write']], threads)}
const TP = ${packedRows(s.t)}u; const SP = ${packedRows(s.s)}u;
${arrays}
var<workgroup> rowM: array<f32, ${br}>;
var<workgroup> rowL: array<f32, ${br}>;
var<workgroup> delta: array<f32, ${br}>;
@compute @workgroup_size(${threads}) fn main(@builtin(workgroup_id) wg: vec3u,
    @builtin(local_invocation_index) lid: u32) {
  let bk = wg.y; let b = bk / HKV; let hk = bk % HKV;
  let c0 = wg.x * ${keys}u;
  let kTile = (bk * SP + c0) / 16u; let kvBase = bk * S * D;
  ${firstVisibleCode(s, threads)}`;
}

/**
 * The opening of the walk over every query head of the kv head's group and every block of br queries that sees the
 * keys, with the block's statistics loaded (bh, qTile and r0 set); the caller writes the body and closes both loops.
 */
export const dkdvQueryLoop = (s: FlashShape, br: number): string => `for (var h = hk * REP; h < hk * REP + REP; h++) {
    let bh = b * H + h; let qTile = bh * TP / 16u;
    for (var r0 = 0u; r0 < T; r0 += ${br}u) {
      if (!${visitsCode(s, 'r0', `${br}u`, 'c0')}) { continue; }
      if (lid < ${br}u) {
        let st = (bh * T + min(r0 + lid, T - 1u)) * 3u;
        rowM[lid] = ST[st]; rowL[lid] = ST[st + 1u]; delta[lid] = ST[st + 2u];
      }`;

export function flashDkdvSmDirectWgsl(s: FlashShape, { br }: FlashTiles): string {
  if (br % 16 !== 0 || br > 32) throw new Error(`flash attention (direct dk/dv): query block ${br} must be 16 or 32`);
  const ni = br / 16,
    dn = s.d / 16;
  // Column-major strips of the block's transposed scores and dP: (key, query) at query·16 + key.
  const strip = (name: string, left: string, right: string) =>
    directProduct({
      into: name,
      rows: 1,
      cols: ni,
      inner: dn,
      left: (_, k) => tileLoad('L', left, 'kTile', k),
      right: (j, k) => tileLoad('R', right, `qTile + r0 / 16u + ${j}u`, k, true),
      store: (_, j) => ({ offset: 16 * KEYS * j, colMajor: true, stride: KEYS }),
    });
  // acc += strip · operand: left tiles from the f16 strip (transposed P or dS), right from q or dO.
  const accumulate = (acc: string, strip: string, operand: string) =>
    range(ni)
      .map(
        (kk) => `{
        let a = ${smLoad('L', strip, `${16 * KEYS * kk}u`, true, `${KEYS}u`)};
        ${range(dn)
          .map(
            (n) =>
              `${acc}${n} = subgroupMatrixMultiplyAccumulate(a, ${tileLoad('R', operand, `qTile + r0 / 16u + ${kk}u`, n)}, ${acc}${n});`,
          )
          .join('\n        ')}
      }`,
      )
      .join('\n      ');
  const store = (acc: string, dst: string, factor: string) =>
    range(dn)
      .map(
        (n) => `${smStore('Ss', '0u', `${acc}${n}`, false, '16u')};
  workgroupBarrier();
  for (var e = lid; e < 256u; e += 32u) {
    let x = c0 + e / 16u;
    if (x < S) { ${dst}[kvBase + x * D + ${16 * n}u + e % 16u] = Ss[e]${factor}; }
  }
  workgroupBarrier();`,
      )
      .join('\n  ');
  const arrays = `var<workgroup> Ss: array<f32, ${KEYS * br}>;
var<workgroup> DPs: array<f32, ${KEYS * br}>;
var<workgroup> Ps: array<f16, ${KEYS * br}>;
var<workgroup> DSs: array<f16, ${KEYS * br}>;`;
  return `${dkdvKernelMain(s, arrays, br, KEYS, FLASH_DIRECT_LANES)}
  ${range(dn)
    .map((n) => `var dk${n} = Acc(); var dv${n} = Acc();`)
    .join(' ')}
  ${dkdvQueryLoop(s, br)}
      ${strip('Ss', 'K', 'Q')}
      ${strip('DPs', 'V', 'DO')}
      workgroupBarrier();
      for (var e = lid; e < ${KEYS * br}u; e += 32u) {
        let c = e % ${KEYS}u; let q = e / ${KEYS}u; let t = r0 + q; let j = c0 + c;
        let x = score(Ss[e], b, min(t, T - 1u), min(j, S - 1u));
        let p = select(0.0, exp(x - rowM[q]) / rowL[q], t < T && j < S);
        Ps[e] = f16(p); DSs[e] = f16(p * (DPs[e] - delta[q]));
      }
      workgroupBarrier();
      ${accumulate('dv', 'Ps', 'DO')}
      ${accumulate('dk', 'DSs', 'Q')}
      workgroupBarrier();
    }
  }
  ${store('dk', 'DK', ' * SCALE')}
  ${store('dv', 'DV', '')}
}`;
}
