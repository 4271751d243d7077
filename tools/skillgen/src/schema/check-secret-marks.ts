import { SECRET_KEY_PATTERN } from '@pgcluster/core';
import type { JsonSchema } from './load-schemas';

/**
 * The input fields whose names look like secrets (`password`, `apiToken`, `key`, … — core's
 * `SECRET_KEY_PATTERN`) but whose schema does not say whether they are: the audit log redacts
 * by the schema's mark (`.meta({ secret: true })`), never by the name, so each such field must
 * carry `secret: true`, or `secret: false` when it is not one. Fields inside a value recorded as
 * a digest or a file (`.meta({ audit: … })`) are never recorded one by one and are not checked.
 *
 * @returns the dotted paths of the unmarked fields (`rows[].apiKey`).
 * @example
 * ```ts
 * unmarkedSecretFields({ type: 'object', properties: { password: { type: 'string' } } }) // ['password']
 * ```
 */
export function unmarkedSecretFields(schema: JsonSchema, path = ''): string[] {
  if (schema['secret'] === true || schema['audit'] !== undefined) return [];
  const found: string[] = [];
  const properties = schema['properties'];
  if (isSchemaMap(properties)) {
    for (const [name, field] of Object.entries(properties)) {
      const at = path ? `${path}.${name}` : name;
      if (SECRET_KEY_PATTERN.test(name) && field['secret'] === undefined) found.push(at);
      found.push(...unmarkedSecretFields(field, at));
    }
  }
  for (const key of ['items', 'additionalProperties'] as const) {
    const nested = schema[key];
    if (isSchema(nested)) found.push(...unmarkedSecretFields(nested, `${path}[]`));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options)) for (const option of options) if (isSchema(option)) found.push(...unmarkedSecretFields(option, path));
  }
  return [...new Set(found)];
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSchemaMap(value: unknown): value is Record<string, JsonSchema> {
  return isSchema(value) && Object.values(value).every(isSchema);
}
