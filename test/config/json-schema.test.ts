import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILE, configJsonSchema, configJsonSchemaText } from '../../src/config/json-schema.js';
import { PACKAGE_ROOT } from '../../src/core/paths.js';

describe('configJsonSchema', () => {
  it('the shipped stormwatch.schema.json is what the zod schema generates (run `npm run schema` after changing it)', () => {
    expect(readFileSync(join(PACKAGE_ROOT, SCHEMA_FILE), 'utf8')).toBe(configJsonSchemaText());
  });

  it('describes what users write: durations as strings, unknown keys refused, signals required', () => {
    const schema = configJsonSchema() as { required: string[]; additionalProperties: boolean; properties: Record<string, { type?: string; default?: unknown }> };
    expect(schema.required).toEqual(['source', 'signals']);
    expect(schema.additionalProperties).toBe(false);
    // Durations are written as strings (15s); their defaults live in milliseconds, so none is shown.
    expect(schema.properties.interval).toEqual({ type: 'string' });
  });
});
