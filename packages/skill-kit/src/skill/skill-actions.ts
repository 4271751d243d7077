import type { ActionInput, ActionName } from './action-input';
import type { PlanStep, Risk, SkillContext, SkillResult } from './skill-meta';

/**
 * One action of a multi-action skill: its plan and run, each typed by the action's own input
 * (from {@link actionInput}), and the safety it needs when it differs from the skill's. The
 * executor dispatches to it: validate (the action's schema) → plan (only when used) →
 * confirmation gate (with this action's `requiresConfirmation` and `risk`) → run → audit.
 *
 * @example
 * ```ts
 * const terminate: SkillAction<ActionInput<typeof SessionsInput, 'terminate'>, SessionsOutput> = {
 *   risk: 'destructive',
 *   requiresConfirmation: true,
 *   plan: (ctx, input) => [{ kind: 'sql', target: 'primary', text: `SELECT pg_terminate_backend(${input.pid})` }],
 *   run: async (ctx, input) => ({ data: await terminateSession(ctx, input.pid) }),
 * }
 * ```
 */
export interface SkillAction<In, O> {
  /** This action's risk when it is not the skill's (e.g. `read` for a `list`); never above the skill's. */
  readonly risk?: Risk;
  /** This action refuses (exit 3) without `--yes`, MCP `confirm` or an approving policy; default the skill's. */
  readonly requiresConfirmation?: boolean;
  /** The agent may run this action unattended; default the skill's, and never true when the skill's is false. */
  readonly autonomous?: boolean;
  /**
   * The run's timeout when the caller gives none (`--timeout`, `timeoutMs`); default 60 s. For
   * actions that copy a whole cluster, which a minute cuts short.
   */
  readonly timeoutMs?: number;
  /** What the action would do (for `--dry-run`, the confirmation gate, a write's log); default a note. */
  plan?(ctx: SkillContext, input: In): PlanStep[] | Promise<PlanStep[]>;
  /** Does the work. Resources shared with `plan` come from `ctx.scope` (opened once per run). */
  run(ctx: SkillContext, input: In): Promise<SkillResult<O>>;
}

/**
 * The actions of a multi-action skill, one {@link SkillAction} per action of its input schema
 * `S` (made by {@link actionInput}), with data of type `O`. Declared as the skill class's
 * `static readonly actions`, decorated with `@Skill` (instead of a `static run`):
 *
 * @example
 * ```ts
 * export class VectorIndexSkill {
 *   @Skill({ name: 'vector-index', …, input: VectorIndexInput, output: VectorIndexOutput })
 *   static readonly actions: SkillActions<typeof VectorIndexInput, VectorIndexOutput> = {
 *     list: { risk: 'read', run: async (ctx) => ({ data: { action: 'list', collections: await listCollections(await skillDb(ctx)) } }) },
 *     tune: { plan: (ctx, input) => …, run: async (ctx, input) => … }, // input.targetRecall is a number here
 *   }
 * }
 * ```
 */
export type SkillActions<S, O> = { readonly [K in ActionName<S>]: SkillAction<ActionInput<S, K>, O> };

/** The safety one action runs with: the skill's, overridden by the action's own declaration. */
export interface ActionSafety {
  action: string;
  risk: Risk;
  requiresConfirmation: boolean;
  autonomous: boolean;
  /** The action's own default timeout, when it declares one. */
  timeoutMs?: number;
}
