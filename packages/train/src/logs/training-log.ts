/**
 * `training_log.csv` with the seed's columns first (stage, epoch, train_loss, siglip_score,
 * diversity, lr, timestamp) and ours after. The trainer's own columns are named here; metric
 * columns come from the caller (the metric registry of @kvc/eval), so this package never names a
 * metric. Appended one row per epoch, each row flushed, so a crash keeps every finished epoch; on
 * resume rows are appended, and a file whose header lacks a column is first rewritten (atomically)
 * with the wider header, its rows kept, rather than dropping the new column's values.
 */
import { existsSync } from 'node:fs';
import { appendFile, readFile, rename, writeFile } from 'node:fs/promises';
import { TrainError } from '../errors.js';

/** A metric column of the log: the evaluation's key and the CSV column that holds it. */
export interface TrainingLogMetric {
  readonly key: string;
  readonly column: string;
  /** One of the seed's columns: placed between train_loss and lr, as the notebook wrote them. */
  readonly seedColumn?: boolean;
}

/** The trainer's own columns of one row. */
export interface TrainerLogFields {
  readonly stage: string;
  readonly epoch: number;
  readonly train_loss: number;
  readonly lr: number;
  readonly timestamp: string;
  readonly step: number;
  readonly grad_norm: number;
  /** Measured training throughput of the epoch: tokens trained / seconds spent training them. */
  readonly tokens_per_s: number;
  readonly elapsed_s: number;
  /** Loss scaling only (f16): the scale at the epoch's end, and the optimizer steps it skipped in the epoch. */
  readonly loss_scale?: number;
  readonly skipped_steps?: number;
}

export type TrainingLogRow = Readonly<Record<string, string | number | undefined>>;

/** The header for these metric columns (validated: no column twice); loss scaling adds its two columns. */
export function trainingLogColumns(
  metrics: readonly TrainingLogMetric[] = [],
  opts: { readonly lossScale?: boolean } = {},
): string[] {
  const seed = metrics.filter((m) => m.seedColumn).map((m) => m.column);
  const ours = metrics.filter((m) => !m.seedColumn).map((m) => m.column);
  const cols = ['stage', 'epoch', 'train_loss', ...seed, 'lr', 'timestamp', 'step', ...ours];
  cols.push('grad_norm', 'tokens_per_s', 'elapsed_s');
  if (opts.lossScale) cols.push('loss_scale', 'skipped_steps');
  const twice = cols.filter((c, i) => cols.indexOf(c) !== i);
  if (twice.length) {
    const message = `training_log.csv would have column(s) ${twice.join(', ')} twice`;
    throw new TrainError('E_TRAIN_OPTIONS', message, { columns: twice }, 'give each logged metric its own column name');
  }
  return cols;
}

/** Append `row` under `columns`; a new file gets the header, an older narrower one is widened first. */
export async function appendTrainingLog(path: string, columns: readonly string[], row: TrainingLogRow): Promise<void> {
  if (!existsSync(path)) await writeFile(path, columns.join(',') + '\n');
  else await widenHeader(path, columns);
  // The file's own header: it may hold columns an older run wrote besides ours.
  const header = splitCsv((await readFile(path, 'utf8')).split('\n', 1)[0]!);
  await appendFile(path, header.map((c) => csvCell(row[c])).join(',') + '\n');
}

async function widenHeader(path: string, columns: readonly string[]): Promise<void> {
  const text = await readFile(path, 'utf8');
  const [head = '', ...rest] = text.split('\n');
  const old = splitCsv(head);
  if (columns.every((c) => old.includes(c))) return;
  // Ours in order, then any column only the old file has (kept, never dropped).
  const wide = [...columns, ...old.filter((c) => !columns.includes(c))];
  const rows = rest
    .filter((l) => l !== '')
    .map((l) => {
      const cells = splitCsv(l);
      return wide.map((c) => (old.includes(c) ? csvCell(cells[old.indexOf(c)]) : '')).join(',');
    });
  await writeFile(`${path}.tmp`, [wide.join(','), ...rows].join('\n') + '\n');
  await rename(`${path}.tmp`, path);
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return '';
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Parses the CSV back (reports and tests). */
export function parseTrainingLog(text: string): Record<string, string>[] {
  const [head, ...rows] = text.trim().split('\n');
  if (!head) return [];
  const cols = splitCsv(head);
  return rows.map((r) => Object.fromEntries(splitCsv(r).map((v, i) => [cols[i]!, v])));
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
