import { loadConfig } from '@pgcluster/core';
import { AuditLog } from '../audit/audit-log';
import { executeSkill, type ExecuteOptions } from '../executor/execute-skill';
import { actionSafety, getSkillMeta } from '../skill/skill';
import { PLACEHOLDER } from '../skill/reference-command';
import type { Envelope, Risk, RollbackSpec, SkillClass, SkillMeta, Status } from '../skill/skill-meta';
import { evaluateWhen, parseWhen, type WhenStepResult } from './when-expression';
import type { WorkflowMeta, WorkflowStep } from './workflow-meta';

/** What became of one step: ran, failed, skipped by its condition, planned (dry run), refused, or not reached. */
export const WORKFLOW_STEP_STATUSES = ['ran', 'failed', 'skipped', 'planned', 'refused', 'not-run'] as const;
/** One of {@link WORKFLOW_STEP_STATUSES}. */
export type WorkflowStepStatus = (typeof WORKFLOW_STEP_STATUSES)[number];

/** One step of a workflow run, with its envelope when the executor ran it. */
export interface WorkflowStepOutcome {
  name: string;
  skill: string;
  input: Record<string, unknown>;
  why?: string;
  when?: string;
  status: WorkflowStepStatus;
  /** Why it was skipped, refused or not run. */
  reason?: string;
  envelope?: Envelope;
}

/** A completed step's undo, offered when a later step fails: a typed reference and its audit id. */
export interface WorkflowRollback extends RollbackSpec {
  /** The step it undoes. */
  step: string;
  /** The audit record of the step (`pgcluster audit undo <id>` runs this rollback). */
  auditId?: string;
}

/** The outcome of {@link runWorkflow}. */
export interface WorkflowRunResult {
  workflow: string;
  /** `planned` for a dry run; `failed` or `refused` stops the chain at `failedStep`. */
  status: 'ok' | 'planned' | 'failed' | 'refused';
  ok: boolean;
  dryRun: boolean;
  steps: WorkflowStepOutcome[];
  failedStep?: string;
  /** On failure: the rollbacks of the steps that completed, newest first (run them in this order). */
  rollbacks: WorkflowRollback[];
  error?: { code: string; message: string; hint?: string };
  /** The audit record of the run itself (`workflow <name>`), listing its steps' audit ids. */
  auditId?: string;
}

/** How {@link runWorkflow} runs: the executor's options for every step, and how to find a skill. */
export interface RunWorkflowOptions extends Omit<ExecuteOptions, 'undoOf' | 'resolveSkill'> {
  /** Finds a skill by name (the CLI loads only the packages the steps need). */
  resolveSkill: (name: string) => SkillClass | undefined;
  /** Values of the workflow's {@link WorkflowMeta.params} (`<name>` in step inputs). */
  params?: Readonly<Record<string, string>>;
}

/**
 * A step's input with its `<param>` values filled in; the names of required parameters not given.
 * @example
 * ```ts
 * fillParams({ role: '<role>' }, { role: { description: 'the login role' } }, { role: 'app' }) // { input: { role: 'app' }, missing: [] }
 * ```
 */
export function fillParams(
  input: Readonly<Record<string, unknown>>,
  declared: WorkflowMeta['params'],
  given: Readonly<Record<string, string>> = {},
): { input: Record<string, unknown>; missing: string[] } {
  const missing: string[] = [];
  const filled: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    const name = typeof value === 'string' && PLACEHOLDER.test(value) ? value.slice(1, -1) : undefined;
    const param = name !== undefined && declared && Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (name === undefined || param === undefined) {
      filled[field] = value;
      continue;
    }
    const chosen = Object.hasOwn(given, name) ? given[name] : param.default;
    if (chosen === undefined) missing.push(name);
    else filled[field] = chosen;
  }
  return { input: filled, missing };
}

/**
 * Runs a workflow: each step through {@link executeSkill} (validation, plan, confirmation, audit),
 * in order. A step whose `when` does not hold on the earlier results is skipped. With `dryRun`
 * every step is planned and nothing changes (a condition cannot be known before its steps run:
 * the plan notes it). A step that requires confirmation (its action's safety, for a skill with
 * several) needs `yes` for the whole run: without it nothing runs and the result is `refused`. The
 * first step that fails (or is refused) stops the chain; the rollbacks of the completed steps are
 * offered newest first. The run itself gets one audit record, `workflow <name>` (actor, params,
 * outcome, its steps' audit ids, the skipped steps, the rollbacks offered): its id is `auditId`.
 *
 * Never throws for a failing step; throws only for a workflow that is not well formed (an unknown
 * skill, a condition that does not parse), which skillgen already refuses at generation time.
 *
 * @example
 * ```ts
 * const result = await runWorkflow(SAFE_MAINTENANCE, { actor: 'cli', yes: true, resolveSkill })
 * if (!result.ok) console.error(result.rollbacks.map((r) => referenceCommand(r)))
 * ```
 */
export async function runWorkflow(workflow: WorkflowMeta, options: RunWorkflowOptions): Promise<WorkflowRunResult> {
  const started = performance.now();
  const time = new Date().toISOString();
  const result = await runChain(workflow, options);
  const auditId = await auditRun(workflow, options, result, { time, durationMs: Math.round(performance.now() - started) });
  return auditId ? { ...result, auditId } : result;
}

async function runChain(workflow: WorkflowMeta, options: RunWorkflowOptions): Promise<WorkflowRunResult> {
  const { resolveSkill, ...execute } = options;
  const dryRun = options.dryRun === true;
  const skills = workflow.steps.map((step) => {
    const skillClass = resolveSkill(step.skill);
    if (!skillClass) throw new Error(`workflow ${workflow.name}: step ${step.name} names ${step.skill}, which is not a skill`);
    return skillClass;
  });
  const conditions = workflow.steps.map((step) => (step.when === undefined ? undefined : parseWhen(step.when)));
  const steps: WorkflowStepOutcome[] = workflow.steps.map((step) => outcomeOf(step, 'not-run'));
  const base = { workflow: workflow.name, dryRun, steps, rollbacks: [] as WorkflowRollback[] };
  const unknown = Object.keys(options.params ?? {}).filter((name) => !Object.hasOwn(workflow.params ?? {}, name));
  const inputs = workflow.steps.map((step) => fillParams(step.input, workflow.params, options.params));
  const missing = [...new Set(inputs.flatMap((i) => i.missing))];
  if (unknown.length > 0 || missing.length > 0) {
    const declared = Object.keys(workflow.params ?? {});
    const message = unknown.length > 0 ? `unknown parameter ${unknown.join(', ')}` : `missing parameter ${missing.join(', ')}`;
    return {
      ...base,
      status: 'failed',
      ok: false,
      error: { code: 'INVALID_INPUT', message: `--param: ${message} of workflow ${workflow.name} (it takes ${declared.length ? declared.join(', ') : 'none'})`, hint: `Give it as --param name=value; see pgcluster workflow show ${workflow.name}.` },
    };
  }

  if (!dryRun && options.yes !== true) {
    const needing = workflow.steps.filter((step, i) => step.dryRun !== true && stepSafety(skills[i]!, inputs[i]!.input).requiresConfirmation);
    if (needing.length > 0) {
      const names = needing.map((s) => `${s.name} (${s.skill})`).join(', ');
      for (const outcome of steps) outcome.reason = 'the workflow needs --yes';
      return {
        ...base,
        status: 'refused',
        ok: false,
        failedStep: needing[0]!.name,
        error: { code: 'REFUSED', message: `workflow ${workflow.name} runs steps that require confirmation: ${names}; nothing ran`, hint: `Check the plan with --dry-run, then run it with --yes.` },
      };
    }
  }

  const results: Record<string, WhenStepResult> = {};
  for (const [i, step] of workflow.steps.entries()) {
    const condition = conditions[i];
    if (condition !== undefined && !dryRun && !evaluateWhen(condition, results)) {
      steps[i] = { ...outcomeOf(step, 'skipped', inputs[i]!.input), reason: `its condition does not hold: ${step.when}` };
      continue;
    }
    const envelope = (await executeSkill(skills[i]!, inputs[i]!.input, { ...execute, resolveSkill, dryRun: dryRun || step.dryRun === true })) as Envelope;
    results[step.name] = { ok: envelope.ok, status: envelope.status, data: envelope.data, alerts: envelope.alerts, recommendations: envelope.recommendations };
    const status: WorkflowStepStatus = envelope.status === 'refused' ? 'refused' : !envelope.ok ? 'failed' : envelope.status === 'planned' ? 'planned' : 'ran';
    steps[i] = {
      ...outcomeOf(step, status, inputs[i]!.input),
      ...(dryRun && condition !== undefined ? { reason: `runs only if ${step.when} (known when the earlier steps have run)` } : {}),
      envelope,
    };
    if (status === 'failed' || status === 'refused') {
      const rollbacks = steps
        .slice(0, i)
        .filter((s) => s.status === 'ran' && s.envelope?.rollback)
        .reverse()
        .map((s) => ({ ...s.envelope!.rollback!, step: s.name, ...(s.envelope!.auditId ? { auditId: s.envelope!.auditId } : {}) }));
      for (const later of steps.slice(i + 1)) later.reason = `step ${step.name} ${status === 'refused' ? 'was refused' : 'failed'}`;
      return {
        ...base,
        status: status === 'refused' ? 'refused' : 'failed',
        ok: false,
        failedStep: step.name,
        rollbacks,
        error: {
          code: envelope.error?.code ?? 'FAILED',
          message: `step ${step.name} (${step.skill}) ${status}: ${envelope.error?.message ?? envelope.status}`,
          ...(envelope.error?.hint ? { hint: envelope.error.hint } : {}),
        },
      };
    }
  }
  return { ...base, status: dryRun ? 'planned' : 'ok', ok: true };
}

/** The safety of what a step runs: its action's, for a skill with several (the input's `action`, or the default one). */
function stepSafety(skillClass: SkillClass, input: Readonly<Record<string, unknown>>): Pick<SkillMeta, 'risk' | 'requiresConfirmation'> {
  const meta = getSkillMeta(skillClass);
  const actions = actionSafety(meta, skillClass.actions);
  if (actions.length === 0) return meta;
  const parsed = meta.input.safeParse(input);
  const action = (parsed.success ? (parsed.data as { action?: unknown }).action : undefined) ?? input['action'];
  return actions.find((a) => a.action === action) ?? meta;
}

const RISK_ORDER: readonly Risk[] = ['read', 'write', 'destructive'];

/**
 * Appends the run's own audit record (`workflow <name>`) through the audit log the executor uses
 * (the caller's, or the config's: the state dir's file, and the audit table unless every step only
 * reads); a dry run is recorded as one. Never throws: a record that cannot be written is a warning.
 */
async function auditRun(workflow: WorkflowMeta, options: RunWorkflowOptions, result: WorkflowRunResult, run: { time: string; durationMs: number }): Promise<string | undefined> {
  let auditLog: AuditLog | undefined;
  try {
    auditLog = options.audit === false ? undefined : (options.audit ?? AuditLog.fromConfig(options.config ?? loadConfig(options.loadConfig), options.log));
  } catch {
    options.log?.debug(`no configuration, so no state dir: workflow ${workflow.name} is not audited`);
  }
  if (!auditLog) return undefined;
  const risks = workflow.steps.map((step, i) => {
    const skillClass = options.resolveSkill(step.skill);
    return step.dryRun === true || !skillClass ? 'read' : stepSafety(skillClass, result.steps[i]!.input).risk;
  });
  const risk = RISK_ORDER[Math.max(...risks.map((r) => RISK_ORDER.indexOf(r)))] ?? 'read';
  const status: Status = result.status === 'failed' ? 'error' : result.status;
  const ran = result.steps.filter((s) => s.status === 'ran').length;
  try {
    const record = await auditLog.append({
      time: run.time,
      skill: `workflow ${workflow.name}`,
      risk,
      actor: options.actor ?? 'library',
      input: { ...options.params },
      dryRun: result.dryRun,
      outcome: {
        status,
        ...(result.error ? { errorCode: result.error.code } : {}),
        summary: { steps: result.steps.length, ran, ...(result.failedStep ? { failedStep: result.failedStep } : {}) },
      },
      durationMs: run.durationMs,
      workflow: {
        steps: result.steps.map((s) => ({ name: s.name, skill: s.skill, status: s.status, ...(s.envelope?.auditId ? { auditId: s.envelope.auditId } : {}) })),
        skipped: result.steps.filter((s) => s.status === 'skipped').map((s) => s.name),
        rollbacks: result.rollbacks,
      },
    });
    return record.id;
  } catch (error) {
    options.log?.warn(`could not write the audit record of workflow ${workflow.name}: ${(error as Error).message}`);
    return undefined;
  }
}

function outcomeOf(step: WorkflowStep, status: WorkflowStepStatus, input: Record<string, unknown> = step.input): WorkflowStepOutcome {
  return {
    name: step.name,
    skill: step.skill,
    input,
    ...(step.why !== undefined ? { why: step.why } : {}),
    ...(step.when !== undefined ? { when: step.when } : {}),
    status,
  };
}
