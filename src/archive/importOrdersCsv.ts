import type { Db } from '../db/connection';
import { CsvSyntaxError, readCsv } from './csv';
import { importOrders } from './orders';

export const CSV_HEADER = ['external_order_id', 'external_user_id', 'amount', 'currency', 'ordered_at', 'status'] as const;
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

export interface CsvImportResult extends Omit<CsvImportProgress, 'rejected' | 'bytes'> {
  /** Bad rows by the file line they start on, with every reason. */
  rejected: Array<{ line: number; errors: string[] }>;
}

/** Thrown when the file itself cannot be read as our CSV (bad header, broken quoting): nothing after it is imported. */
export class CsvImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvImportError';
  }
}

/**
 * Imports an orders CSV (header `external_order_id,external_user_id,amount,currency,ordered_at,status`)
 * from a stream, in batches of CSV_BATCH through importOrders: good rows are
 * kept, bad ones reported with their line numbers and skipped. Idempotent
 * like importOrders, so a rerun of the same file changes nothing.
 */
export async function importOrdersCsv(
  db: Db,
  corpId: string,
  stream: AsyncIterable<string | Buffer>,
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
  let batch: Array<{ line: number; row: Record<string, string> | undefined; error?: string }> = [];

  const flush = async () => {
    if (batch.length === 0) return;
    const lines = batch.map((b) => b.line);
    const s = await importOrders(db, corpId, batch.map((b) => b.row ?? null), 'csv');
    result.inserted += s.inserted;
    result.updated += s.updated;
    result.unchanged += s.unchanged;
    for (const r of s.rejected) {
      const own = batch[r.index]!.error;
      result.rejected.push({ line: lines[r.index]!, errors: own ? [own] : r.errors });
    }
    batch = [];
    onProgress({ rows: result.rows, inserted: result.inserted, updated: result.updated, unchanged: result.unchanged, rejected: result.rejected.length, bytes });
  };

  try {
    for await (const rec of readCsv(counted())) {
      if ('tooLong' in rec) {
        if (!header) throw new CsvImportError(`line ${rec.line}: the header is longer than ${rec.maxChars} characters`);
        result.rows++;
        batch.push({ line: rec.line, row: undefined, error: `row: longer than ${rec.maxChars} characters (skipped up to the next line break)` });
        if (batch.length >= CSV_BATCH) await flush();
        continue;
      }
      if (!header) {
        header = rec.fields.map((f) => f.trim().toLowerCase());
        const missing = CSV_HEADER.filter((h) => !header!.includes(h));
        if (missing.length > 0) throw new CsvImportError(`line ${rec.line}: the header lacks ${missing.join(', ')} (expected ${CSV_HEADER.join(',')})`);
        continue;
      }
      result.rows++;
      if (rec.fields.length !== header.length) {
        batch.push({ line: rec.line, row: undefined, error: `row: has ${rec.fields.length} fields, the header has ${header.length}` });
      } else {
        const v = Object.fromEntries(header.map((h, i) => [h, rec.fields[i]!]));
        batch.push({
          line: rec.line,
          row: {
            externalOrderId: v.external_order_id!, externalUserId: v.external_user_id!, amount: v.amount!, currency: v.currency!,
            orderedAt: v.ordered_at!, status: v.status!,
          },
        });
      }
      if (batch.length >= CSV_BATCH) await flush();
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
