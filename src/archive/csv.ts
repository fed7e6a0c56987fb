import { StringDecoder } from 'node:string_decoder';

/** One CSV record and the 1-based line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

/**
 * A small streaming RFC 4180 reader (no CSV package is installed): fields
 * separated by commas, records by LF or CRLF; a quoted field may hold commas,
 * doubled quotes and line breaks. Reads chunk by chunk, so a file of any size
 * costs memory for one record. A UTF-8 BOM is skipped; blank lines are skipped.
 */
export async function* readCsv(source: AsyncIterable<string | Buffer>): AsyncGenerator<CsvRecord> {
  const decoder = new StringDecoder('utf8');
  let fields: string[] = [];
  let field = '';
  let quoted = false; // inside a quoted field
  let afterQuote = false; // just read the closing quote (or the first of a doubled one)
  let fieldWasQuoted = false;
  let line = 1;
  let recordLine = 1;
  let first = true;
  let pendingCR = false;

  const endField = () => {
    fields.push(field);
    field = '';
    fieldWasQuoted = false;
  };
  const endRecord = (): CsvRecord | undefined => {
    endField();
    const rec = fields.length === 1 && fields[0] === '' ? undefined : { line: recordLine, fields };
    fields = [];
    return rec;
  };

  function* feed(text: string): Generator<CsvRecord> {
    for (let i = 0; i < text.length; i++) {
      let ch = text[i]!;
      if (first) {
        first = false;
        if (ch === '\uFEFF') continue;
      }
      if (pendingCR) {
        pendingCR = false;
        if (ch === '\n') continue; // CRLF: the record already ended at CR
      }
      if (quoted) {
        if (afterQuote) {
          afterQuote = false;
          if (ch === '"') {
            field += '"';
            continue;
          }
          quoted = false; // that quote closed the field; fall through to handle ch
        } else if (ch === '"') {
          afterQuote = true;
          continue;
        } else {
          if (ch === '\n' || ch === '\r') {
            line++;
            if (ch === '\r') {
              pendingCR = true;
              ch = '\n';
            }
          }
          field += ch;
          continue;
        }
      }
      if (ch === ',') {
        endField();
      } else if (ch === '\n' || ch === '\r') {
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        recordLine = line;
        if (ch === '\r') pendingCR = true;
      } else if (ch === '"') {
        if (field !== '' || fieldWasQuoted) throw new CsvSyntaxError(line, 'a quote inside an unquoted field');
        quoted = true;
        fieldWasQuoted = true;
      } else {
        if (fieldWasQuoted) throw new CsvSyntaxError(line, 'text after a closing quote');
        field += ch;
      }
    }
  }

  for await (const chunk of source) yield* feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
  yield* feed(decoder.end());
  if (quoted && !afterQuote) throw new CsvSyntaxError(recordLine, 'a quoted field is not closed at the end of the file');
  quoted = false;
  const rec = endRecord();
  if (rec) yield rec;
}
