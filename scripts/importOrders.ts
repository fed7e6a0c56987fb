/**
 * `npm run import:orders -- [--url URL] [--token TOKEN] [--allow-unknown] <file.csv>`:
 * imports orders from a CSV file (header
 * `external_order_id,external_user_id,amount,currency,ordered_at,status`)
 * into the running service, through POST /api/orders in batches of 1000, with
 * a progress bar. Bad rows are reported with their line numbers and skipped;
 * good rows are kept. Rows naming a customer the service does not know are
 * rejected unless --allow-unknown. Exit code 0 once the file was read (even
 * with bad rows), 1 on a fatal error (service unreachable, token refused,
 * unreadable file), 2 on bad usage. Re-running the same file changes nothing.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { Presets, SingleBar } from 'cli-progress';
import { CsvImportError, CsvSubmitError, importOrdersCsv, type ImportSummary } from '../src/archive';
import { callService, parseToolArgs, ServiceError, serviceTarget, SERVICE_USAGE, UsageError } from './lib/serviceClient';

const MAX_REPORTED = 200;
const USAGE = [
  'usage: npm run import:orders -- [--url URL] [--token TOKEN] [--allow-unknown] <orders.csv>',
  SERVICE_USAGE,
  '  --allow-unknown  keep orders of customers the service does not know yet (default: reject those rows)',
].join('\n');

export interface ToolIo {
  stdout: Writable;
  stderr: Writable;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, io: ToolIo = process): Promise<number> {
  const out = (s: string) => io.stdout.write(s);
  let args;
  let target;
  try {
    args = parseToolArgs(argv, { 'allow-unknown': { type: 'boolean' } });
    if (args.values.help) {
      out(`${USAGE}\n`);
      return 0;
    }
    if (args.positionals.length !== 1) throw new UsageError('give exactly one CSV file');
    target = serviceTarget(args.values, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message}\n${USAGE}\n`);
    return 2;
  }
  const file = args.positionals[0]!;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    io.stderr.write(`${file}: no such file\n`);
    return 1;
  }
  const allowUnknown = args.values['allow-unknown'] === true;
  const size = fs.statSync(file).size;
  const t = target;
  const submit = (orders: Array<Record<string, string>>) => callService<ImportSummary>(t, 'POST', '/api/orders', { orders, allowUnknown });
  try {
    // An empty import first: an unreachable service or a refused token is reported before any reading (and even for a header-only file).
    await submit([]);
  } catch (err) {
    if (!(err instanceof ServiceError)) throw err;
    io.stderr.write(`${err.message}\n`);
    return 1;
  }

  const bar = new SingleBar({
    format: ' {bar} {percentage}% | {rows} rows | {inserted} new, {updated} updated, {rejected} rejected', hideCursor: true, stream: io.stderr,
  }, Presets.shades_classic);
  bar.start(Math.max(size, 1), 0, { rows: 0, inserted: 0, updated: 0, rejected: 0 });
  let result;
  try {
    result = await importOrdersCsv(fs.createReadStream(file), submit, (p) => bar.update(Math.min(p.bytes, size), p));
  } catch (err) {
    bar.stop();
    if (err instanceof CsvImportError) {
      io.stderr.write(`${file}: import stopped: ${err.message}\n`);
      return 1;
    }
    if (err instanceof CsvSubmitError) {
      const cause = err.cause instanceof ServiceError ? err.cause.message : err.message;
      io.stderr.write(`${file}: import stopped at line ${err.firstLine}: ${cause}\n`);
      if (err.firstLine > 2) io.stderr.write(`  rows before line ${err.firstLine} were imported; run the same file again once fixed (nothing is imported twice)\n`);
      return 1;
    }
    throw err;
  }
  bar.stop();
  out(`\n${file}: ${result.rows} rows — ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged, ${result.rejected.length} rejected\n`);
  for (const r of result.rejected.slice(0, MAX_REPORTED)) out(`  line ${r.line}: ${r.errors.join('; ')}\n`);
  if (result.rejected.length > MAX_REPORTED) out(`  … and ${result.rejected.length - MAX_REPORTED} more rejected rows\n`);
  const unknown = result.rejected.filter((r) => r.code === 'unknown_customer').length;
  if (unknown > 0) {
    out(`${unknown} rows name customers the service does not know: run \`npm run sync\` first if they are new, or import with --allow-unknown to keep them until they appear\n`);
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
