import { z } from 'zod';

/**
 * The property under which {@link actionInput} keeps each action's own schema on the flat schema
 * it returns. A registered symbol, so two copies of this package (sources in tests, `dist` in
 * the CLI and skillgen) agree on it.
 */
export const ACTION_SCHEMAS: unique symbol = Symbol.for('pgcluster.action-schemas');

/** Each action's own input: a `z.object` of the fields it takes (without `action`). */
export type ActionSchemas = Readonly<Record<string, z.ZodObject>>;

/**
 * The input schema of a multi-action skill, made by {@link actionInput}: a flat `z.object` (its
 * JSON Schema is the flat `type: object` MCP clients require, with the `action` enum) that
 * validates every input against the chosen action's own schema, and carries those schemas.
 */
export type ActionInputSchema<A extends ActionSchemas = ActionSchemas> = z.ZodObject<Record<string, z.ZodType>, z.core.$strict> & {
  readonly [ACTION_SCHEMAS]: A;
};

/** The names of the actions of an {@link ActionInputSchema}. */
export type ActionName<S> = S extends { readonly [ACTION_SCHEMAS]: infer A } ? keyof A & string : never;

/**
 * The input one action receives after validation: `{ action }` plus its own schema's output
 * (defaults applied, required fields present), e.g. `ActionInput<typeof VectorIndexInput, 'tune'>`.
 * Without `K`, the union over every action (the type of a multi-action skill's input).
 */
export type ActionInput<S, K extends ActionName<S> = ActionName<S>> = S extends { readonly [ACTION_SCHEMAS]: infer A extends ActionSchemas }
  ? { [P in K]: { action: P } & z.output<A[P]> }[K]
  : never;

/** Options of {@link actionInput}. */
export interface ActionInputOptions<K extends string = string> {
  /** The `action` field's description (`--action` in help and SKILL.md); default lists the actions. */
  describe?: string;
  /** The action run when the input names none (e.g. `list`); default none: `action` is required. */
  default?: K;
}

/**
 * Declares the input of a multi-action skill, one `z.object` per action with only the fields
 * that action takes, required where the action needs them. Returns one flat `z.object`:
 * `action` (an enum of the action names) and every field of every action, optional, with its
 * default and description, prefixed with the actions that take it when not all do
 * (`tune: The recall to reach.`; described differently by two actions: `create: …; rebuild: …`). Parsing it checks the input against the chosen action's schema:
 * a missing field is `is required for action rebuild`, a field of another action is refused
 * naming the actions it belongs to; every message names the flag (`--collection (collection)`).
 *
 * A field shared by several actions should have one schema (a shared shape constant), so the
 * flat schema and the CLI flag agree with every action; only the description may differ.
 * Parsing the flat schema does not apply defaults: {@link parseActionInput} (which the
 * executor uses) returns the action's own output, defaults applied.
 *
 * @example
 * ```ts
 * const Database = { database: z.string().optional().describe('A database name.') }
 * export const IndexInput = actionInput({
 *   list: z.object({ ...Database }),
 *   tune: z.object({ ...Database, collection: z.string(), targetRecall: z.number().gt(0).max(1), k: z.number().int().default(10) }),
 * }, { describe: 'list collections; tune ef_search' })
 * IndexInput.safeParse({ action: 'tune' }) // --collection (collection): is required for action tune; --target-recall (targetRecall): …
 * export type IndexInput = ActionInput<typeof IndexInput>
 * ```
 */
export function actionInput<const A extends ActionSchemas>(actions: A, options: ActionInputOptions<keyof A & string> = {}): ActionInputSchema<A> {
  const names = Object.keys(actions);
  if (names.length === 0) throw new TypeError('actionInput needs at least one action');
  const owners = new Map<string, string[]>();
  for (const [name, schema] of Object.entries(actions)) {
    if (!schema || typeof schema !== 'object' || !('shape' in schema)) throw new TypeError(`actionInput: action ${name} must be a z.object`);
    for (const field of Object.keys(schema.shape)) {
      if (field === 'action') throw new TypeError(`actionInput: action ${name} must not declare \`action\`; it is added`);
      owners.set(field, [...(owners.get(field) ?? []), name]);
    }
  }
  const action = z.enum(names as [string, ...string[]]);
  const shape: Record<string, z.ZodType> = {
    action: (options.default === undefined ? action : action.default(options.default)).describe(options.describe ?? `One of ${names.join(', ')}.`),
  };
  for (const [field, actionNames] of owners) shape[field] = flatField(actions, field, actionNames, names);
  // Strict: a misspelt field is refused with the nearest known one, never dropped silently.
  const flat = z.strictObject(shape).superRefine((value, ctx) => {
    const action = value['action'] as string;
    const schema = actions[action]!;
    const given: Record<string, unknown> = {};
    for (const [field, item] of Object.entries(value)) {
      if (field === 'action' || item === undefined) continue;
      if (field in schema.shape) given[field] = item;
      else ctx.addIssue({ code: 'custom', path: [field], message: `is not a field of action ${action} (it belongs to ${(owners.get(field) ?? []).join(', ')})` });
    }
    const parsed = schema.safeParse(given);
    if (parsed.success) return;
    // A field's own check (a pattern, a refine) that already failed in the flat shape is said once.
    const said = new Set<string>();
    for (const field of new Set(ctx.issues.map((i) => i.path?.[0]))) {
      if (typeof field !== 'string' || !(field in shape)) continue;
      for (const i of shape[field]!.safeParse(value[field]).error?.issues ?? []) said.add(`${[field, ...i.path].join('.')} ${i.message}`);
    }
    for (const issue of parsed.error.issues) {
      if (said.has(`${issue.path.join('.')} ${issue.message}`)) continue;
      const [first] = issue.path;
      const missing = issue.code === 'invalid_type' && issue.path.length === 1 && typeof first === 'string' && given[first] === undefined;
      if (missing) ctx.addIssue({ code: 'custom', path: issue.path, message: `is required for action ${action}` });
      else ctx.addIssue(issue as Parameters<typeof ctx.addIssue>[0]);
    }
  });
  Object.defineProperty(flat, ACTION_SCHEMAS, { value: Object.freeze({ ...actions }), enumerable: false });
  return flat as unknown as ActionInputSchema<A>;
}

/**
 * The per-action schemas of a schema made by {@link actionInput}; undefined for any other.
 *
 * @example
 * ```ts
 * Object.keys(actionSchemasOf(VectorIndexInput) ?? {}) // ['create', 'rebuild', …]
 * ```
 */
export function actionSchemasOf(schema: unknown): ActionSchemas | undefined {
  if (schema === null || (typeof schema !== 'object' && typeof schema !== 'function')) return undefined;
  return (schema as { [ACTION_SCHEMAS]?: ActionSchemas })[ACTION_SCHEMAS];
}

/**
 * Parses an input with the schema of its action: the value a handler receives, `{ action }`
 * plus that action's output (defaults applied). Validate with the flat schema first (it names
 * what is wrong per flag); this throws zod's error for an input the flat schema refuses.
 *
 * @example
 * ```ts
 * parseActionInput(VectorIndexInput, { action: 'tune', collection: 'docs', targetRecall: 0.9 })
 * // { action: 'tune', collection: 'docs', targetRecall: 0.9, k: 10, sampleSize: 50 }
 * ```
 */
export function parseActionInput<S extends ActionInputSchema>(schema: S, input: unknown): ActionInput<S> {
  const flat = schema.parse(input) as Record<string, unknown>;
  const action = flat['action'] as string;
  const own = schema[ACTION_SCHEMAS][action]!;
  const { action: _action, ...fields } = flat;
  return { action, ...(own.parse(fields) as object) } as ActionInput<S>;
}

/**
 * The flat field: optional, without its default (kept in the JSON Schema), described for every
 * action; a field that not every action takes says which do (`create/rebuild: …`).
 */
function flatField(actions: ActionSchemas, field: string, actionNames: readonly string[], all: readonly string[]): z.ZodType {
  const variants = actionNames.map((name) => ({ name, schema: actions[name]!.shape[field] as z.ZodType }));
  const first = variants[0]!.schema;
  const { inner, fallback } = withoutDefault(first);
  const texts = variants.map((v) => ({ name: v.name, text: v.schema.description ?? withoutDefault(v.schema).inner.description }));
  const distinct = [...new Set(texts.map((t) => t.text).filter((t): t is string => !!t))];
  const others = all.filter((name) => !actionNames.includes(name));
  const lower = (text: string) => (/^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text);
  const owned = (names: readonly string[]) => (others.length > 0 && names.length === actionNames.length && names.length > all.length / 2 ? `every action but ${others.join(', ')}` : names.join('/'));
  const description =
    distinct.length <= 1
      ? distinct[0] && others.length > 0
        ? `${owned(actionNames)}: ${lower(distinct[0])}`
        : distinct[0]
      : distinct.map((text) => `${owned(texts.filter((t) => t.text === text).map((t) => t.name))}: ${lower(text).replace(/\.$/, '')}`).join('; ') + '.';
  const meta: Record<string, unknown> = { ...(z.globalRegistry.get(first) ?? {}), ...(z.globalRegistry.get(inner) ?? {}) };
  delete meta['description'];
  if (description) meta['description'] = description;
  if (fallback !== undefined) meta['default'] = fallback;
  // A field every action requires (e.g. security-rotate's role) stays required in the flat schema, so the manifest and --help say so.
  const requiredByAll = others.length === 0 && variants.every((v) => !v.schema.safeParse(undefined).success);
  return requiredByAll ? inner.meta(meta) : inner.optional().meta(meta);
}

function withoutDefault(schema: z.ZodType): { inner: z.ZodType; fallback?: unknown } {
  const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType; defaultValue?: unknown } } })._zod.def;
  if (def.type === 'default' && def.innerType) return { inner: def.innerType, fallback: def.defaultValue };
  return { inner: schema };
}
