import { Readable } from 'node:stream';
import { CsvSyntaxError, readCsv, type CsvRecord } from '../../src/archive/csv';

async function parse(chunks: Array<string | Buffer>): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsv(Readable.from(chunks))) out.push(r);
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
    expect(whole[1]!.fields[1]).toBe('张三, "老" 客户');
  });

  it('rejects broken quoting with the line', async () => {
    await expect(parse(['a,b\n"x"y,1\n'])).rejects.toMatchObject({ line: 2, message: 'line 2: text after a closing quote' });
    await expect(parse(['a,b\nx"y,1\n'])).rejects.toBeInstanceOf(CsvSyntaxError);
    await expect(parse(['a\n"open\n'])).rejects.toMatchObject({ line: 2 });
  });
});
