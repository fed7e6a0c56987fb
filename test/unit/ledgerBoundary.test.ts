import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import * as ledgerSchema from '../../src/ledger/schema';

/*
 * Only the ledger spells its tables: other capabilities compose `ledgerSql`
 * fragments or call the ledger's reads and writes, so a change of the
 * ledger's tables stays inside src/ledger.
 */
const SRC = join(__dirname, '../../src');
const LEDGER_TABLES = Object.values(ledgerSchema).filter((v) => is(v, PgTable)).map((t) => getTableName(t as PgTable));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** SQL that names a table: from/join/into/update followed by the name (comments are prose, not SQL). */
function spelledTables(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const names = LEDGER_TABLES.join('|');
  return [...code.matchAll(new RegExp(`\\b(?:from|join|into|update)\\s+(${names})\\b`, 'gi'))].map((m) => m[1]!);
}

describe('the ledger boundary', () => {
  it('knows the ledger tables', () => {
    expect(LEDGER_TABLES).toEqual(expect.arrayContaining(['external_contacts', 'relations', 'relation_tags', 'employees', 'customer_groups']));
  });

  it('finds a spelled ledger table (the check can fail)', () => {
    expect(spelledTables('sql`select 1 from relations r join external_contacts c on true`')).toEqual(['relations', 'external_contacts']);
    expect(spelledTables('// rows from relations\n/* join tags */ const x = 1;')).toEqual([]);
  });

  it('no file outside src/ledger spells a ledger table in SQL, nor imports the ledger schema', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file).split('\\').join('/');
      // The simulator is WeCom's stand-in with a world of its own, not a reader of ours.
      if (rel.startsWith('ledger/') || rel.startsWith('wecom/simulator/') || rel.startsWith('simulator/')) continue;
      const text = readFileSync(file, 'utf8');
      for (const t of spelledTables(text)) offenders.push(`${rel}: ${t}`);
      if (/from '(?:\.\.\/)+ledger\/schema'/.test(text)) offenders.push(`${rel}: imports ledger/schema`);
    }
    expect(offenders).toEqual([]);
  });
});
