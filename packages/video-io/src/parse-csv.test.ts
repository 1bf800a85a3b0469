import { describe, expect, it } from 'vitest';
import { parseCsv } from './parse-csv.js';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and newlines, CRLF, and the line each record starts on', () => {
    const head = 'file_name,caption\r\na.mp4,"빨간 원, 왼쪽으로"\r\n\r\n';
    const text = head + '"b.mp4","두 줄\n캡션 ""인용"""\nc.mp4,\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['file_name', 'caption'] },
      { line: 2, fields: ['a.mp4', '빨간 원, 왼쪽으로'] },
      { line: 4, fields: ['b.mp4', '두 줄\n캡션 "인용"'] },
      { line: 6, fields: ['c.mp4', ''] },
    ]);
  });

  it('a last record without a newline is read; malformed quoting is reported on its record only', () => {
    expect(parseCsv('x,y\n1,2')).toEqual([
      { line: 1, fields: ['x', 'y'] },
      { line: 2, fields: ['1', '2'] },
    ]);
    const bad = parseCsv('a,b\nx"y,1\n"ok",2\n"z"w,3\n"open,4\n5,6\n');
    expect(bad.map((r) => [r.line, r.error !== undefined])).toEqual([
      [1, false],
      [2, true],
      [3, false],
      [4, true],
      [5, true],
    ]);
    expect(bad.at(-1)!.error).toMatch(/not closed/);
  });
});
