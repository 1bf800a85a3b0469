import { checkLmdbFile } from './dist/lmdb-header.js';
import { probeLmdb } from './dist/lmdb-probe.js';
const d = process.argv[2];
console.log(checkLmdbFile(d + '/data.mdb'));
console.log(await probeLmdb(d));
