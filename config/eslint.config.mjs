// `npm run lint`: the house's walls (who may import whom, README "Layout") plus a few cheap correctness rules.
// The boundary rule is the point: it makes the layering a check instead of a convention.
import path from 'node:path';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Capabilities: each is reached from outside only through its index.ts. The two parts of touchpoints are
 * capabilities of their own (campaigns uses content through content's index.ts); `touchpoints/index.ts`
 * re-exports content and `touchpoints/schema.ts` gathers both parts' tables for drizzle-kit.
 */
const CAPABILITIES = ['access', 'ledger', 'archive', 'handover', 'segments', 'events', 'notify', 'touchpoints/content', 'touchpoints/campaigns'];
const TOUCHPOINTS_UMBRELLA = ['src/touchpoints/index.ts', 'src/touchpoints/schema.ts'];
/** Above the capabilities: read models, the HTTP layer, the workers and the composition root. */
const ABOVE = ['src/views', 'src/http', 'src/jobs', 'src/service.ts', 'src/main.ts', 'src/demo.ts'];

const capabilityZones = CAPABILITIES.map((cap) => ({
  target: [
    ...CAPABILITIES.filter((other) => other !== cap).map((other) => `src/${other}`),
    ...(cap.startsWith('touchpoints/') ? [] : TOUCHPOINTS_UMBRELLA),
    ...ABOVE,
  ],
  from: `src/${cap}`,
  except: ['./index.ts'],
  message: `Other code reaches a capability only through its index.ts: import '${cap}' (src/${cap}/index.ts), not its files.`,
}));

const zones = [
  {
    target: 'src',
    from: ['scripts', 'test', 'config'],
    message: 'Service code (src/) imports nothing from scripts/, test/ or config/.',
  },
  {
    target: 'src/lib',
    from: 'src',
    except: ['./lib'],
    message: 'src/lib imports nothing else of ours (only Node and npm packages).',
  },
  {
    target: 'src/db',
    from: 'src',
    except: ['./db', './lib'],
    message: 'src/db imports only src/lib.',
  },
  {
    target: 'src/policy',
    from: 'src',
    except: ['./policy', './lib'],
    message: 'src/policy (who may do what) imports only src/lib: http, jobs and capabilities ask it, it asks nobody.',
  },
  {
    target: 'src/wecom',
    from: 'src',
    except: ['./wecom', './db', './lib'],
    message: 'src/wecom (the WeCom client and the callback wire code) imports only src/lib and src/db.',
  },
  {
    target: CAPABILITIES.map((cap) => `src/${cap}`).concat(TOUCHPOINTS_UMBRELLA),
    from: ABOVE,
    message: 'Capabilities import lib, db, wecom and other capabilities; never views, http, jobs or the composition root above them.',
  },
  {
    target: 'src/views',
    from: ['src/http', 'src/jobs', 'src/service.ts', 'src/main.ts', 'src/demo.ts'],
    message: 'Views are read models above the capabilities: they import lib, db and capabilities\' index.ts, never http, jobs or the composition root.',
  },
  ...capabilityZones,
  {
    target: 'src/simulator',
    from: 'src',
    except: ['./simulator', './lib'],
    message: 'The simulator is a package of its own: it imports only src/lib and npm packages, nothing of the service.',
  },
  {
    target: ['src/lib', 'src/db', 'src/wecom', ...CAPABILITIES.map((cap) => `src/${cap}`), ...TOUCHPOINTS_UMBRELLA, 'src/views', 'src/http', 'src/jobs', 'src/service.ts', 'src/main.ts'],
    from: 'src/simulator',
    message: 'Service code does not import the simulator; only demo mode (src/demo.ts) does.',
  },
  {
    target: ['src/demo.ts', 'scripts', 'test'],
    from: 'src/simulator',
    except: ['./index.ts'],
    message: 'The simulator\'s only entry point is src/simulator/index.ts.',
  },
];

export default defineConfig(
  {
    // Generated or not ours: migrations are drizzle-kit's, the rest is output.
    ignores: ['dist/**', 'coverage/**', 'data/**', 'src/db/migrations/**'],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      ecmaVersion: 2022,
      sourceType: 'module',
    },
    plugins: {
      'import-x': importX,
      '@typescript-eslint': tseslint.plugin,
    },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      'import-x/no-self-import': 'error',
      // Cheap correctness checks that need no type information (type-aware rules would double the run time).
      'no-async-promise-executor': 'error',
      'no-compare-neg-zero': 'error',
      'no-cond-assign': 'error',
      'no-constant-binary-expression': 'error',
      'no-debugger': 'error',
      'no-dupe-else-if': 'error',
      'no-empty-pattern': 'error',
      'no-loss-of-precision': 'error',
      'no-self-assign': 'error',
      'no-self-compare': 'error',
      'no-sparse-arrays': 'error',
      'no-unreachable-loop': 'error',
      'no-unsafe-finally': 'error',
      'no-unsafe-optional-chaining': 'error',
      '@typescript-eslint/no-duplicate-enum-values': 'error',
      '@typescript-eslint/no-extra-non-null-assertion': 'error',
      '@typescript-eslint/no-misused-new': 'error',
      '@typescript-eslint/no-non-null-asserted-optional-chain': 'error',
      '@typescript-eslint/no-unsafe-declaration-merging': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
    },
  },
  {
    // No import cycles in the service: a cycle is two rooms that cannot be understood (or moved) apart.
    // Type-only imports do not count; npm packages are not followed.
    files: ['src/**/*.ts'],
    settings: {
      'import-x/extensions': ['.ts'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/ignore': ['node_modules'],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
);
