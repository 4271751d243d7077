import { PgClusterError } from '@pgcluster/core';
import type { z } from 'zod';
import { actionSchemasOf } from './action-input';
import type { ActionSafety, SkillActions } from './skill-actions';
import {
  CATEGORIES,
  CATEGORY_PREFIXES,
  RISKS,
  type Risk,
  type SkillActionLike,
  type SkillClass,
  type SkillContext,
  type SkillMeta,
  type SkillResult,
} from './skill-meta';

/**
 * The property under which `@Skill` stores a class's metadata. A registered symbol, so two
 * copies of this package (sources in tests, `dist` in the CLI) agree on it.
 */
export const SKILL_META: unique symbol = Symbol.for('pgcluster.skill-meta');

/** The type a `@Skill`-decorated `run` must have: input and data typed by the meta's schemas. */
export type SkillRunMethod<This, I extends z.ZodType, O extends z.ZodType> = (
  this: This,
  ctx: SkillContext,
  input: z.output<I>,
) => Promise<SkillResult<z.output<O>>>;

/** The decorator `@Skill(meta)` returns: for a `static run`, or for the `static actions` of a multi-action skill. */
export interface SkillDecorator<I extends z.ZodType, O extends z.ZodType> {
  <This>(method: SkillRunMethod<This, I, O>, context: ClassMethodDecoratorContext<This, SkillRunMethod<This, I, O>> & { static: true; name: 'run' }): void;
  <This>(
    value: undefined,
    context: ClassFieldDecoratorContext<This, SkillActions<I, z.output<O>>> & { static: true; name: 'actions' },
  ): (initial: SkillActions<I, z.output<O>>) => SkillActions<I, z.output<O>>;
}

/** A class that `@Skill` has decorated: a {@link SkillClass} carrying its {@link SkillMeta}. */
export type DecoratedSkillClass<I = unknown, O = unknown> = SkillClass<I, O> & { readonly [SKILL_META]: SkillMeta };

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;

/**
 * Declares a skill: a standard (TC39) decorator for the `static run(ctx, input)` method of a
 * class. The metadata must be a literal (skillgen reads it statically). The types of `run`
 * follow the schemas: `input` is `z.output<typeof meta.input>`, the data it returns
 * `z.output<typeof meta.output>`, so a schema and its method cannot drift apart.
 *
 * A skill with several actions decorates its `static readonly actions` instead (a
 * `SkillActions` table): its `input` is made by `actionInput({ action: z.object(…), … })`, each
 * action has its own schema, plan, run and safety (`risk`, `requiresConfirmation`,
 * `autonomous`), and the executor dispatches by `action` — validation naming the flag and the
 * action, the plan built only when used, the confirmation gate with the action's safety. The
 * skill's `risk` is the highest of its actions'; `requiresConfirmation` and `autonomous` are the
 * defaults an action may tighten (a `terminate` action sets `requiresConfirmation: true`).
 *
 * ```ts
 * export class SessionsSkill {
 *   @Skill({ name: 'maintenance-sessions', risk: 'destructive', requiresConfirmation: false, input: SessionsInput, … })
 *   static readonly actions: SkillActions<typeof SessionsInput, SessionsOutput> = {
 *     list: { risk: 'read', run: async (ctx, input) => ({ data: await listSessions(ctx, input) }) },
 *     terminate: { risk: 'destructive', requiresConfirmation: true, autonomous: false, plan: …, run: … },
 *   }
 * }
 * ```
 *
 * The metadata is checked when the class is defined (name `{prefix}-{action}` with the
 * category's prefix, a destructive skill — or action — must require confirmation, …); a bad declaration
 * throws then, not at run time.
 *
 * @example
 * ```ts
 * export const DropTableInput = z.object({ table: z.string().describe('The table to drop.') })
 * export const DropTableOutput = z.object({ dropped: z.boolean() })
 *
 * export class DropTableSkill {
 *   @Skill({ name: 'maintenance-drop-table', category: 'maintenance', risk: 'destructive',
 *     requiresConfirmation: true, input: DropTableInput, output: DropTableOutput, … })
 *   static async run(ctx: SkillContext, input: z.infer<typeof DropTableInput>) {
 *     return { data: { dropped: true } }
 *   }
 *
 *   static plan(_ctx: SkillContext, input: z.infer<typeof DropTableInput>): PlanStep[] {
 *     return [{ kind: 'sql', target: 'primary', text: `drop table ${input.table}` }]
 *   }
 * }
 * ```
 */
export function Skill<I extends z.ZodType, O extends z.ZodType>(meta: SkillMeta<I, O>): SkillDecorator<I, O> {
  return function skillDecorator(value: unknown, context: ClassMethodDecoratorContext | ClassFieldDecoratorContext): ((initial: unknown) => unknown) | void {
    const problems = checkSkillMeta(meta);
    if (problems.length > 0) throw new TypeError(`@Skill('${meta.name}') is invalid: ${problems.join('; ')}`);
    const attach = (target: unknown) => {
      if (Object.hasOwn(target as object, SKILL_META)) throw new TypeError(`@Skill('${meta.name}'): the class already declares a skill`);
      Object.defineProperty(target, SKILL_META, { value: Object.freeze({ ...meta }), enumerable: false });
    };
    if (context.kind === 'field' && context.static && context.name === 'actions') {
      const schemas = actionSchemasOf(meta.input);
      if (!schemas) throw new TypeError(`@Skill('${meta.name}') decorates static actions, so its input must be made by actionInput({...})`);
      return function (this: unknown, initial: unknown) {
        const table = (initial ?? {}) as Record<string, SkillActionLike>;
        const wrong = checkActions(meta, Object.keys(schemas), table);
        if (wrong.length > 0) throw new TypeError(`@Skill('${meta.name}') actions are invalid: ${wrong.join('; ')}`);
        attach(this);
        return initial;
      };
    }
    // The types already demand `static run` or `static actions`; this catches untyped (JS) or cast callers.
    if (context.kind !== 'method' || !context.static || context.name !== 'run' || typeof value !== 'function') {
      throw new TypeError(`@Skill('${meta.name}') decorates a class's static run method (or its static actions), not ${String(context.name)}`);
    }
    context.addInitializer(function (this: unknown) {
      attach(this);
    });
  } as SkillDecorator<I, O>;
}

const RISK_ORDER: Readonly<Record<Risk, number>> = { read: 0, write: 1, destructive: 2 };

/** An action table against its skill: one entry per action of the input, safety no looser than the skill allows. */
function checkActions(meta: SkillMeta, names: readonly string[], table: Readonly<Record<string, SkillActionLike>>): string[] {
  const problems: string[] = [];
  for (const name of names) if (typeof table[name]?.run !== 'function') problems.push(`action ${name} has no run`);
  for (const name of Object.keys(table)) if (!names.includes(name)) problems.push(`action ${name} is not in the input's actions (${names.join(', ')})`);
  for (const safety of actionSafety(meta, table)) {
    const declared = table[safety.action]?.risk;
    if (declared && !(RISKS as readonly string[]).includes(declared)) problems.push(`action ${safety.action}: risk "${declared}" must be one of ${RISKS.join(', ')}`);
    else if (RISK_ORDER[safety.risk] > RISK_ORDER[meta.risk]) problems.push(`action ${safety.action} is ${safety.risk}, above the skill's risk ${meta.risk}`);
    if (safety.risk === 'destructive' && !safety.requiresConfirmation) problems.push(`action ${safety.action} is destructive, so it must set requiresConfirmation: true`);
    if (safety.autonomous && !meta.autonomous) problems.push(`action ${safety.action} cannot be autonomous when the skill is not`);
  }
  return problems;
}

/**
 * The safety each action of a multi-action skill runs with (its own `risk`, `requiresConfirmation`
 * and `autonomous`, else the skill's), in the order of the table; empty for a single-action skill.
 * The executor gates each run with it; skillgen documents it per action.
 *
 * @example
 * ```ts
 * actionSafety(getSkillMeta(MaintenanceSessionsSkill), MaintenanceSessionsSkill.actions)
 * // [{ action: 'list', risk: 'read', … }, { action: 'terminate', risk: 'destructive', requiresConfirmation: true, autonomous: false }]
 * ```
 */
export function actionSafety(meta: SkillMeta, actions: Readonly<Record<string, SkillActionLike>> | undefined): ActionSafety[] {
  return Object.entries(actions ?? {}).map(([action, a]) => ({
    action,
    risk: a.risk ?? meta.risk,
    requiresConfirmation: a.requiresConfirmation ?? meta.requiresConfirmation,
    autonomous: a.autonomous ?? meta.autonomous,
    ...(a.timeoutMs !== undefined ? { timeoutMs: a.timeoutMs } : {}),
  }));
}

/**
 * Lists what is wrong with a skill's metadata (empty when nothing is): the name's form and
 * prefix, the category and risk, the description's length, and that a destructive skill
 * requires confirmation. `@Skill` throws on any; skillgen can report them all.
 *
 * @example
 * ```ts
 * checkSkillMeta({ ...meta, name: 'status' }) // ['name "status" must be "cluster-<action>" …']
 * ```
 */
export function checkSkillMeta(meta: SkillMeta): string[] {
  const problems: string[] = [];
  const prefix = (CATEGORY_PREFIXES as Record<string, string | undefined>)[meta.category];
  if (!prefix || !(CATEGORIES as readonly string[]).includes(meta.category)) {
    problems.push(`category "${meta.category}" must be one of ${CATEGORIES.join(', ')}`);
  } else if (!NAME.test(meta.name) || !meta.name.startsWith(`${prefix}-`)) {
    problems.push(`name "${meta.name}" must be "${prefix}-<action>" in kebab-case`);
  }
  if (!(RISKS as readonly string[]).includes(meta.risk)) problems.push(`risk "${meta.risk}" must be one of ${RISKS.join(', ')}`);
  // A skill with several actions is checked per action (its destructive actions must require confirmation).
  if (meta.risk === 'destructive' && !meta.requiresConfirmation && !actionSchemasOf(meta.input)) problems.push('a destructive skill must set requiresConfirmation: true');
  if (!meta.description || meta.description.length > 1024) problems.push('description must have 1 to 1,024 characters');
  if (typeof meta.input?.safeParse !== 'function') problems.push('input must be a zod schema');
  if (typeof meta.output?.safeParse !== 'function') problems.push('output must be a zod schema');
  return problems;
}

/**
 * Whether `value` is a class with a `@Skill`-decorated static `run` (or static `actions`).
 *
 * @example
 * ```ts
 * const skills = Object.values(await import('./skills')).filter(isSkillClass)
 * ```
 */
export function isSkillClass(value: unknown): value is DecoratedSkillClass {
  if (typeof value !== 'function' || !(SKILL_META in value)) return false;
  const { run, actions } = value as { run?: unknown; actions?: unknown };
  return typeof run === 'function' || (typeof actions === 'object' && actions !== null);
}

/**
 * The metadata `@Skill` attached to a class.
 *
 * @throws PgClusterError (`INTERNAL`) naming the class when it has no `@Skill`.
 * @example
 * ```ts
 * getSkillMeta(DropTableSkill).requiresConfirmation // true
 * ```
 */
export function getSkillMeta(skillClass: unknown): SkillMeta {
  if (isSkillClass(skillClass)) return skillClass[SKILL_META];
  const name = typeof skillClass === 'function' && skillClass.name ? skillClass.name : String(skillClass);
  throw new PgClusterError('INTERNAL', `${name} is not a skill: it has no static run method decorated with @Skill`, {
    hint: 'Decorate the class\'s `static run(ctx, input)` with `@Skill({...})` from @pgcluster/skill-kit.',
  });
}
