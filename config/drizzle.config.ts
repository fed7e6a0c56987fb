import { defineConfig } from 'drizzle-kit';

/** Each capability owns its tables in its own schema.ts; migrations are generated into src/db/migrations and checked in. */
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/*/schema.ts'],
  out: './src/db/migrations',
});
