/**
 * A writer process killed with SIGKILL in the middle of cacheThrough leaves a cache that opens,
 * holds whole batches only (never half a batch, never a damaged entry), can be read by another
 * process while the writer runs, and lets the next run encode exactly what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { from, lastValueFrom, toArray } from 'rxjs';
import { FeatureCache } from './feature-cache.js';
import { cacheThrough } from './operators/cache-through.js';
import { randomTensor, tempDir } from './__tests__/test-helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
// The child runs plain JS: transpile the package sources under the package's node_modules so that
// bare imports (lmdb, rxjs, msgpackr) resolve by walking up, as they do for the sources.
const buildDir = join(here, '..', 'node_modules', '.cache', `crash-child-${process.pid}`);
const TOTAL = 40;
const BATCH = 4;
const SHAPE = [32, 512]; // 64 KiB per entry: writes take long enough to be interrupted

const CHILD = `
import { range } from 'rxjs';
import { FeatureCache, cacheThrough } from './index.js';
import { randomTensor } from './__tests__/test-helpers.js';
const [path, total, batchSize, delayMs, stallAt] = process.argv.slice(2);
const cache = await FeatureCache.open(path);
// The batch holding item stallAt never finishes encoding (the timer only keeps the process alive), so a
// kill that waits for it lands inside that encode however slowly the machine runs.
const encode = (batch) => new Promise((resolve) => {
  process.stdout.write('encoding ' + batch.join(',') + '\\n');
  const stall = batch.includes(Number(stallAt));
  setTimeout(() => resolve(batch.map((i) => randomTensor(${JSON.stringify(SHAPE)}, i + 1))), stall ? 2 ** 31 - 1 : Number(delayMs));
});
range(0, Number(total)).pipe(cacheThrough(encode, { cache, keyOf: (i) => 'item-' + i, batchSize: Number(batchSize) }))
  .subscribe({ next: (o) => process.stdout.write('emitted ' + o.item + '\\n') });
`;

beforeAll(() => {
  for (const sub of ['operators', '__tests__']) mkdirSync(join(buildDir, sub), { recursive: true });
  const walk = (rel: string): void => {
    for (const e of readdirSync(join(here, rel), { withFileTypes: true })) {
      const r = join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
        const js = ts.transpileModule(readFileSync(join(here, r), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        }).outputText;
        writeFileSync(join(buildDir, r.replace(/\.ts$/, '.js')), js);
      }
    }
  };
  walk('.');
  writeFileSync(join(buildDir, 'package.json'), '{"type":"module"}');
  writeFileSync(join(buildDir, 'child.js'), CHILD);
});
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

/** Runs the writer and SIGKILLs it once `killWhen(line, emittedSoFar)` says so; resolves with what it emitted. */
function runWriterAndKill(
  cachePath: string,
  delayMs: number,
  killWhen: (line: string, emitted: number[]) => boolean,
  onEmitted?: (item: number) => void,
  stallAt = -1,
) {
  const child = spawn(
    process.execPath,
    [join(buildDir, 'child.js'), cachePath, String(TOTAL), String(BATCH), String(delayMs), String(stallAt)],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const emitted: number[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('emitted ')) {
      const item = Number(line.slice(8));
      emitted.push(item);
      onEmitted?.(item);
    }
    if (killWhen(line, emitted)) child.kill('SIGKILL');
  });
  return new Promise<{ emitted: number[]; signal: NodeJS.Signals | null }>((resolve, reject) =>
    child.on('exit', (code, signal) =>
      code ? reject(new Error(`writer exited ${code}: ${stderr}`)) : resolve({ emitted, signal }),
    ),
  );
}

/** Asserts every stored entry is valid and holds the right tensor, and that only whole batches are stored. */
function assertWholeValidBatches(cache: FeatureCache): number[] {
  const stored: number[] = [];
  for (let i = 0; i < TOTAL; i++) {
    const c = cache.check(`item-${i}`);
    if (!c.ok) {
      expect(c.reason, `item-${i}`).toBe('missing');
      continue;
    }
    stored.push(i);
    expect(cache.get(`item-${i}`)!.data).toEqual(randomTensor(SHAPE, i + 1).data);
  }
  for (let b = 0; b < TOTAL; b += BATCH) {
    const inBatch = stored.filter((i) => i >= b && i < b + BATCH).length;
    expect([0, BATCH], `batch starting at ${b} is half written`).toContain(inBatch);
  }
  return stored;
}

async function finishRun(cache: FeatureCache): Promise<number[]> {
  const encoded: number[] = [];
  const encode = async (batch: readonly number[]) => (
    encoded.push(...batch),
    batch.map((i) => randomTensor(SHAPE, i + 1))
  );
  const out = await lastValueFrom(
    from(Array.from({ length: TOTAL }, (_, i) => i)).pipe(
      cacheThrough(encode, { cache, keyOf: (i) => `item-${i}`, batchSize: BATCH }),
      toArray(),
    ),
  );
  expect(out.map((o) => o.item)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
  return encoded;
}

describe('crash recovery (SIGKILLed writer process)', () => {
  it('killed while encoding batch 3: readers saw its writes live; the next run encodes only the rest', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cache');
    let reader: Promise<FeatureCache> | undefined;
    const readLive: number[] = [];
    const reads: Promise<void>[] = [];
    try {
      // Batch 3 stalls in encode. The writer may start encoding it before it has stored and emitted
      // batch 2, so the kill waits for both: the stall line and all 12 earlier items.
      let stalled = false;
      const { emitted, signal } = await runWriterAndKill(
        path,
        20,
        (line, soFar) => (stalled ||= line === 'encoding 12,13,14,15') && soFar.length === 12,
        // A second process reads while the writer writes: every emitted item is already readable and intact.
        (item) => {
          reader ??= FeatureCache.open(path, { readOnly: true });
          const read = reader.then((r) => {
            r.refresh();
            if (r.get(`item-${item}`)) readLive.push(item);
          });
          reads.push(read);
        },
        12,
      );
      expect(signal).toBe('SIGKILL');
      expect(emitted).toEqual(Array.from({ length: 12 }, (_, i) => i));
      await Promise.all(reads); // the reader may still be opening when the writer dies
      expect(readLive).toEqual(emitted);
      await (await reader)?.close();
      const cache = await FeatureCache.open(path);
      const stored = assertWholeValidBatches(cache);
      expect(stored).toEqual(emitted);
      expect(await finishRun(cache)).toEqual(Array.from({ length: TOTAL - 12 }, (_, i) => i + 12));
      expect(cache.stats().entries).toBe(TOTAL);
      await cache.close();
    } finally {
      await (await reader)?.close();
      t.cleanup();
    }
  });

  it('killed at arbitrary points while writing back to back: whole batches only, nothing damaged, the rest recomputed', async () => {
    const t = tempDir();
    const path = join(t.dir, 'cache');
    try {
      // No encode delay: the writer spends its time in LMDB writes, so kills land inside them.
      for (const killAfter of [1, 9, 17]) {
        await runWriterAndKill(path, 0, (_line, emitted) => emitted.length >= killAfter);
        const cache = await FeatureCache.open(path);
        const stored = assertWholeValidBatches(cache);
        expect(stored.length).toBeGreaterThanOrEqual(killAfter);
        await cache.close();
      }
      const cache = await FeatureCache.open(path);
      const before = assertWholeValidBatches(cache);
      const encoded = await finishRun(cache);
      expect(encoded).toEqual(Array.from({ length: TOTAL }, (_, i) => i).filter((i) => !before.includes(i)));
      await cache.close();
    } finally {
      t.cleanup();
    }
  });
});
