/**
 * checkLmdbFile: reads an LMDB `data.mdb`'s two meta pages with plain file reads, before anything
 * maps it. LMDB trusts its file: a copy cut short is mapped anyway and the first read past the end
 * kills the process with SIGBUS, an empty file segfaults a read-only open, and garbage reads as
 * pointers. The layout (64-bit, lmdb-js 3's liblmdb: mdb.c `MDB_page_header`, `MDB_meta`,
 * `mdb_env_read_header`): page 0 and page `psize` each start with a 24-byte page header (pgno,
 * txnid, pad, flags = P_META) followed by the meta: magic 0xBEEFC0DE, version 2, map address and
 * size, the free and main DB records (48 bytes each; the free record's first word is the page
 * size), the last used page and the txnid that wrote it. LMDB uses the meta with the larger txnid,
 * and never reads past its last page, so the file must hold at least `(lastPage + 1) * psize` bytes.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';

/** What is wrong with the file, when something is. */
export type LmdbFileProblem = 'unreadable' | 'empty' | 'not-lmdb' | 'version' | 'truncated' | 'bad-meta';

export type LmdbFileCheck =
  | { readonly ok: true; readonly pageSize: number; readonly lastPage: number; readonly txnid: number }
  | { readonly ok: false; readonly problem: LmdbFileProblem; readonly detail: string };

const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const P_META = 0x08;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const PAGE_HEADER = 24;
/** Meta fields, as offsets from the start of the meta page. */
const AT = { flags: 18, magic: 24, version: 28, psize: 48, freeRoot: 88, mainRoot: 136, lastPage: 144, txnid: 152 };
const META_BYTES = AT.txnid + 8 + 8;
/** No page number reads as P_INVALID (~0): an empty tree. */
const NO_PAGE = 0xffffffffffffffffn;

interface Meta {
  readonly psize: number;
  readonly lastPage: bigint;
  readonly txnid: bigint;
  readonly roots: readonly bigint[];
}

/** Checks the LMDB data file at `file` (see the module comment); never maps it. */
export function checkLmdbFile(file: string): LmdbFileCheck {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    return { ok: false, problem: 'unreadable', detail: (err as Error).message };
  }
  try {
    return checkOpenFile(fd);
  } finally {
    closeSync(fd);
  }
}

function checkOpenFile(fd: number): LmdbFileCheck {
  const size = fstatSync(fd).size;
  const bad = (problem: LmdbFileProblem, detail: string): LmdbFileCheck => ({ ok: false, problem, detail });
  if (size === 0) return bad('empty', 'data.mdb is empty (0 bytes)');
  const first = readAt(fd, 0, META_BYTES);
  if (first.length < META_BYTES) return bad('truncated', `data.mdb is ${size} bytes, shorter than one LMDB meta page`);
  const m0 = readMeta(first);
  if (typeof m0 === 'string') return bad(m0 === 'version' ? 'version' : 'not-lmdb', `page 0: ${describe(m0, first)}`);
  const psize = m0.psize;
  if (psize < 512 || psize > 65536 || (psize & (psize - 1)) !== 0)
    return bad('bad-meta', `page 0 records an impossible page size ${psize}`);
  if (size < 2 * psize) return bad('truncated', `data.mdb is ${size} bytes, shorter than its two meta pages`);
  const second = readAt(fd, psize, META_BYTES);
  const m1 = readMeta(second);
  if (typeof m1 === 'string')
    return bad('bad-meta', `the second meta page (at byte ${psize}): ${describe(m1, second)}`);
  if (m1.psize !== psize) return bad('bad-meta', `the meta pages disagree on the page size (${psize}, ${m1.psize})`);
  const meta = m1.txnid > m0.txnid ? m1 : m0;
  const need = (meta.lastPage + 1n) * BigInt(psize);
  if (BigInt(size) < need)
    return bad('truncated', `data.mdb is ${size} bytes but its newest meta page uses pages up to byte ${need}`);
  for (const root of meta.roots) {
    if (root === NO_PAGE) continue;
    if (root < 2n || root > meta.lastPage) return bad('bad-meta', `a root page number ${root} is out of range`);
    // Every page records its own number: a root that does not is a flipped byte or a foreign page.
    const h = readAt(fd, Number(root) * psize, PAGE_HEADER);
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
    const flags = v.getUint16(AT.flags, true);
    if (v.getBigUint64(0, true) !== root || (flags & (P_BRANCH | P_LEAF)) === 0)
      return bad('bad-meta', `root page ${root} is not a tree page (damaged or overwritten)`);
  }
  return { ok: true, pageSize: psize, lastPage: Number(meta.lastPage), txnid: Number(meta.txnid) };
}

function readMeta(b: Uint8Array): Meta | 'not-meta' | 'magic' | 'version' {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(AT.magic, true) !== MAGIC) return 'magic';
  if ((v.getUint16(AT.flags, true) & P_META) === 0) return 'not-meta';
  if ((v.getUint32(AT.version, true) & 0xffff) !== DATA_VERSION) return 'version';
  return {
    psize: v.getUint32(AT.psize, true),
    lastPage: v.getBigUint64(AT.lastPage, true),
    txnid: v.getBigUint64(AT.txnid, true),
    roots: [v.getBigUint64(AT.freeRoot, true), v.getBigUint64(AT.mainRoot, true)],
  };
}

function describe(what: 'not-meta' | 'magic' | 'version', b: Uint8Array): string {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (what === 'magic') return `no LMDB magic number (found 0x${v.getUint32(AT.magic, true).toString(16)})`;
  if (what === 'version') return `LMDB data version ${v.getUint32(AT.version, true) & 0xffff}, expected 2`;
  return 'not marked as a meta page';
}

function readAt(fd: number, position: number, length: number): Uint8Array {
  const b = new Uint8Array(length);
  const n = readSync(fd, b, 0, length, position);
  return b.subarray(0, n);
}
