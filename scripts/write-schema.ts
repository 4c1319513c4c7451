// Writes stormwatch.schema.json, the configuration's JSON Schema for editors, from the zod schema.
// `npm run schema` after a schema change; test/config/json-schema.test.ts fails until it is run.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_FILE, configJsonSchemaText } from '../src/config/json-schema.js';
import { PACKAGE_ROOT } from '../src/core/paths.js';

const file = join(PACKAGE_ROOT, SCHEMA_FILE);
writeFileSync(file, configJsonSchemaText());
process.stdout.write(`wrote ${file}\n`);
