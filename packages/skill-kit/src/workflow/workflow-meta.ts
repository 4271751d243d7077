import type { SkillReference } from '../skill/skill-meta';

/**
 * One step of a workflow: a typed skill reference (`{ skill, input, why? }`, checked against the
 * target's input schema by skillgen), a name later conditions refer to, and an optional condition
 * on the results of earlier steps.
 *
 * @example
 * ```ts
 * const step: WorkflowStep = { name: 'vacuum', skill: 'maintenance-vacuum', input: { analyze: true }, why: 'reclaim dead rows', when: 'steps.health.data.findings[check=dead_tuples]' }
 * ```
 */
export interface WorkflowStep extends SkillReference {
  /** kebab-case, unique in the workflow: `steps.<name>` in later conditions. */
  name: string;
  /** Run the step only when this holds (see `parseWhen`); without it the step always runs. */
  when?: string;
  /** Only plan this step, even in a real run (e.g. an optimizer whose advice a person reads). */
  dryRun?: boolean;
}

/**
 * A workflow: named steps run in order through the executor. Declared as a literal with
 * {@link defineWorkflow} (skillgen reads it statically and generates its SKILL.md).
 */
export interface WorkflowMeta {
  /** kebab-case: `safe-maintenance`. */
  name: string;
  /** What it does and when, in at most 200 characters (it counts in the skill listing budget). */
  description: string;
  /** Situations that call for it (the SKILL.md body). */
  whenToUse?: string[];
  /**
   * Values given when it runs (`--param role=app`): a step input value `<role>` (a whole string)
   * is replaced by the parameter's value, or its `default`.
   */
  params?: Record<string, WorkflowParam>;
  steps: WorkflowStep[];
}

/** A parameter of a workflow, used as `<name>` in its steps' inputs. */
export interface WorkflowParam {
  description: string;
  /** Used when the run gives none; without it the parameter is required. */
  default?: string;
}

/**
 * Declares a workflow (an identity function that types the literal).
 * @example
 * ```ts
 * export const SAFE_MAINTENANCE = defineWorkflow({ name: 'safe-maintenance', description: '…', steps: [{ name: 'status', skill: 'cluster-status', input: {} }] })
 * ```
 */
export function defineWorkflow<const W extends WorkflowMeta>(workflow: W): W {
  return workflow;
}
