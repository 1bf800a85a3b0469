/**
 * Reading a dataset file (JSONL manifest, `metadata.jsonl`, `metadata.csv`) into rows: the same
 * defensive read as a label (a regular UTF-8 file, never a FIFO; its content never quoted), then
 * one row per JSONL line or CSV record. A file that cannot be read at all is a DatasetError; a bad
 * line is a row carrying its skip code.
 */
import { parse } from 'node:path';
import { DatasetError } from './errors.js';
import { jsonSyntaxReason } from './json-syntax-reason.js';
import { parseCsv } from './parse-csv.js';
import { readLabelText } from './read-label.js';
import type { DatasetRow } from './row-events.js';

/** The file's text, or a DatasetError `code` naming it, with `hint`. */
export async function readDatasetText(file: string, code: string, hint: string): Promise<string> {
  const read = await readLabelText(file, [parse(file).root]);
  if (read.ok) return read.text;
  throw new DatasetError(
    code,
    `cannot read ${file}: ${read.reason.replace(/^label /, 'the file ')}`,
    { file, reason: read.code },
    hint,
  );
}

/** One row per non-blank JSONL line. Pure. */
export function jsonlRows(text: string): DatasetRow[] {
  const rows: DatasetRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    try {
      rows.push({ line: i + 1, record: JSON.parse(line) as unknown });
    } catch (err) {
      rows.push({ line: i + 1, error: { code: 'E_LABEL_INVALID_JSON', reason: jsonSyntaxReason(err, line) } });
    }
  });
  return rows;
}

/**
 * One row per CSV record after the header, as an object keyed by the header's column names.
 * `required` columns must be in the header, else the whole file is refused (`E_METADATA_INVALID`).
 */
export function csvRows(text: string, file: string, required: readonly string[]): DatasetRow[] {
  const [header, ...records] = parseCsv(text);
  const columns = header?.fields.map((f) => f.trim()) ?? [];
  const missing = required.filter((c) => !columns.includes(c));
  if (!header || header.error || missing.length > 0)
    throw new DatasetError(
      'E_METADATA_INVALID',
      header?.error
        ? `the header of ${file} cannot be read: ${header.error}`
        : `${file} has no ${missing.map((c) => `"${c}"`).join(', ')} column`,
      { file, columns: columns.join(', ') || '(none)' },
      `the first line names the columns, e.g. ${required.join(',')},caption`,
    );
  return records.map((r): DatasetRow => {
    if (r.error) return { line: r.line, error: { code: 'E_LABEL_INVALID_CSV', reason: `invalid CSV: ${r.error}` } };
    if (r.fields.length !== columns.length) {
      const reason = `invalid CSV: the row has ${r.fields.length} fields, the header ${columns.length}`;
      return { line: r.line, error: { code: 'E_LABEL_INVALID_CSV', reason } };
    }
    return { line: r.line, record: Object.fromEntries(columns.map((c, i) => [c, r.fields[i]!])) };
  });
}
