/**
 * SafetensorsFile validates the header strictly: a file written by writeSafetensors reads back
 * bit-exactly, and each way of breaking its header (offsets that are not integers, out of order,
 * overlapping or outside the file; a header that is not an object) is an E_SAFETENSORS_INVALID
 * error naming the file and the tensor, never a silent read of the wrong bytes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from './safetensors-file.js';
import { writeSafetensors } from './write-safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'kvc-st-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The header as the tests edit it (any JSON may come back from an edit). */
interface Entry {
  dtype: string;
  shape: unknown[];
  data_offsets: (number | string)[];
}
interface Header {
  a: Entry;
  b: Entry;
}

const A = Float32Array.from({ length: 4 }, (_, i) => i + 0.5);
const B = Float32Array.from({ length: 6 }, (_, i) => -i - 0.25);

async function original(): Promise<string> {
  const p = join(dir, 'ok.safetensors');
  await writeSafetensors(p, { a: { dtype: 'F32', shape: [4], data: A }, b: { dtype: 'F32', shape: [2, 3], data: B } });
  return p;
}

/** A copy of the original file whose header is `edit(header)` (any JSON value), data section unchanged. */
async function withHeader(name: string, edit: (h: Header) => unknown): Promise<string> {
  const bytes = readFileSync(await original());
  const len = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + len).toString('utf8')) as Header;
  const json = Buffer.from(JSON.stringify(edit(header)), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const p = join(dir, `${name}.safetensors`);
  writeFileSync(p, Buffer.concat([prefix, json, bytes.subarray(8 + len)]));
  return p;
}

async function openError(p: string): Promise<{ code: string; message: string; context: Record<string, unknown> }> {
  const err = await SafetensorsFile.open(p).then(
    (f) => f.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(err, 'the file opened').toBeDefined();
  return err as { code: string; message: string; context: Record<string, unknown> };
}

describe('SafetensorsFile header validation', () => {
  it('reads back what writeSafetensors wrote', async () => {
    const f = await SafetensorsFile.open(await original());
    expect(await f.readFloat32('a')).toEqual(A);
    expect(await f.readFloat32('b')).toEqual(B);
    await f.close();
  });

  const cases: [string, (h: Header) => unknown, string | undefined, RegExp][] = [
    ['string-offsets', (h) => ((h.a.data_offsets = h.a.data_offsets.map(String)), h), 'a', /pair of .*integers/],
    ['float-offsets', (h) => ((h.b.data_offsets[1] = Number(h.b.data_offsets[1]) + 0.5), h), 'b', /pair of .*integers/],
    ['negative-offset', (h) => ((h.a.data_offsets[0] = -1), h), 'a', /pair of .*integers/],
    ['three-offsets', (h) => (h.a.data_offsets.push(0), h), 'a', /pair of .*integers/],
    ['reversed', (h) => (h.a.data_offsets.reverse(), h), 'a', /end before they begin/],
    ['past-end', (h) => ((h.b.data_offsets = h.b.data_offsets.map((o) => Number(o) + 4)), h), 'b', /run past/],
    ['overlap', (h) => ((h.b = { ...h.b, shape: [4], data_offsets: h.a.data_offsets }), h), undefined, /overlap/],
    ['wrong-size', (h) => ((h.b.shape = [3, 3]), h), 'b', /needs/],
    ['null-entry', (h) => ({ ...h, a: null }), 'a', /null, not an object/],
    ['bad-shape', (h) => ((h.a.shape = ['4']), h), 'a', /shape/],
    ['bad-metadata', (h) => ({ ...h, __metadata__: { format: 1 } }), undefined, /__metadata__\.format/],
    ['null-header', () => null, undefined, /header is null, not a JSON object/],
    ['array-header', () => [], undefined, /header is an array/],
    ['string-header', () => 'x', undefined, /header is a string/],
  ];
  for (const [name, edit, tensor, message] of cases) {
    it(`refuses ${name}`, async () => {
      const p = await withHeader(name, edit);
      const err = await openError(p);
      expect(err).toMatchObject({ code: 'E_SAFETENSORS_INVALID', context: { file: p } });
      expect(err.message).toMatch(message);
      if (tensor !== undefined) expect(err.context.tensor).toBe(tensor);
    });
  }

  it('refuses a header that is not UTF-8', async () => {
    const bytes = readFileSync(await original());
    const len = Number(bytes.readBigUInt64LE(0));
    const broken = Buffer.from(bytes);
    broken[8 + len - 1] = 0xff; // the header's last byte (padding or '}') becomes a stray byte
    const p = join(dir, 'not-utf8.safetensors');
    writeFileSync(p, broken);
    expect((await openError(p)).message).toMatch(/UTF-8/);
  });
});
