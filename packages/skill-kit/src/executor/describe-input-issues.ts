import { InputError, redactUrl } from '@pgcluster/core';
import type { z } from 'zod';
import { flagName } from '../skill/reference-command';

type Issue = z.core.$ZodIssue;

/** What {@link describeInputIssues} may use besides the issues. */
export interface DescribeInputOptions {
  /** The input's top-level fields, to suggest the nearest one for an unknown field. */
  knownFields?: readonly string[];
}

/** zod's own wording starts like this; custom messages (refinements, `.min(1, '…')`) do not. */
const ZOD_WORDING = /^(Invalid (input|option|string|value|key|element|date|number|type)|Too (small|big)|Unrecognized keys?)\b/;

/**
 * Turns zod issues into one plain line per problem, for people and agents alike. For a skill's
 * input (`root` `input`) each line names the CLI flag and the JSON field:
 * `--ef-search (efSearch): must be at least 1`; nested fields add their path
 * (`--filter (filter.lang)`). zod's wording is replaced by plain words; custom messages are kept.
 * An unknown field gets the nearest known one as a suggestion.
 *
 * @param root `input` for a skill's input (flags named), anything else (e.g. `data`) as a path root.
 * @example
 * ```ts
 * const r = Input.safeParse({ limit: 'ten' })
 * if (!r.success) describeInputIssues(r.error) // ['--limit (limit): must be a number, not a string']
 * ```
 */
export function describeInputIssues(error: z.ZodError, root = 'input', options: DescribeInputOptions = {}): string[] {
  return error.issues.flatMap((issue) => describeIssue(issue, root, options));
}

/**
 * How a field of a skill's input is named in messages: the flag and the JSON path,
 * `--target-recall (targetRecall)`; the bare path below the top level has no flag of its own.
 *
 * @example
 * ```ts
 * inputFieldLabel(['filter', 'lang']) // '--filter (filter.lang)'
 * ```
 */
export function inputFieldLabel(path: readonly PropertyKey[]): string {
  const [first] = path;
  if (typeof first !== 'string') return path.length === 0 ? 'the input' : `input${jsonPath(path)}`;
  return `--${flagName(first)} (${jsonPath(path).slice(1)})`;
}

function describeIssue(issue: Issue, root: string, options: DescribeInputOptions): string[] {
  const label = (path: readonly PropertyKey[]) => (root === 'input' ? inputFieldLabel(path) : `${root}${jsonPath(path)}`);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const nearest = issue.path.length === 0 ? nearestName(key, options.knownFields ?? []) : undefined;
      return `${label([...issue.path, key])}: unknown field${nearest ? `; did you mean ${label([nearest])}?` : ''}`;
    });
  }
  // Security: a custom message might echo a value; URLs in it lose their password.
  return [`${label(issue.path)}: ${redactUrl(plainMessage(issue))}`];
}

function plainMessage(issue: Issue): string {
  if (!ZOD_WORDING.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type': {
      const received = /received (\w+)/.exec(issue.message)?.[1];
      if (received === 'undefined') return 'is required';
      return `must be ${article(issue.expected)}${received ? `, not ${article(received)}` : ''}`;
    }
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${JSON.stringify(issue.values[0])}` : `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      return bound('at least', issue.origin, issue.minimum, issue.inclusive);
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum, issue.inclusive);
    case 'invalid_union': {
      const expected = issue.errors.flat().filter((e) => e.code === 'invalid_type' && e.path.length === 0);
      if (expected.length > 0 && expected.length === issue.errors.length) {
        return `must be ${expected.map((e) => article((e as { expected: string }).expected)).join(' or ')}`;
      }
      return 'matches none of the allowed forms';
    }
    case 'invalid_format':
      // A pattern without its own message: "valid regex" said neither what was wrong nor what is allowed.
      return issue.format === 'regex' ? `does not match the allowed form, the pattern ${issue.pattern}` : `must be a valid ${issue.format}`;
    default:
      return issue.message.replace(ZOD_WORDING, '').replace(/^:\s*/, '') || issue.message;
  }
}

function bound(word: 'at least' | 'at most', origin: string, limit: number | bigint, inclusive: boolean | undefined): string {
  const strict = inclusive === false;
  const n = Number(limit);
  if (origin === 'string') return `must have ${word} ${strict ? (word === 'at least' ? n + 1 : n - 1) : n} characters`;
  if (origin === 'array' || origin === 'set') return `must have ${word} ${strict ? (word === 'at least' ? n + 1 : n - 1) : n} items`;
  return strict ? `must be ${word === 'at least' ? 'above' : 'below'} ${n}` : `must be ${word} ${n}`;
}

function article(type: string): string {
  if (type === 'object' || type === 'array' || type === 'integer') return `an ${type}`;
  if (type === 'null' || type === 'undefined') return type;
  return `a ${type}`;
}

function jsonPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
}

/**
 * The known name closest to `name` (edit distance at most a third of its length, at least 2), to
 * suggest for a typo: an unknown field, flag, skill or collection.
 *
 * @example
 * ```ts
 * nearestName('colection', ['collection', 'database']) // 'collection'
 * ```
 */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * An {@link InputError} a skill threw about one of its top-level input fields (`collection`,
 * `input.targetRecall`), relabelled to name the flag too: `--collection (collection): …`.
 * Any other error is returned as it is.
 *
 * @example
 * ```ts
 * labelInputError(new InputError('collection', 'must start with a letter'), ['collection']).message
 * // '--collection (collection): must start with a letter'
 * ```
 */
export function labelInputError(error: unknown, fields: readonly string[]): unknown {
  if (!(error instanceof InputError)) return error;
  const field = error.field.replace(/^input\./, '');
  const [first, ...rest] = field.split('.');
  if (first === undefined || !fields.includes(first)) return error;
  const allowed = error.message.slice(error.field.length + 2);
  return new InputError(inputFieldLabel([first, ...rest]), allowed, error.hint ? { hint: error.hint } : {});
}
