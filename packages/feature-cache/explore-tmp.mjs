import { FeatureCache } from './dist/index.js';
import { checkLmdbFile } from './dist/lmdb-header.js';
import { probeLmdb } from './dist/lmdb-probe.js';
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, readFileSync, writeFileSync, truncateSync, mkdirSync } from 'node:fs';
const base = '/tmp/scsh/base';
rmSync('/tmp/scsh', { recursive: true, force: true });
const c = await FeatureCache.open(base);
for (let i = 0; i < 200; i++) await c.put('k' + String(i).padStart(4, '0'), { data: new Float32Array(300 + i).fill(i), shape: [300 + i] });
await c.close();
const size = readFileSync(base + '/data.mdb').length;
console.log('size', size, checkLmdbFile(base + '/data.mdb'));
const readChild = (dir) => {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
import { FeatureCache } from '${process.cwd()}/dist/index.js';
const c = await FeatureCache.open('${dir}', { readOnly: true });
let n=0; for (const k of c.keys()) { if (c.get(k)) n++; }
console.log('read', n, c.stats().entries); await c.close();`], { encoding: 'utf8' });
  return `${r.status}/${r.signal} ${r.stdout.trim()} ${r.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 200)}`;
};
let crashes = 0, undetected = 0;
for (let off = Number(process.env.START ?? 0); off < size; off += Number(process.env.STEP ?? 997)) {
  const d = '/tmp/scsh/f' + off;
  cpSync(base, d, { recursive: true });
  const b = readFileSync(d + '/data.mdb');
  b[off] ^= 0xff;
  writeFileSync(d + '/data.mdb', b);
  const h = checkLmdbFile(d + '/data.mdb');
  const p = h.ok ? await probeLmdb(d) : { ok: 'skip' };
  const r = readChild(d);
  const crashed = !/^\d+\//.test(r) || r.includes('/SIG');
  if (h.ok && p.ok === true && crashed) { crashes++; console.log('UNDETECTED CRASH', off, r); }
  else if (h.ok && p.ok === true && !r.startsWith('0/')) { undetected++; console.log('undetected error', off, r); }
  rmSync(d, { recursive: true });
}
console.log('crashes', crashes, 'undetected-errors', undetected);
