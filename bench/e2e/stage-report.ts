/**
 * Wall time and device peak of each stage of an e2e run, from what the run already logs plus what
 * the driver records: `<run>/events.jsonl` (every trainer event with its time; step events carry
 * tfjs's live bytes), `phases.tsv` (`name startMs endMs` of each kvc process the driver ran) and
 * `memory.tsv` (`timeMs MiB` samples: nvidia-smi's used memory on the GPU machine, the kvc
 * process's RSS on the CPU). Writes `<run>/e2e-stages.json` and `<run>/e2e-stages.md` (the table
 * against the notebook's numbers) and prints the table. A run resumed over several processes adds
 * up each stage's intervals; time between processes counts for nothing. From the CLI's own --json output in WORK
 * (`cache.jsonl`, `train.jsonl`) it adds where the time went inside two stages: each split's cache timing (the
 * encoder's host part and its wait for the features, the decoders') and each evaluation's scoring (`eval-timings`).
 * Usage (through bench/demo/run.sh): stage-report.ts WORK RUN_DIR VIDEOS VAL_CAPTIONS LABEL
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The notebook (A100 80GB, Colab): caching 4.95 s/video (71 min, 865 videos), eval 95 s per 4 captions,
 * a stage-2 step ~13 s. */
const NOTEBOOK = { cacheSPerVideo: 4.95, stage2SPerStep: 13, evalSPer4: 95 };

interface Ev {
  readonly t: number;
  readonly type: string;
  readonly stage?: string;
  readonly memoryMB?: number;
}

export interface StageRow {
  readonly stage: string;
  wallS: number;
  /** Steps (stages), videos (cache) or captions (evaluations). */
  units: number;
  unit: string;
  peakMiB: number | undefined;
  tfjsPeakMB: number | undefined;
}

const lines = (f: string): string[] =>
  existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean) : [];

/**
 * Splits time into stages: each interval between two events (or a process edge) belongs to the stage the
 * earlier one opened.
 */
export function stageIntervals(events: readonly Ev[], processes: readonly [string, number, number][]) {
  const out: { stage: string; from: number; to: number }[] = [];
  for (const [name, start, end] of processes) {
    if (name !== 'train') {
      out.push({ stage: name, from: start, to: end });
      continue;
    }
    let stage = 'load';
    let from = start;
    for (const e of events.filter((x) => x.t >= start && x.t <= end)) {
      const next =
        e.type === 'stage-start'
          ? e.stage!
          : e.type === 'epoch' && e.stage === 'stage2'
            ? 'eval'
            : e.type === 'evaluation'
              ? e.stage!
              : e.type === 'run-end'
                ? 'final-eval'
                : stage;
      if (next !== stage) {
        out.push({ stage, from, to: e.t });
        stage = next;
        from = e.t;
      }
    }
    out.push({ stage, from, to: end });
  }
  return out;
}

/** JSON lines of a file, those that parse (the CLI's --json output; a cut last line is skipped). */
const jsonLines = (f: string): Record<string, unknown>[] =>
  lines(f).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });

/** Where the time went inside the cache and the evaluations, from the CLI's --json output in `work`. */
export function insideStages(work: string): string[] {
  const s = (ms: unknown) => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '—');
  const out: string[] = [];
  const result = jsonLines(join(work, 'cache.jsonl')).find((e) => e.type === 'result');
  const splits = (result?.splits ?? []) as { split: string; encoded: number; timing?: Record<string, number> }[];
  const timed = splits.filter((x) => x.timing && x.encoded > 0);
  if (timed.length) {
    out.push(
      '| cache split | videos encoded | wall | encoder | of it: host | of it: waiting for the features | decode slots busy |',
      '|---|---|---|---|---|---|---|',
      ...timed.map(({ split, encoded, timing: t }) => {
        const busy = t!.decodeMs! / (t!.wallMs! * t!.decodeSlots!);
        return `| ${split} | ${encoded} | ${s(t!.wallMs)} | ${s(t!.encodeMs)} | ${s(t!.encodeHostMs)} | ${s(t!.encodeWaitMs)} | ${Math.round(100 * busy)}% of ${t!.decodeSlots} |`;
      }),
      '',
    );
  }
  const evals = jsonLines(join(work, 'train.jsonl')).filter((e) => e.type === 'eval-timings');
  if (evals.length) {
    const names = [...new Set(evals.flatMap((e) => Object.keys((e.scorers ?? {}) as object)))];
    out.push(
      `| evaluation's scoring (after generation) | ${names.map((n) => `${n}: batches (load)`).join(' | ')} | pure metrics |`,
      `|---|${names.map(() => '---|').join('')}---|`,
      ...evals.map((e, i) => {
        const sc = (e.scorers ?? {}) as Record<string, { loadMs: number; scoreMs: number }>;
        const cells = names.map((n) => (sc[n] ? `${s(sc[n].scoreMs)} (${s(sc[n].loadMs)})` : '—'));
        return `| ${i === evals.length - 1 ? 'final' : `${i + 1}`} | ${cells.join(' | ')} | ${s(e.pureMs)} |`;
      }),
      '',
    );
  }
  return out;
}

function main(): void {
  const [work, runDir, videos, valCaptions, label] = process.argv.slice(2);
  if (!work || !runDir || !videos || !valCaptions) {
    console.error('usage: stage-report.ts WORK RUN_DIR VIDEOS VAL_CAPTIONS LABEL');
    process.exit(2);
  }
  const events: Ev[] = lines(join(runDir, 'events.jsonl')).map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    return { ...(o as object), t: Date.parse(String(o.time)) } as Ev;
  });
  const processes = lines(join(work, 'phases.tsv')).map((l) => {
    const [n, s, e] = l.split(/\s+/);
    return [n!, Number(s), Number(e)] as [string, number, number];
  });
  const samples = lines(join(work, 'memory.tsv')).map((l) => l.split(/\s+/).map(Number) as [number, number]);
  const rows = new Map<string, StageRow>();
  for (const iv of stageIntervals(events, processes)) {
    const row = rows.get(iv.stage) ?? {
      stage: iv.stage,
      wallS: 0,
      units: 0,
      unit: '',
      peakMiB: undefined,
      tfjsPeakMB: undefined,
    };
    row.wallS += (iv.to - iv.from) / 1000;
    for (const [t, mib] of samples) if (t >= iv.from && t <= iv.to) row.peakMiB = Math.max(row.peakMiB ?? 0, mib);
    rows.set(iv.stage, row);
  }
  for (const e of events.filter((x) => x.type === 'step')) {
    const row = rows.get(e.stage!);
    if (!row) continue;
    row.units += 1;
    row.unit = 'steps';
    row.tfjsPeakMB = Math.max(row.tfjsPeakMB ?? 0, e.memoryMB ?? 0);
  }
  const evals = events.filter((x) => x.type === 'evaluation').length;
  const set = (name: string, units: number, unit: string) => {
    const row = rows.get(name);
    if (row) Object.assign(row, { units, unit });
  };
  set('cache', Number(videos), 'videos');
  set('eval', evals * Number(valCaptions), 'captions');
  set('final-eval', Number(valCaptions), 'captions');
  const per = (name: string, k = 1) => {
    const r = rows.get(name);
    return r && r.units > 0 ? (r.wallS / r.units) * k : undefined;
  };
  const fmt = (x: number | undefined, d = 1) => (x === undefined ? '—' : x.toFixed(d));
  const ratio = (a: number | undefined, b: number) => (a === undefined ? '—' : `${(a / b).toFixed(2)}×`);
  const table = [
    `| stage | wall s | units | s per unit | device peak MiB | tfjs live MB (max at a step) |`,
    `|---|---|---|---|---|---|`,
    ...[...rows.values()].map(
      (r) =>
        `| ${r.stage} | ${fmt(r.wallS)} | ${r.units || '—'} ${r.unit} ` +
        `| ${fmt(r.units ? r.wallS / r.units : undefined, 2)} | ${fmt(r.peakMiB, 0)} | ${fmt(r.tfjsPeakMB, 0)} |`,
    ),
  ];
  const evalPer4 = per('final-eval', 4);
  const compare = (what: string, ours: number | undefined, digits: number, nb: number | undefined) =>
    `| ${what} | ${fmt(ours, digits)} | ${nb === undefined ? '—' : nb} | ${nb === undefined ? '—' : ratio(ours, nb)} |`;
  const comparison = [
    `| what | this run | notebook (A100, Colab) | this / notebook |`,
    `|---|---|---|---|`,
    compare('caching, s per video', per('cache'), 2, NOTEBOOK.cacheSPerVideo),
    compare('stage-1 step, s', per('stage1'), 1, undefined),
    compare('stage-2 step, s (notebook: about 13)', per('stage2'), 1, NOTEBOOK.stage2SPerStep),
    compare('evaluation, s per batch of 4 captions (final)', evalPer4, 1, NOTEBOOK.evalSPer4),
  ];
  const note =
    'device peak: nvidia-smi memory.used (the whole GPU) where there is one, else the kvc process RSS; ' +
    's per step includes the epoch-end checkpoint; eval = the stage-2 per-epoch evaluation.';
  const inside = insideStages(work);
  const md = [`## ${label ?? 'e2e'}`, '', ...table, '', note, '', ...comparison, '', ...inside].join('\n');
  writeFileSync(join(runDir, 'e2e-stages.md'), md);
  writeFileSync(
    join(runDir, 'e2e-stages.json'),
    JSON.stringify({ label, stages: [...rows.values()], notebook: NOTEBOOK }, null, 2) + '\n',
  );
  console.log(md);
}

main();
