/**
 * The tensor-core dk/dv kernel with its work split over several subgroups (FlashTiles.sg > 1): the
 * one-subgroup kernel (flash-attention-dkdv-sm-direct-wgsl.ts) keeps both accumulators, dk and dv
 * (2·d/16 matrices, 128 registers an invocation at d = 128), and does all four products of a block
 * one after the other. Here a workgroup holds two subgroups per 16-key tile:
 * - role 0 computes the transposed scores k·qᵀ and keeps dv += Pᵀ·dO;
 * - role 1 computes dPᵀ = v·dOᵀ and keeps dk += dSᵀ·q;
 * so each holds d/16 accumulators and the two strips, then the two updates, run side by side. The
 * softmax between them (P and dS from both strips) is shared by the whole workgroup. With bc = 32 a
 * workgroup holds two key tiles (four subgroups) that walk the same query blocks together, so their q
 * and dO tiles are read while the other tile's are still in L1.
 *
 * The subgroups' work differs only in its operands, but each subgroup-matrix offset must stay a WGSL
 * constant (flash-attention-forward-sm-direct-wgsl.ts says why: Dawn's robustness otherwise wraps
 * each load in a bounds test), so every subgroup's share is written out in its own branch of a
 * switch on the subgroup index; a branch is uniform within its subgroup, which is what the
 * hardware needs (the uniformity diagnostic is off, as in the GEMM). The accumulators are the same
 * variables in every branch, so the compiler reserves registers for d/16 of them, not 2·d/16.
 */
import { dkdvKernelMain, dkdvQueryLoop } from './flash-attention-dkdv-sm-direct-wgsl.js';
import type { FlashShape, FlashTiles } from './flash-attention-shape.js';
import { bySubgroup, directProduct, FLASH_DIRECT_LANES, range, tileLoad } from './flash-attention-sm-direct-wgsl.js';
import { smLoad, smStore } from './subgroup-matrix-io.js';

/** Subgroups per 16-key tile: one for dv, one for dk. */
export const FLASH_SPLIT_ROLES = 2;

export function flashDkdvSmSplitWgsl(s: FlashShape, { br, bc, sg }: FlashTiles): string {
  if (br % 16 !== 0 || br > 32) throw new Error(`flash attention (split dk/dv): query block ${br} must be 16 or 32`);
  if (bc !== 16 && bc !== 32) throw new Error(`flash attention (split dk/dv): key block ${bc} must be 16 or 32`);
  const kt = bc / 16,
    groups = FLASH_SPLIT_ROLES * kt;
  if (sg !== groups) throw new Error(`flash attention (split dk/dv): ${bc} keys take ${groups} subgroups, not ${sg}`);
  const ni = br / 16,
    dn = s.d / 16,
    threads = FLASH_DIRECT_LANES * groups,
    strip = 16 * br; // f32 words of one key tile's strip: (key, query) at query·16 + key
  // Subgroup g: key tile g / 2, role g % 2.
  const each = (share: (tile: number, role: number, g: number) => string) =>
    bySubgroup(groups, (g) => share(Math.floor(g / FLASH_SPLIT_ROLES), g % FLASH_SPLIT_ROLES, g));
  // The transposed strip (scores for role 0, dP for role 1) of key tile `tile` into Scr: scores first, then dP.
  const stripOf = (tile: number, role: number) =>
    directProduct({
      into: 'Scr',
      rows: 1,
      cols: ni,
      inner: dn,
      left: (_, k) => tileLoad('L', role === 0 ? 'K' : 'V', `kTile + ${tile}u`, k),
      right: (j, k) => tileLoad('R', role === 0 ? 'Q' : 'DO', `qTile + r0 / 16u + ${j}u`, k, true),
      store: (_, j) => ({ offset: (role * kt + tile) * strip + 256 * j, colMajor: true, stride: 16 }),
    });
  // acc += (P or dS of key tile `tile`)ᵀ · (dO or q).
  const accumulate = (tile: number, role: number) =>
    range(ni)
      .map(
        (kk) => `{
        let a = ${smLoad('L', role === 0 ? 'Ps' : 'DSs', `${tile * strip + 256 * kk}u`, true, '16u')};
        ${range(dn)
          .map(
            (n) =>
              `acc${n} = subgroupMatrixMultiplyAccumulate(a, ${tileLoad('R', role === 0 ? 'DO' : 'Q', `qTile + r0 / 16u + ${kk}u`, n)}, acc${n});`,
          )
          .join('\n        ')}
      }`,
      )
      .join('\n      ');
  // Each subgroup stores its accumulator n into its own 256 words of Scr, then the workgroup writes them out.
  const store = range(dn)
    .map(
      (n) => `${each((_, __, g) => `${smStore('Scr', `${256 * g}u`, `acc${n}`, false, '16u')};`)}
  workgroupBarrier();
  for (var e = lid; e < ${256 * groups}u; e += ${threads}u) {
    let g = e / 256u; let w = e % 256u;
    let x = c0 + (g / ${FLASH_SPLIT_ROLES}u) * 16u + w / 16u; let at = kvBase + x * D + ${16 * n}u + w % 16u;
    if (x < S) {
      if (g % ${FLASH_SPLIT_ROLES}u == 0u) { DV[at] = Scr[e]; } else { DK[at] = Scr[e] * SCALE; }
    }
  }
  workgroupBarrier();`,
    )
    .join('\n  ');
  const arrays = `var<workgroup> Scr: array<f32, ${FLASH_SPLIT_ROLES * kt * strip}>;
var<workgroup> Ps: array<f16, ${kt * strip}>;
var<workgroup> DSs: array<f16, ${kt * strip}>;`;
  return `${dkdvKernelMain(s, arrays, br, bc, threads)}
  ${range(dn)
    .map((n) => `var acc${n} = Acc();`)
    .join(' ')}
  ${dkdvQueryLoop(s, br)}
      ${each((tile, role) => stripOf(tile, role))}
      workgroupBarrier();
      for (var e = lid; e < ${kt * strip}u; e += ${threads}u) {
        let w = e % ${strip}u; let q = w / 16u; let t = r0 + q; let j = c0 + (e / ${strip}u) * 16u + w % 16u;
        let x = score(Scr[e], b, min(t, T - 1u), min(j, S - 1u));
        let p = select(0.0, exp(x - rowM[q]) / rowL[q], t < T && j < S);
        Ps[e] = f16(p); DSs[e] = f16(p * (Scr[${kt * strip}u + e] - delta[q]));
      }
      workgroupBarrier();
      ${each((tile, role) => accumulate(tile, role))}
      workgroupBarrier();
    }
  }
  ${store}
}`;
}
