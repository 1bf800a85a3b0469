/**
 * `training_log.csv` with the seed's columns first (stage, epoch, train_loss, siglip_score,
 * diversity, lr, timestamp) and ours after. Appended one row per epoch, each row flushed, so a
 * crash keeps every finished epoch; on resume rows are appended, never rewritten.
 */
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';

export const TRAINING_LOG_COLUMNS = [
  'stage',
  'epoch',
  'train_loss',
  'siglip_score',
  'diversity',
  'lr',
  'timestamp',
  'step',
  'meteor',
  'bertscore_f1',
  'cider',
  'eos_rate',
  'grad_norm',
  'tokens_per_s',
  'elapsed_s',
] as const;

export type TrainingLogRow = Partial<Record<(typeof TRAINING_LOG_COLUMNS)[number], string | number | undefined>>;

export async function appendTrainingLog(path: string, row: TrainingLogRow): Promise<void> {
  if (!existsSync(path)) await writeFile(path, TRAINING_LOG_COLUMNS.join(',') + '\n');
  const cells = TRAINING_LOG_COLUMNS.map((c) => csvCell(row[c]));
  await appendFile(path, cells.join(',') + '\n');
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
  const cols = head.split(',');
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
