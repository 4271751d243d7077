import type { ExampleOptions, SkillReference } from './skill-meta';

/** The CLI's global flags: an input field named like one gets no flag and is set through `--input`. */
export const CLI_GLOBAL_FLAGS = ['format', 'dry-run', 'yes', 'config', 'timeout', 'input', 'help', 'version'] as const;

/**
 * The CLI flag of an input field, as the generated commands derive it:
 * `efSearch` → `ef-search`, `ef_search` → `ef-search`, `HNSWProfile` → `hnsw-profile`.
 *
 * @example
 * ```ts
 * flagName('targetRecall') // 'target-recall'
 * ```
 */
export function flagName(field: string): string {
  return field
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .replace(/[_\s]+/g, '-')
    .toLowerCase();
}

/** A placeholder value in a decision tree: `<collection>`, a value only known at the time. */
export const PLACEHOLDER = /^<[a-z][a-z0-9_.]*>$/;

/** Characters a shell word may hold without quotes. */
const SHELL_SAFE = /^[A-Za-z0-9_.,:/@%+=-]+$/;

/**
 * Renders a skill reference as the command line that runs it, with flags derived from the input
 * exactly as the CLI derives them (`efSearch` → `--ef-search`): `true` is a bare flag, `false`
 * `--no-flag`, an array repeats its flag, an object is JSON; values are shell-quoted where needed
 * and `<placeholders>` are left as they are.
 *
 * @example
 * ```ts
 * referenceCommand({ skill: 'vector-index', input: { action: 'tune', collection: 'docs', targetRecall: 0.95 } })
 * // 'pgcluster vector-index --action tune --collection docs --target-recall 0.95'
 * ```
 */
export function referenceCommand(reference: Pick<SkillReference, 'skill' | 'input'>, options: ExampleOptions = {}): string {
  const words = ['pgcluster', reference.skill];
  const viaInput: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(reference.input)) {
    // A field named like a global flag has no flag of its own: it goes through --input.
    if ((CLI_GLOBAL_FLAGS as readonly string[]).includes(flagName(field))) viaInput[field] = value;
    else words.push(...flagWords(flagName(field), value));
  }
  if (Object.keys(viaInput).length) words.push('--input', shellWord(viaInput));
  if (options.format) words.push('--format', options.format);
  if (options.timeout !== undefined) words.push('--timeout', String(options.timeout));
  if (options.dryRun) words.push('--dry-run');
  if (options.yes) words.push('--yes');
  return words.join(' ');
}

function flagWords(flag: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (value === true) return [`--${flag}`];
  if (value === false) return [`--no-${flag}`];
  // A list of words or whole numbers repeats its flag; anything else (an embedding) is one JSON value.
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || Number.isInteger(v))) return value.flatMap((v) => [`--${flag}`, shellWord(v)]);
  return [`--${flag}`, shellWord(value)];
}

function shellWord(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && PLACEHOLDER.test(value)) return value;
  return SHELL_SAFE.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
