/**
 * Ways to damage a copy of a feature cache's LMDB file the way disks, copies and people do, for the
 * tests that a damaged cache is an error and never a crash (layout: packages/feature-cache/src/lmdb-header.ts).
 */
import { cpSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The kinds of damage, each applied to a cache directory's data.mdb. */
export const DAMAGE: Readonly<Record<string, (file: string, pageSize: number) => void>> = {
  empty: (f) => writeFileSync(f, ''),
  truncated: (f) => truncateSync(f, Math.floor(readFileSync(f).length / 2)),
  garbage: (f) => writeFileSync(f, Buffer.from(readFileSync(f).map((_, i) => (i * 7919 + 13) & 0xff))),
  /** One byte of the `meta` database's root page number: the meta pages stay intact. */
  'byte flip': (f, pageSize) => {
    const b = readFileSync(f);
    b[namedDbRecord(b, pageSize, 'meta') + 40 + 3]! ^= 0xff;
    writeFileSync(f, b);
  },
};

/** Copies the cache at `from` to `to` and applies `damage` to the copy's data.mdb. */
export function damagedCopy(from: string, to: string, damage: keyof typeof DAMAGE, pageSize: number): string {
  cpSync(from, to, { recursive: true });
  DAMAGE[damage]!(join(to, 'data.mdb'), pageSize);
  return to;
}

/** Offset of the MDB_db record of the named database `name` in the main DB's root page (a leaf). */
function namedDbRecord(b: Buffer, pageSize: number, name: string): number {
  const meta = b.readBigUInt64LE(pageSize + 152) > b.readBigUInt64LE(152) ? pageSize : 0; // the newer txnid
  const root = Number(b.readBigUInt64LE(meta + 136));
  const page = b.subarray(root * pageSize, (root + 1) * pageSize);
  for (let i = 0; i < page.readUInt16LE(20) >> 1; i++) {
    const node = 24 + page.readUInt16LE(24 + 2 * i);
    const ksize = page.readUInt16LE(node + 6);
    // lmdb-js stores database names with their terminating NUL
    if (page.toString('latin1', node + 8, node + 8 + ksize) === `${name}\0`) return root * pageSize + node + 8 + ksize;
  }
  throw new Error(`no database ${name} in the main tree`);
}
