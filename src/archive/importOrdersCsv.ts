import { CsvSyntaxError, readCsv } from './csv';
import type { ImportSummary } from './orders';

export const CSV_HEADER = ['external_order_id', 'external_user_id', 'amount', 'currency', 'ordered_at', 'status'] as const;
/** Rows per submit: a progress step, and well under POST /api/orders' 5000 per request. */
export const CSV_BATCH = 1000;

export interface CsvImportProgress {
  /** Data records read so far. */
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Bytes read so far (for a progress bar against the file size). */
  bytes: number;
}

export interface CsvRejectedLine {
  /** The file line the record starts on. */
  line: number;
  /** The service's reject code (invalid_order, duplicate_order, unknown_customer), or invalid_row when the record could not be read as a row. */
  code: string;
  errors: string[];
}

export interface CsvImportResult extends Omit<CsvImportProgress, 'rejected' | 'bytes'> {
  /** Bad rows by the file line they start on, with every reason. */
  rejected: CsvRejectedLine[];
}

/** Where the rows of a batch go (POST /api/orders): the answer reports rejects by index in the batch. */
export type SubmitOrders = (rows: Array<Record<string, string>>) => Promise<ImportSummary>;

/** Thrown when the file itself cannot be read as our CSV (bad header, broken quoting): nothing after it is imported. */
export class CsvImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvImportError';
  }
}

/** A batch could not be submitted: its lines and everything after are not imported; the lines before are. */
export class CsvSubmitError extends Error {
  constructor(readonly firstLine: number, readonly lastLine: number, cause: unknown) {
    super(`lines ${firstLine}–${lastLine} were not imported: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CsvSubmitError';
  }
}

/**
 * Reads an orders CSV (header `external_order_id,external_user_id,amount,currency,ordered_at,status`,
 * columns in any order) from a stream and submits its rows in batches of
 * CSV_BATCH; what the submit rejects by index is mapped back to file lines,
 * with the records that could not be read as rows (wrong field count, longer
 * than the reader's bound). Idempotent when the submit is (POST /api/orders),
 * so a rerun of the same file changes nothing.
 */
export async function importOrdersCsv(
  stream: AsyncIterable<string | Buffer>,
  submit: SubmitOrders,
  onProgress: (p: CsvImportProgress) => void = () => undefined,
): Promise<CsvImportResult> {
  let bytes = 0;
  async function* counted() {
    for await (const chunk of stream) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  }
  const result: CsvImportResult = { rows: 0, inserted: 0, updated: 0, unchanged: 0, rejected: [] };
  let header: string[] | undefined;
  let rows: Array<{ line: number; row: Record<string, string> }> = [];
  let unreadable: CsvRejectedLine[] = [];
  let firstLine = 0;

  const flush = async () => {
    if (rows.length === 0 && unreadable.length === 0) return;
    const batch = rows;
    const own = unreadable;
    rows = [];
    unreadable = [];
    const lastLine = Math.max(batch.at(-1)?.line ?? 0, own.at(-1)?.line ?? 0);
    const rejected = [...own];
    if (batch.length > 0) {
      let s: ImportSummary;
      try {
        s = await submit(batch.map((b) => b.row));
      } catch (err) {
        throw new CsvSubmitError(firstLine, lastLine, err);
      }
      result.inserted += s.inserted;
      result.updated += s.updated;
      result.unchanged += s.unchanged;
      for (const r of s.rejected) rejected.push({ line: batch[r.index]!.line, code: r.code, errors: r.errors });
    }
    result.rejected.push(...rejected.sort((a, b) => a.line - b.line));
    firstLine = 0;
    onProgress({ rows: result.rows, inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, rejected: result.rejected.length, bytes });
  };
  const add = async (line: number, entry: { row: Record<string, string> } | { error: string }) => {
    result.rows++;
    if (!firstLine) firstLine = line;
    if ('row' in entry) rows.push({ line, row: entry.row });
    else unreadable.push({ line, code: 'invalid_row', errors: [entry.error] });
    if (rows.length + unreadable.length >= CSV_BATCH) await flush();
  };

  try {
    for await (const rec of readCsv(counted())) {
      if ('tooLong' in rec) {
        if (!header) throw new CsvImportError(`line ${rec.line}: the header is longer than ${rec.maxChars} characters`);
        await add(rec.line, { error: `row: longer than ${rec.maxChars} characters (skipped up to the next line break)` });
        continue;
      }
      if (!header) {
        header = rec.fields.map((f) => f.trim().toLowerCase());
        const missing = CSV_HEADER.filter((h) => !header!.includes(h));
        if (missing.length > 0) throw new CsvImportError(`line ${rec.line}: the header lacks ${missing.join(', ')} (expected ${CSV_HEADER.join(',')})`);
        continue;
      }
      if (rec.fields.length !== header.length) {
        await add(rec.line, { error: `row: has ${rec.fields.length} fields, the header has ${header.length}` });
        continue;
      }
      const v = Object.fromEntries(header.map((h, i) => [h, rec.fields[i]!]));
      await add(rec.line, {
        row: {
          externalOrderId: v.external_order_id!, externalUserId: v.external_user_id!, amount: v.amount!, currency: v.currency!,
          orderedAt: v.ordered_at!, status: v.status!,
        },
      });
    }
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    // The rows before the break are good: keep them, then stop.
    await flush();
    throw new CsvImportError(`${err.message} (rows before it were imported)`);
  }
  if (!header) throw new CsvImportError('the file is empty (no header row)');
  await flush();
  return result;
}
