import type { InputError } from '@pgcluster/core';
import type { Format } from '@pgcluster/skill-kit';
import type { Options } from 'yargs';

/**
 * skill-kit's `FORMATS`, repeated here so that parsing the flags loads neither skill-kit nor
 * core (`--help` and `--version` stay fast); the types below fail to compile when they differ.
 */
const FORMATS = ['json', 'human', 'prometheus'] as const satisfies readonly Format[];
type MissingFormat = Exclude<Format, (typeof FORMATS)[number]>;
const ALL_FORMATS: MissingFormat extends never ? true : never = true;
void ALL_FORMATS;

/** `InputError` from @pgcluster/core, required only when a flag is wrong. */
function inputError(...args: ConstructorParameters<typeof InputError>): InputError {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { InputError: Constructor } = require('@pgcluster/core') as typeof import('@pgcluster/core');
  return new Constructor(...args);
}

/** The flags every command takes, already checked. */
export interface GlobalArgs {
  format: Format;
  dryRun: boolean;
  yes: boolean;
  config?: string;
  timeout?: number;
}

/**
 * Checks `--format`: one of {@link FORMATS}, naming the flag and the allowed values otherwise.
 *
 * @example
 * ```ts
 * checkFormat('xml') // throws InputError '--format: must be one of json, human, prometheus (got "xml")'
 * ```
 */
export function checkFormat(value: unknown): Format {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (typeof last === 'string' && (FORMATS as readonly string[]).includes(last)) return last as Format;
  throw inputError('--format', `must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(last)})`, {
    hint: `Use --format ${FORMATS.join(' | --format ')}.`,
  });
}

/** Checks `--timeout`: a positive number of milliseconds. */
export function checkTimeout(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  const ms = typeof last === 'number' ? last : Number(last);
  if (Number.isFinite(ms) && ms > 0) return ms;
  throw inputError('--timeout', `must be a positive number of milliseconds (got ${JSON.stringify(last)})`);
}

/** The global flags' yargs definitions; help texts come from here. */
export const GLOBAL_OPTIONS: Readonly<Record<string, Options>> = {
  format: {
    type: 'string',
    choices: FORMATS,
    default: 'human',
    coerce: checkFormat,
    describe: 'Output: json (exactly one JSON document on stdout), human, or prometheus (exposition text)',
  },
  'dry-run': { type: 'boolean', default: false, describe: 'Validate and return the plan (the SQL and commands it would run); change nothing' },
  yes: { type: 'boolean', default: false, describe: 'Confirm a skill that requires confirmation (it refuses with exit 3 otherwise)' },
  config: { type: 'string', describe: 'The pgcluster.config.json to use (default: found from the working directory up, else PGCLUSTER_* variables)' },
  timeout: { type: 'number', coerce: checkTimeout, describe: 'Abort the run after this many milliseconds (default 60000; a backup, restore or drill 1800000)' },
};

/**
 * The `--format` a raw argument list asks for, read without yargs (for reporting errors
 * that happen before or during parsing); `human` unless it names a valid format.
 *
 * @example
 * ```ts
 * formatOf(['cluster-status', '--format=json', '--bogus']) // 'json'
 * ```
 */
export function formatOf(argv: readonly string[]): Format {
  let found: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg === '--format') found = argv[i + 1];
    else if (arg.startsWith('--format=')) found = arg.slice('--format='.length);
  }
  return found !== undefined && (FORMATS as readonly string[]).includes(found) ? (found as Format) : 'human';
}
