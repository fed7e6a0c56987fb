import { StringDecoder } from 'node:string_decoder';

/**
 * The most characters one record may hold. An order row is a few hundred
 * characters; a record far beyond that is a broken file (a stray quote that
 * swallows the rest, binary data, a missing line break), and every character
 * of it would be held in memory — 100 MB on one line cost 3.4 GB. Such a
 * record is dropped as it streams past and reported, never buffered whole.
 */
export const MAX_RECORD_CHARS = 64 * 1024;

/** One CSV record and the 1-based line of the file it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** A record longer than the bound: its text was dropped; reading went on at the next line break. */
export interface CsvOversizeRecord {
  line: number;
  tooLong: true;
  /** The bound it exceeded (characters). */
  maxChars: number;
}

export class CsvSyntaxError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'CsvSyntaxError';
  }
}

export interface ReadCsvOptions {
  /** Default MAX_RECORD_CHARS. */
  maxRecordChars?: number;
  /** Filled while reading: the most characters held for one record at any time (the reader's memory bound). */
  stats?: { peakRecordChars: number };
}

/**
 * A small streaming RFC 4180 reader (no CSV package is installed): fields
 * separated by commas, records by LF or CRLF; a quoted field may hold commas,
 * doubled quotes and line breaks. Reads chunk by chunk, so a file of any size
 * costs memory for one record, and a record is bounded (maxRecordChars): a
 * longer one is yielded as a CsvOversizeRecord (with the line it starts on)
 * and skipped up to the next line break, quoted or not — the line after it is
 * read as a fresh record. A UTF-8 BOM is skipped; blank lines are skipped.
 */
export async function* readCsv(
  source: AsyncIterable<string | Buffer>,
  opts: ReadCsvOptions = {},
): AsyncGenerator<CsvRecord | CsvOversizeRecord> {
  const maxChars = opts.maxRecordChars ?? MAX_RECORD_CHARS;
  const stats = opts.stats;
  const decoder = new StringDecoder('utf8');
  let fields: string[] = [];
  let field = '';
  let recordChars = 0; // characters held for the current record (fields so far + field)
  let skipping = false; // dropping an over-long record up to the next line break
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
    recordChars = 0;
    return rec;
  };
  /** Drops what the record holds and skips to the next line break. */
  const dropRecord = (): CsvOversizeRecord => {
    fields = [];
    field = '';
    recordChars = 0;
    quoted = false;
    afterQuote = false;
    fieldWasQuoted = false;
    skipping = true;
    return { line: recordLine, tooLong: true, maxChars };
  };

  function* feed(text: string): Generator<CsvRecord | CsvOversizeRecord> {
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
      if (skipping) {
        if (ch === '\n' || ch === '\r') {
          skipping = false;
          line++;
          recordLine = line;
          if (ch === '\r') pendingCR = true;
        }
        continue;
      }
      // The line break that ends a record is not part of it.
      const endsRecord = (ch === '\n' || ch === '\r') && (!quoted || afterQuote);
      if (!endsRecord && ++recordChars > maxChars) {
        yield dropRecord();
        i--; // look at this character again while skipping: it may be the line break (inside quotes) that ends the skip
        continue;
      }
      if (stats && recordChars > stats.peakRecordChars) stats.peakRecordChars = recordChars;
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
  if (skipping) return;
  if (quoted && !afterQuote) throw new CsvSyntaxError(recordLine, 'a quoted field is not closed at the end of the file');
  quoted = false;
  const rec = endRecord();
  if (rec) yield rec;
}
