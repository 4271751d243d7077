import { PgClusterError } from '@pgcluster/core';
import type { z } from 'zod';
import {
  CATEGORIES,
  CATEGORY_PREFIXES,
  RISKS,
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

/** A class that `@Skill` has decorated: a {@link SkillClass} carrying its {@link SkillMeta}. */
export type DecoratedSkillClass<I = unknown, O = unknown> = SkillClass<I, O> & { readonly [SKILL_META]: SkillMeta };

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)+$/;

/**
 * Declares a skill: a standard (TC39) decorator for the `static run(ctx, input)` method of a
 * class. The metadata must be a literal (skillgen reads it statically). The types of `run`
 * follow the schemas: `input` is `z.output<typeof meta.input>`, the data it returns
 * `z.output<typeof meta.output>`, so a schema and its method cannot drift apart.
 *
 * The metadata is checked when the class is defined (name `{prefix}-{action}` with the
 * category's prefix, a destructive skill must require confirmation, …); a bad declaration
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
export function Skill<I extends z.ZodType, O extends z.ZodType>(meta: SkillMeta<I, O>) {
  return function skillDecorator<This>(
    method: SkillRunMethod<This, I, O>,
    context: ClassMethodDecoratorContext<This, SkillRunMethod<This, I, O>> & { static: true; name: 'run' },
  ): void {
    // The types already demand `static run`; this catches untyped (JS) or cast callers.
    if (!context.static || context.name !== 'run' || typeof method !== 'function') {
      throw new TypeError(`@Skill('${meta.name}') decorates a class's static run method, not ${String(context.name)}`);
    }
    const problems = checkSkillMeta(meta);
    if (problems.length > 0) throw new TypeError(`@Skill('${meta.name}') is invalid: ${problems.join('; ')}`);
    context.addInitializer(function (this: This) {
      if (Object.hasOwn(this as object, SKILL_META)) throw new TypeError(`@Skill('${meta.name}'): the class already declares a skill`);
      Object.defineProperty(this, SKILL_META, { value: Object.freeze({ ...meta }), enumerable: false });
    });
  };
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
  if (meta.risk === 'destructive' && !meta.requiresConfirmation) problems.push('a destructive skill must set requiresConfirmation: true');
  if (!meta.description || meta.description.length > 1024) problems.push('description must have 1 to 1,024 characters');
  if (typeof meta.input?.safeParse !== 'function') problems.push('input must be a zod schema');
  if (typeof meta.output?.safeParse !== 'function') problems.push('output must be a zod schema');
  return problems;
}

/**
 * Whether `value` is a class with a `@Skill`-decorated static `run`.
 *
 * @example
 * ```ts
 * const skills = Object.values(await import('./skills')).filter(isSkillClass)
 * ```
 */
export function isSkillClass(value: unknown): value is DecoratedSkillClass {
  return typeof value === 'function' && SKILL_META in value && typeof (value as { run?: unknown }).run === 'function';
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
