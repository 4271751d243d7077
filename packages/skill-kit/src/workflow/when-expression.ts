/**
 * The condition language of workflow steps (`when`): a small, safe expression over the results
 * of earlier steps. It is parsed, never evaluated as code (no `eval`, no `Function`, no property
 * of a prototype is reachable).
 *
 * Grammar (whitespace between tokens is free):
 * ```
 * expr     := and ('or' and)*
 * and      := unary ('and' unary)*
 * unary    := 'not' unary | '(' expr ')' | test
 * test     := path (op value)?
 * path     := 'steps' '.' name segment*          name: a step name (kebab-case)
 * segment  := '.' key | '[' key (op value)? ']'  key: letters, digits, _ and -
 * op       := '=' | '!=' | '<' | '<=' | '>' | '>='
 * value    := number | 'quoted string' | "quoted string" | true | false | null | bare-word
 * ```
 * A path selects values: `.key` reads a field (of each selected object; over an array, of each
 * element), `[key]` keeps the elements of an array whose `key` is truthy, `[key=value]` those
 * whose `key` compares true. A `test` without an operator holds when the path selects at least
 * one truthy value (a non-empty array, a non-empty string, a non-zero number, true, an object);
 * with one, when at least one selected value compares true. A step that did not run (skipped, or
 * only planned) selects nothing. Each step exposes `ok`, `status`, `data`, `alerts` and
 * `recommendations` of its envelope.
 *
 * @example
 * ```ts
 * const when = parseWhen('steps.health.data.findings[check=dead_tuples]')
 * evaluateWhen(when, { health: { ok: true, status: 'degraded', data: { findings: [{ check: 'dead_tuples' }] } } }) // true
 * ```
 */
export type WhenExpression =
  | { readonly kind: 'or' | 'and'; readonly left: WhenExpression; readonly right: WhenExpression }
  | { readonly kind: 'not'; readonly operand: WhenExpression }
  | { readonly kind: 'test'; readonly step: string; readonly path: readonly PathSegment[]; readonly compare?: Comparison };

/** One step of a path: a field, or a filter over an array's elements. */
export type PathSegment = { readonly field: string } | { readonly filter: string; readonly compare?: Comparison };

/** `= 5`, `!= healthy`. */
export interface Comparison {
  readonly op: ComparisonOp;
  readonly value: string | number | boolean | null;
}

/** The comparison operators of {@link WhenExpression}. */
export const COMPARISON_OPS = ['=', '!=', '<', '<=', '>', '>='] as const;
/** One of {@link COMPARISON_OPS}. */
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

/** What a condition can read of one earlier step: its envelope's public fields. */
export interface WhenStepResult {
  ok: boolean;
  status: string;
  data?: unknown;
  alerts?: unknown;
  recommendations?: unknown;
}

/** A condition that does not parse: the message says where (`at 17`) and what was expected. */
export class WhenSyntaxError extends Error {
  constructor(
    message: string,
    /** The character offset in the condition. */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'WhenSyntaxError';
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_-]*/;
const NUMBER = /^-?\d+(\.\d+)?/;
const STEP_FIELDS = ['ok', 'status', 'data', 'alerts', 'recommendations'] as const;
const MAX_LENGTH = 500;

/**
 * Parses a step condition (see {@link WhenExpression} for the grammar).
 *
 * @throws WhenSyntaxError naming the offset and what was expected.
 * @example
 * ```ts
 * parseWhen("steps.status.status != healthy and not steps.backup.ok")
 * ```
 */
export function parseWhen(text: string): WhenExpression {
  if (text.length > MAX_LENGTH) throw new WhenSyntaxError(`a condition is at most ${MAX_LENGTH} characters`, MAX_LENGTH);
  let pos = 0;
  const skip = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };
  const fail = (expected: string): never => {
    skip();
    const found = pos < text.length ? JSON.stringify(text.slice(pos, pos + 12)) : 'the end';
    throw new WhenSyntaxError(`expected ${expected} at ${pos}, found ${found} in ${JSON.stringify(text)}`, pos);
  };
  const peekWord = (word: string): boolean => {
    skip();
    const rest = text.slice(pos);
    return rest.startsWith(word) && !/[A-Za-z0-9_-]/.test(rest[word.length] ?? '');
  };
  const eat = (token: string): boolean => {
    skip();
    if (!text.startsWith(token, pos)) return false;
    pos += token.length;
    return true;
  };
  const key = (what: string): string => {
    skip();
    const match = KEY.exec(text.slice(pos));
    if (!match) return fail(what);
    pos += match[0].length;
    return match[0];
  };
  const op = (): ComparisonOp | undefined => {
    skip();
    for (const candidate of ['!=', '<=', '>=', '=', '<', '>'] as const) if (eat(candidate)) return candidate;
    return undefined;
  };
  const value = (): Comparison['value'] => {
    skip();
    const quote = text[pos];
    if (quote === "'" || quote === '"') {
      const end = text.indexOf(quote, pos + 1);
      if (end < 0) return fail(`a closing ${quote}`);
      const v = text.slice(pos + 1, end);
      pos = end + 1;
      return v;
    }
    const number = NUMBER.exec(text.slice(pos));
    if (number && !/[A-Za-z_]/.test(text[pos + number[0].length] ?? '')) {
      pos += number[0].length;
      return Number(number[0]);
    }
    const word = key('a value (a number, a quoted string, true, false, null or a word)');
    return word === 'true' ? true : word === 'false' ? false : word === 'null' ? null : word;
  };
  const test = (): WhenExpression => {
    if (key('`steps.<step>` or `not` or `(`') !== 'steps') fail('`steps.<step>`');
    if (!eat('.')) fail('`.` after `steps`');
    const step = key('a step name');
    const path: PathSegment[] = [];
    for (;;) {
      if (eat('.')) path.push({ field: key('a field name') });
      else if (eat('[')) {
        const filter = key('a field name inside [ ]');
        const compareOp = op();
        path.push(compareOp ? { filter, compare: { op: compareOp, value: value() } } : { filter });
        if (!eat(']')) fail('`]`');
      } else break;
    }
    if (path.length > 0 && 'field' in path[0]! && !(STEP_FIELDS as readonly string[]).includes(path[0].field)) {
      throw new WhenSyntaxError(`steps.${step}.${path[0].field}: a step exposes ${STEP_FIELDS.join(', ')}`, pos);
    }
    const compareOp = op();
    return compareOp ? { kind: 'test', step, path, compare: { op: compareOp, value: value() } } : { kind: 'test', step, path };
  };
  const unary = (): WhenExpression => {
    if (peekWord('not')) {
      pos += 3;
      return { kind: 'not', operand: unary() };
    }
    if (eat('(')) {
      const inner = or();
      if (!eat(')')) fail('`)`');
      return inner;
    }
    return test();
  };
  const and = (): WhenExpression => {
    let left = unary();
    while (peekWord('and')) {
      pos += 3;
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const or = (): WhenExpression => {
    let left = and();
    while (peekWord('or')) {
      pos += 2;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };
  const expression = or();
  skip();
  if (pos < text.length) fail('`and`, `or` or the end');
  return expression;
}

/**
 * The steps a condition reads (`steps.<name>`), to check they come earlier in the workflow.
 * @example
 * ```ts
 * whenSteps(parseWhen('steps.a.ok and steps.b.ok')) // ['a', 'b']
 * ```
 */
export function whenSteps(expression: WhenExpression): string[] {
  switch (expression.kind) {
    case 'or':
    case 'and':
      return [...new Set([...whenSteps(expression.left), ...whenSteps(expression.right)])];
    case 'not':
      return whenSteps(expression.operand);
    case 'test':
      return [expression.step];
  }
}

/**
 * Evaluates a parsed condition against the results of the steps that ran (by step name).
 * @example
 * ```ts
 * evaluateWhen(parseWhen('steps.status.status = healthy'), { status: { ok: true, status: 'healthy' } }) // true
 * ```
 */
export function evaluateWhen(expression: WhenExpression, steps: Readonly<Record<string, WhenStepResult>>): boolean {
  switch (expression.kind) {
    case 'or':
      return evaluateWhen(expression.left, steps) || evaluateWhen(expression.right, steps);
    case 'and':
      return evaluateWhen(expression.left, steps) && evaluateWhen(expression.right, steps);
    case 'not':
      return !evaluateWhen(expression.operand, steps);
    case 'test': {
      const result = Object.hasOwn(steps, expression.step) ? steps[expression.step] : undefined;
      if (result === undefined) return false;
      const root: Record<string, unknown> = { ok: result.ok, status: result.status, data: result.data, alerts: result.alerts, recommendations: result.recommendations };
      const selected = select([root], expression.path);
      const compare = expression.compare;
      return compare ? selected.some((v) => compares(v, compare)) : selected.some(truthy);
    }
  }
}

function select(values: readonly unknown[], path: readonly PathSegment[]): unknown[] {
  let current = [...values];
  for (const segment of path) {
    const next: unknown[] = [];
    for (const value of current) {
      const items = Array.isArray(value) ? value : [value];
      for (const item of items) {
        if ('field' in segment) {
          const field = own(item, segment.field);
          if (field !== undefined) next.push(field);
        } else if (Array.isArray(value)) {
          const field = own(item, segment.filter);
          if (segment.compare ? compares(field, segment.compare) : truthy(field)) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}

/** A field of a plain object or array, never one inherited from a prototype. */
function own(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return Boolean(value);
}

function compares(actual: unknown, { op, value }: Comparison): boolean {
  if (op === '=' || op === '!=') {
    // Numbers compare as numbers, everything else by its text: `status = healthy`, `count = 3`.
    const equal = typeof value === 'number' && typeof actual === 'number' ? actual === value : actual === value || (actual !== null && actual !== undefined && value !== null && String(actual) === String(value));
    return op === '=' ? equal : !equal;
  }
  const a = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
  const b = typeof value === 'number' ? value : NaN;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
}
