// The configuration's JSON Schema, generated from the zod schema (zod 4's z.toJSONSchema) so editors
// (yaml-language-server) complete and check the same rules stormwatch applies. Shipped as
// stormwatch.schema.json; a test keeps the file equal to what this generates.

import { z } from 'zod';
import { configSchema } from './schema.js';

export const SCHEMA_FILE = 'stormwatch.schema.json';

type JsonSchema = Record<string, unknown>;

/** The schema of what a user writes (`io: input`: durations are strings, defaults optional). */
export function configJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return { ...schema, title: 'stormwatch configuration', description: 'stormwatch.yaml: see the README (Configuration) for every section.' };
}

/** The file's text: stable key order, two-space indent, a final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
