// Generates config/runway.schema.json (for editors: `# yaml-language-server: $schema=...`).
// `--check` fails when the committed file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { configSchema } from './schema.js';

export const SCHEMA_PATH = fileURLToPath(new URL('./runway.schema.json', import.meta.url));

export function renderJsonSchema(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return JSON.stringify({ ...schema, title: 'Runway configuration (runway.yaml)' }, null, 2) + '\n';
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rendered = renderJsonSchema();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(SCHEMA_PATH, 'utf8');
    } catch {
      /* missing counts as stale */
    }
    if (current !== rendered) {
      console.error('config/runway.schema.json is stale: run `npm run schema`');
      process.exit(1);
    }
  } else {
    writeFileSync(SCHEMA_PATH, rendered);
    console.log(`wrote ${SCHEMA_PATH}`);
  }
}
