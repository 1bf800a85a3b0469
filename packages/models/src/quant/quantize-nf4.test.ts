import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SafetensorsFile } from '../io/safetensors-file.js';
import { readCaseJson } from '../parity/read-case.js';
import { dequantizeNf4 } from './dequantize-nf4.js';
import { dynamicMap } from './dynamic-map.js';
import { NF4_TABLE } from './nf4-matrix.js';
import { nf4Code } from './nf4-code.js';
import { quantizeNf4 } from './quantize-nf4.js';

const REF = fileURLToPath(new URL('../../../../test/fixtures/reference/', import.meta.url));

async function readCase(name: string) {
  const dir = `${REF}${name}`;
  const c = await readCaseJson(dir);
  const f = await SafetensorsFile.open(`${dir}/weights.safetensors`);
  try {
    const [weight, dequantized, codes] = await Promise.all(
      ['weight', 'dequantized', 'codes'].map((n) => f.readFloat32(n)),
    );
    return { doubleQuant: c.double_quant === true, blocksize: c.blocksize as number, weight, dequantized, codes };
  } finally {
    await f.close();
  }
}

describe('quantizeNf4 against the bitsandbytes transcription (test/fixtures/reference/nf4*)', () => {
  for (const name of ['nf4', 'nf4-double']) {
    it(`${name}: codes equal and dequantized values bit-equal`, async () => {
      const ref = await readCase(name);
      const q = quantizeNf4(ref.weight!, { blocksize: ref.blocksize, doubleQuant: ref.doubleQuant });
      expect(q.double !== undefined).toBe(ref.doubleQuant);
      let codeMismatches = 0;
      for (let i = 0; i < q.codes.length; i++) if (q.codes[i] !== ref.codes![i]) codeMismatches++;
      expect(codeMismatches).toBe(0);
      const deq = dequantizeNf4(q);
      let maxAbs = 0;
      for (let i = 0; i < deq.length; i++) maxAbs = Math.max(maxAbs, Math.abs(deq[i]! - ref.dequantized![i]!));
      expect(maxAbs).toBe(0);
    });
  }

  it('rounds every table value to its own code and midpoints between neighbours to one of them', () => {
    NF4_TABLE.forEach((v, k) => expect(nf4Code(Math.fround(v))).toBe(k));
    for (let k = 0; k + 1 < NF4_TABLE.length; k++) {
      const mid = Math.fround((NF4_TABLE[k]! + NF4_TABLE[k + 1]!) / 2);
      expect([k, k + 1]).toContain(nf4Code(mid));
    }
    expect(nf4Code(Number.NaN)).toBe(0);
  });

  it('a zero block dequantizes to zeros; the dynamic map is sorted, symmetric, with 0 and 1', () => {
    const q = quantizeNf4(new Float32Array(64));
    expect(Array.from(dequantizeNf4(q), Math.abs)).toEqual(new Array(64).fill(0));
    const m = dynamicMap();
    expect(m.length).toBe(256);
    expect(m[0]).toBe(-m[254]!); // ±means of the largest decade, plus 0 and 1 (no -1)
    expect(m[255]).toBe(1);
    expect(m.filter((v) => v === 0).length).toBe(1);
    for (let i = 1; i < 256; i++) expect(m[i]!).toBeGreaterThanOrEqual(m[i - 1]!);
  });

  it('keeps the double-quantized pieces: u8 codes per block, one f32 scale per 256 blocks, the mean as offset', () => {
    const x = Float32Array.from({ length: 64 * 300 }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
    const q = quantizeNf4(x, { doubleQuant: true });
    expect(q.double!.qabsmax.length).toBe(300);
    expect(q.double!.absmax2.length).toBe(2);
    const plain = quantizeNf4(x);
    // Block scales stored in 8 bits: within one step of the dynamic map (≤ 2^-7 relative near 1) of the f32 ones
    for (let b = 0; b < 300; b++) {
      expect(Math.abs(q.absmax[b]! - plain.absmax[b]!)).toBeLessThanOrEqual(q.double!.absmax2[b >> 8]! / 64);
    }
  });
});
