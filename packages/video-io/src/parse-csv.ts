/**
 * A CSV reader for `metadata.csv` (RFC 4180): comma-separated fields, fields in double quotes may
 * hold commas, newlines and doubled quotes (`""`), records end with LF or CRLF. Each record keeps
 * the line it starts on, so a skipped row can be named `file:line`. Malformed quoting is reported
 * per record, never guessed at.
 */

/** One CSV record: its fields, the 1-based line it starts on, or why it cannot be read. */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
  /** Set when the record's quoting is malformed (its fields are then unreliable). */
  readonly error?: string;
}

/** Parse CSV text into records; blank lines are skipped. Pure. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let start = 1;
  let error: string | undefined;
  let quoted = false; // inside a quoted field
  let wasQuoted = false; // the current field was quoted (text after its closing quote is an error)
  let i = 0;
  const endField = (): void => {
    fields.push(field);
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    const blank = fields.length === 1 && fields[0] === '' && !error;
    if (!blank) records.push({ line: start, fields, ...(error ? { error } : {}) });
    fields = [];
    error = undefined;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      i++;
      continue;
    }
    if (c === '"') {
      if (field === '' && !wasQuoted) [quoted, wasQuoted] = [true, true];
      else error ??= `a quote inside an unquoted field or after a closing quote (line ${line})`;
      if (!quoted) field += c;
    } else if (c === ',') endField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      start = line;
    } else {
      if (wasQuoted) error ??= `text after a closing quote (line ${line})`;
      field += c;
    }
    i++;
  }
  if (quoted) error ??= `a quoted field is not closed before the end of the file`;
  if (field !== '' || fields.length > 0 || error) endRecord();
  return records;
}
