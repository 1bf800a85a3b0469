/**
 * A tolerant reader of `training_log.csv` (stage,epoch,train_loss,siglip_score,...): columns are
 * found by header name, in any order; empty cells mean "not measured"; rows with a different
 * cell count are skipped and counted, because a run in progress may be cut mid-row.
 */

/** One row: its stage, and every numeric cell by column name. */
export interface TrainingLogRow {
  readonly stage: string;
  readonly timestamp?: string;
  /** Numeric cells by header name (`epoch`, `step`, `train_loss`, `meteor`, ...). */
  readonly values: Readonly<Record<string, number>>;
}

/** What {@link parseTrainingLogCsv} found. */
export interface ParsedTrainingLog {
  readonly columns: readonly string[];
  readonly rows: readonly TrainingLogRow[];
  readonly malformed: number;
}

/** Split one CSV line into cells (RFC 4180 quoting: `"a,b"`, `""` for a quote). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cur);
      cur = '';
    } else cur += c;
  }
  cells.push(cur);
  return cells;
}

/** Parse the text of `training_log.csv`. Nothing throws; an empty file gives no rows. */
export function parseTrainingLogCsv(text: string): ParsedTrainingLog {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) return { columns: [], rows: [], malformed: 0 };
  const columns = splitCsvLine(header).map((c) => c.trim());
  const rows: TrainingLogRow[] = [];
  let malformed = 0;
  for (const line of lines.slice(1)) {
    const cells = splitCsvLine(line);
    if (cells.length !== columns.length) {
      malformed++;
      continue;
    }
    let stage = '';
    let timestamp: string | undefined;
    const values: Record<string, number> = {};
    columns.forEach((col, i) => {
      const cell = cells[i]!.trim();
      if (col === 'stage') stage = /^\d+$/.test(cell) ? `stage${cell}` : cell;
      else if (col === 'timestamp') timestamp = cell || undefined;
      else if (cell !== '') {
        const v = Number(cell);
        if (Number.isFinite(v)) values[col] = v;
      }
    });
    rows.push(timestamp === undefined ? { stage, values } : { stage, timestamp, values });
  }
  return { columns, rows, malformed };
}
