/**
 * `npm run import:orders -- <file.csv>`: imports orders from a CSV file
 * (header `external_order_id,external_user_id,amount,currency,ordered_at,status`)
 * into the configured database, in batches of 1000, with a progress bar.
 * Bad rows are reported with their line numbers and skipped; good rows are
 * kept. Exit code 0 once the file was read (even with bad rows), 1 on a fatal
 * error, 2 on bad configuration or usage. Re-running the same file changes nothing.
 */
import fs from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import { CsvImportError, importOrdersCsv } from '../src/archive';
import { openDatabase } from '../src/db/connection';
import { demoCredentials } from '../src/demo';
import { ConfigError, loadConfig } from '../src/lib/config';

const MAX_REPORTED = 200;

async function main(): Promise<number> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: npm run import:orders -- <orders.csv>\n');
    return 2;
  }
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    process.stderr.write(`${file}: no such file\n`);
    return 1;
  }
  const config = loadConfig(process.env, demoCredentials);
  const size = fs.statSync(file).size;
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await database.migrate();
    const bar = new SingleBar({ format: ' {bar} {percentage}% | {rows} rows | {inserted} new, {updated} updated, {rejected} rejected', hideCursor: true }, Presets.shades_classic);
    bar.start(Math.max(size, 1), 0, { rows: 0, inserted: 0, updated: 0, rejected: 0 });
    let result;
    try {
      result = await importOrdersCsv(database.db, config.corpId, fs.createReadStream(file), (p) => bar.update(Math.min(p.bytes, size), p));
    } finally {
      bar.stop();
    }
    process.stdout.write(`\n${file}: ${result.rows} rows — ${result.inserted} inserted, ${result.updated} updated, ${result.unchanged} unchanged, ${result.rejected.length} rejected\n`);
    for (const r of result.rejected.slice(0, MAX_REPORTED)) process.stdout.write(`  line ${r.line}: ${r.errors.join('; ')}\n`);
    if (result.rejected.length > MAX_REPORTED) process.stdout.write(`  … and ${result.rejected.length - MAX_REPORTED} more rejected rows\n`);
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`${err instanceof CsvImportError ? `import stopped: ${err.message}` : (err as Error).stack}\n`);
    process.exit(1);
  },
);
