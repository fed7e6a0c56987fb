import { Readable } from 'node:stream';
import { CsvSyntaxError, MAX_RECORD_CHARS, readCsv, type CsvOversizeRecord, type CsvRecord, type ReadCsvOptions } from '../../src/archive/csv';

async function parse(chunks: Iterable<string | Buffer> | AsyncIterable<string | Buffer>, opts?: ReadCsvOptions): Promise<Array<CsvRecord | CsvOversizeRecord>> {
  const out: Array<CsvRecord | CsvOversizeRecord> = [];
  for await (const r of readCsv(Readable.from(chunks), opts)) out.push(r);
  return out;
}

describe('readCsv', () => {
  it('reads plain, quoted, escaped and multi-line fields with the line each record starts on', async () => {
    const text = '\uFEFFa,b,c\r\n"x,1","say ""hi""",""\n\n"multi\r\nline",2,3\nlast,,';
    expect(await parse([text])).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x,1', 'say "hi"', ''] },
      { line: 4, fields: ['multi\nline', '2', '3'] },
      { line: 6, fields: ['last', '', ''] },
    ]);
  });

  it('gives the same records whatever the chunking, including split UTF-8 characters and CRLF', async () => {
    const text = 'id,name\r\n1,"张三, ""老"" 客户"\r\n2,"李\r\n四"\r\n3,王五';
    const whole = await parse([text]);
    const bytes = Buffer.from(text);
    for (const size of [1, 2, 3, 5]) {
      const parts: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
      expect(await parse(parts)).toEqual(whole);
    }
    expect(whole.map((r) => r.line)).toEqual([1, 2, 3, 5]);
    expect(whole[1]).toMatchObject({ fields: ['1', '张三, "老" 客户'] });
  });

  it('rejects broken quoting with the line', async () => {
    await expect(parse(['a,b\n"x"y,1\n'])).rejects.toMatchObject({ line: 2, message: 'line 2: text after a closing quote' });
    await expect(parse(['a,b\nx"y,1\n'])).rejects.toBeInstanceOf(CsvSyntaxError);
    await expect(parse(['a\n"open\n'])).rejects.toMatchObject({ line: 2 });
  });
});

describe('readCsv bounds a record', () => {
  it('drops a 16 MB line as it streams past, reports its line and reads the next line: memory stays bounded', async () => {
    const LONG = 16 * 1024 * 1024;
    // Generated chunk by chunk: the test never holds the long line either.
    async function* file() {
      yield 'a,b\n1,2\n';
      const piece = Buffer.alloc(64 * 1024, 'x');
      for (let n = 0; n < LONG; n += piece.length) yield piece;
      yield '\n3,4\n';
    }
    const stats = { peakRecordChars: 0 };
    const records = await parse(file(), { stats });
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 3, tooLong: true, maxChars: MAX_RECORD_CHARS },
      { line: 4, fields: ['3', '4'] },
    ]);
    expect(stats.peakRecordChars).toBeLessThanOrEqual(MAX_RECORD_CHARS);
    expect(stats.peakRecordChars).toBeGreaterThan(0);
  });

  it('keeps a record of exactly the bound; one character more is dropped, its line breaks included', async () => {
    const opts = { maxRecordChars: 10 };
    expect(await parse(['abcd,efghi\r\nnext\r\n'], opts)).toEqual([{ line: 1, fields: ['abcd', 'efghi'] }, { line: 2, fields: ['next'] }]);
    expect(await parse(['abcd,efghij\r\nnext\r\n'], opts)).toEqual([{ line: 1, tooLong: true, maxChars: 10 }, { line: 2, fields: ['next'] }]);
    // A quoted field that never closes swallows no more than the bound: reading resumes at the next line break.
    expect(await parse(['x,"open\nstill open and long\nok,1\n'], opts)).toEqual([
      { line: 1, tooLong: true, maxChars: 10 },
      { line: 3, fields: ['ok', '1'] },
    ]);
    // An over-long last line without a line break.
    expect(await parse(['ok\n', 'y'.repeat(11)], opts)).toEqual([{ line: 1, fields: ['ok'] }, { line: 2, tooLong: true, maxChars: 10 }]);
  });
});
