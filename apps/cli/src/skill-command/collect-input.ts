import { InputError, jsonSyntaxError } from '@pgcluster/core';
import type { GeneratedCommand, GeneratedFlag } from './generated-command';

/**
 * Builds a skill's raw input from the command line: `--input '<json>'` (or `--input -`,
 * read from stdin) gives the whole object, exactly as the input JSON Schema of the manifest
 * describes it; flags set single fields and **win** over the same field in `--input`. The
 * executor then validates the result against the skill's schema (defaults, ranges, enums).
 *
 * @param argv yargs' parsed arguments (flags under their kebab-case names).
 * @throws InputError naming the flag when a value cannot be parsed.
 * @example
 * ```ts
 * await collectInput(command, { input: '{"efSearch":40}', 'ef-search': 80 }, readStdin) // { efSearch: 80 }
 * ```
 */
export async function collectInput(
  command: Pick<GeneratedCommand, 'name' | 'flags'>,
  argv: Readonly<Record<string, unknown>>,
  readStdin: () => Promise<string>,
): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = argv['input'] === undefined ? {} : await parseInputJson(command.name, argv['input'], readStdin);
  for (const flag of command.flags) {
    const value = argv[flag.name];
    if (value === undefined) continue;
    input[flag.property] = flagValue(flag, value);
  }
  return input;
}

async function parseInputJson(skill: string, raw: unknown, readStdin: () => Promise<string>): Promise<Record<string, unknown>> {
  const allowed = `must be a JSON object matching the input schema of ${skill} (see \`pgcluster skills show ${skill}\` or skills/manifest.json)`;
  if (typeof raw !== 'string') throw new InputError('--input', `${allowed}; give it once`);
  const text = raw === '-' ? await readStdin() : raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError('--input', `${allowed}; it is not valid JSON (${jsonSyntaxError(error, text)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('--input', `${allowed}; got ${Array.isArray(parsed) ? 'an array' : parsed === null ? 'null' : `a ${typeof parsed}`}`);
  }
  return parsed as Record<string, unknown>;
}

function flagValue(flag: GeneratedFlag, value: unknown): unknown {
  const name = `--${flag.name}`;
  // Messages name the flag and the JSON field, as the executor's do.
  const field = `${name} (${flag.property})`;
  switch (flag.type) {
    case 'number':
    case 'integer':
      return numberOf(field, flag.type, last(value));
    case 'boolean':
      return Boolean(last(value));
    case 'string':
      return String(last(value));
    case 'array': {
      let items: unknown[] = Array.isArray(value) ? value : [value];
      const only = items.length === 1 ? String(items[0]).trim() : '';
      if (only.startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(only);
          if (Array.isArray(parsed)) items = parsed;
        } catch {
          throw new InputError(field, `must be values separated by spaces or a JSON array, e.g. ${name} '[1, 2]' (got ${JSON.stringify(only)})`);
        }
      }
      if (flag.items === 'number' || flag.items === 'integer') return items.map((v) => numberOf(field, flag.items!, v));
      if (flag.items === 'boolean') return items.map((v) => v === true || v === 'true');
      return items.map(String);
    }
    case 'json': {
      const text = String(last(value));
      try {
        return JSON.parse(text);
      } catch {
        throw new InputError(field, `must be JSON, e.g. ${name} '{"key":"value"}' (got ${JSON.stringify(text)})`);
      }
    }
  }
}

function numberOf(name: string, type: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new InputError(name, `must be ${type === 'integer' ? 'an integer' : 'a number'} (got ${JSON.stringify(String(value))})`);
  if (type === 'integer' && !Number.isInteger(n)) throw new InputError(name, `must be an integer (got ${n})`);
  return n;
}

function last(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}
