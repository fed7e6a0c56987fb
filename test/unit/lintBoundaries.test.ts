/**
 * The boundary rule of `npm run lint` (config/eslint.config.mjs) bites: each case
 * lints one made-up file at a real place in the tree and expects the import to be
 * refused with the rule in words, or let through.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

interface Case {
  file: string;
  imports: string;
  /** A piece of the message the refusal must carry; null: the import is allowed. */
  refused: RegExp | null;
}

const CASES: Record<string, Case> = {
  'lib imports nothing of ours': { file: 'src/lib/x.ts', imports: '../ledger', refused: /src\/lib imports nothing else of ours/ },
  'db imports only lib': { file: 'src/db/x.ts', imports: '../wecom/client', refused: /src\/db imports only src\/lib/ },
  'db may import lib': { file: 'src/db/x.ts', imports: '../lib/errors', refused: null },
  "a capability reaches another capability's files": {
    file: 'src/archive/x.ts', imports: '../ledger/schema', refused: /only through its index\.ts: import 'ledger'/,
  },
  "a capability imports another capability's index": { file: 'src/archive/x.ts', imports: '../ledger', refused: null },
  'a capability imports its own files': { file: 'src/archive/x.ts', imports: './schema', refused: null },
  "campaigns reach content's files": {
    file: 'src/touchpoints/campaigns/x.ts', imports: '../content/render', refused: /import 'touchpoints\/content'/,
  },
  'a capability imports a view': { file: 'src/ledger/x.ts', imports: '../views/timeline', refused: /never views, http, jobs/ },
  'http imports a view': { file: 'src/http/x.ts', imports: '../views/timeline', refused: null },
  "jobs reach a capability's files": { file: 'src/jobs/x.ts', imports: '../handover/schema', refused: /import 'handover'/ },
  'service code imports the simulator': { file: 'src/http/x.ts', imports: '../simulator', refused: /only demo mode \(src\/demo\.ts\) does/ },
  'demo mode imports the simulator': { file: 'src/demo.ts', imports: './simulator', refused: null },
  'the simulator imports the service': { file: 'src/simulator/x.ts', imports: '../ledger', refused: /imports only src\/lib and npm packages/ },
  "a test reaches the simulator's files": { file: 'test/x.test.ts', imports: '../src/simulator/world/seed', refused: /only entry point is src\/simulator\/index\.ts/ },
  'a test imports the simulator': { file: 'test/x.test.ts', imports: '../src/simulator', refused: null },
};

/** One ESLint run for all cases (its start-up is the slow part): the boundary messages per case. */
function lintAll(): Record<string, string[]> {
  const script = `
    const { ESLint } = require('eslint');
    (async () => {
      const eslint = new ESLint({ cwd: ${JSON.stringify(root)}, overrideConfigFile: 'config/eslint.config.mjs' });
      const cases = JSON.parse(process.argv[1]);
      const out = {};
      for (const [name, c] of Object.entries(cases)) {
        const [result] = await eslint.lintText("import { x } from '" + c.imports + "';\\nexport const y = x;\\n", { filePath: c.file });
        out[name] = result.messages.filter((m) => m.ruleId === 'import-x/no-restricted-paths' || m.fatal).map((m) => m.message);
      }
      process.stdout.write(JSON.stringify(out));
    })().catch((err) => { console.error(err); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(CASES)], { cwd: root, encoding: 'utf8' }));
}

describe('npm run lint: the boundary rule', () => {
  let messages: Record<string, string[]>;
  beforeAll(() => {
    messages = lintAll();
  }, 60_000);

  it.each(Object.keys(CASES))('%s', (name) => {
    const c = CASES[name]!;
    if (c.refused) {
      expect(messages[name]).toHaveLength(1);
      expect(messages[name]![0]).toMatch(c.refused);
    } else {
      expect(messages[name]).toEqual([]);
    }
  });
});
