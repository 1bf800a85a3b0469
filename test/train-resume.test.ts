/**
 * kill -9 and resume, with real processes: a child trains a tiny model through the built
 * packages, checkpointing after every optimizer step (LoRA dropout on); the test SIGKILLs it
 * right after it reports a random step of stage 1 (one run) or stage 2 (another), checks that
 * every checkpoint that exists is complete, resumes in a new child and compares the final
 * projector + LoRA with an uninterrupted run's. Also: a resume with a changed config is refused
 * naming the key, a finished run is skipped, an unfinished one is refused without --resume.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SafetensorsFile } from '@kvc/models';

const CHILD = new URL('./fixtures-scripts/train-child.mjs', import.meta.url).pathname;
type Ev = Record<string, unknown> & { type: string };

/** Runs the child; with `killAfterStep`, SIGKILLs it as soon as it reports that global step. */
function child(
  work: string,
  run: string,
  opts: { resume?: boolean; killAfterStep?: number } = {},
): Promise<{ events: Ev[]; killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CHILD, work, run, ...(opts.resume ? ['--resume'] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: Ev[] = [];
    let stderr = '';
    let killed = false;
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: p.stdout }).on('line', (line) => {
      if (killed) return;
      const e = JSON.parse(line) as Ev;
      events.push(e);
      if (e.type === 'step' && e.globalStep === opts.killAfterStep) {
        killed = true;
        p.kill('SIGKILL');
      }
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (!killed && code !== 0 && !events.some((e) => e.type === 'error'))
        reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ events, killed, code });
    });
  });
}

async function readWeights(ck: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [file, prefix] of [
    ['projector.safetensors', 'projector.'],
    ['adapter/adapter_model.safetensors', ''],
  ] as const) {
    const f = await SafetensorsFile.open(join(ck, file));
    for (const n of f.tensors.keys()) out.set(prefix + n, await f.readFloat32(n));
    await f.close();
  }
  return out;
}

function maxAbsDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  let m = 0;
  for (const [k, x] of a) x.forEach((v, i) => (m = Math.max(m, Math.abs(v - b.get(k)![i]!))));
  return m;
}

/** Every visible checkpoint folder is complete: state.json parses, every safetensors file parses and reads. */
async function expectCompleteCheckpoints(runDir: string): Promise<string[]> {
  const root = join(runDir, 'checkpoints');
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { withFileTypes: true });
  const visible = entries.filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name);
  for (const name of visible) {
    const dir = join(root, name);
    JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    const files = [
      'projector.safetensors',
      'adapter/adapter_model.safetensors',
      ...(existsSync(join(dir, 'optimizer.json')) ? ['optimizer.safetensors'] : []),
    ];
    if (name !== 'final') expect(existsSync(join(dir, 'optimizer.json')), `${name}/optimizer.json`).toBe(true);
    JSON.parse(await readFile(join(dir, 'adapter', 'adapter_config.json'), 'utf8'));
    for (const f of files) {
      const st = await SafetensorsFile.open(join(dir, f));
      for (const n of st.tensors.keys()) await st.readBytes(n);
      await st.close();
    }
  }
  if (existsSync(join(root, 'latest'))) {
    const target = (await readFile(join(root, 'latest'), 'utf8')).trim();
    expect(visible).toContain(target);
  }
  return visible;
}

let work: string;
let reference: Map<string, Float32Array>;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvc-resume-'));
  const r = await child(work, 'uninterrupted'); // also writes the shared model folder
  const end = r.events.find((e) => e.type === 'run-end')!;
  expect(end.status).toBe('finished');
  reference = await readWeights(end.checkpoint as string);
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

// 12 optimizer steps: 1–6 in stage 1, 7–12 in stage 2 (3 per epoch). From step 2 on, a
// checkpoint surely exists (step 1's was written before step 2 was reported); after step 12 the
// kill may land after the final checkpoint, and the rerun would rightly be a skip.
const pick = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));

describe('kill -9 and resume', () => {
  for (const [stage, k] of [
    ['stage1', pick(2, 6)],
    ['stage2', pick(7, 11)],
  ] as const) {
    it(`killed after global step ${k} (${stage}) resumes to the uninterrupted weights`, async () => {
      const run = `killed-${stage}`;
      const first = await child(work, run, { killAfterStep: k });
      expect(first.killed).toBe(true);
      expect(first.events.filter((e) => e.type === 'step').at(-1)).toMatchObject({ stage, globalStep: k });
      const visible = await expectCompleteCheckpoints(join(work, run));
      expect(visible).not.toContain('final');

      const second = await child(work, run, { resume: true });
      const start = second.events.find((e) => e.type === 'run-start')!;
      const steps = second.events.filter((e) => e.type === 'step');
      // It continued from a checkpoint (not from scratch), at most one step before the kill point.
      expect(start.resumedFrom).toBeDefined();
      // The killed process could not remove its run lock: the resume takes it over, saying so.
      expect(second.events.find((e) => e.type === 'warning')).toMatchObject({ code: 'W_STALE_RUN_LOCK' });
      expect(steps[0]!.globalStep as number).toBeGreaterThan(1);
      expect(steps[0]!.globalStep as number).toBeLessThanOrEqual(k + 1);
      expect(steps.at(-1)!.globalStep).toBe(12);
      const end = second.events.find((e) => e.type === 'run-end')!;
      expect(end.status).toBe('finished');
      await expectCompleteCheckpoints(join(work, run));
      expect(maxAbsDiff(await readWeights(end.checkpoint as string), reference)).toBeLessThanOrEqual(1e-6);
    });
  }

  it('refuses a changed config naming the key, refuses an unfinished run without --resume, skips a finished run', async () => {
    const run = 'refusals';
    await child(work, run, { killAfterStep: 2 });
    const noResume = await child(work, run);
    expect(noResume.events.at(-1)).toMatchObject({ type: 'error', code: 'E_RUN_EXISTS' });
    expect(noResume.events.at(-1)!.hint).toMatch(/--resume/);

    // Change one key in the latest checkpoint's saved config: resuming must name it.
    const root = join(work, run, 'checkpoints');
    const latest = join(root, (await readFile(join(root, 'latest'), 'utf8')).trim(), 'state.json');
    const state = JSON.parse(await readFile(latest, 'utf8')) as { config: Record<string, unknown> };
    await writeFile(latest, JSON.stringify({ ...state, config: { ...state.config, lr: 0.5 } }));
    const changed = await child(work, run, { resume: true });
    expect(changed.events.at(-1)).toMatchObject({ type: 'error', code: 'E_RESUME_CONFIG' });
    expect(changed.events.at(-1)!.message).toMatch(/\blr\b/);
    await writeFile(latest, JSON.stringify(state));

    const finished = await child(work, 'uninterrupted');
    expect(finished.events.map((e) => e.type)).toEqual(['skip']);
  });
});
