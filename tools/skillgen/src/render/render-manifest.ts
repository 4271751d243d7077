import { RISKS, STATUSES, type Risk, type WorkflowParam } from '@pgcluster/skill-kit';
import type { ScannedWorkflow } from '../scan/scan-workflows';
import { workflowMdPath } from './render-workflow-md';
import { commandOf, skillMdPath, type SkillModel } from './skill-model';

/** The manifest's format version; bump it when a field changes meaning. */
export const MANIFEST_VERSION = 1;

/**
 * The JSON Schema of the result envelope around every skill's `data` (see `Envelope` in
 * @pgcluster/skill-kit); `data` itself is each skill's `output` schema.
 */
export const ENVELOPE_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    skill: { type: 'string' },
    status: { type: 'string', enum: [...STATUSES] },
    data: { description: "The skill's output (its `output` schema), or null on error or refusal." },
    alerts: { type: 'array', items: { type: 'string' } },
    recommendations: {
      type: 'array',
      items: {
        type: 'object',
        description: 'A next step: with skill, a reference whose input that skill accepts (pgcluster <skill> with it as --input or flags); without, a step for a person.',
        properties: {
          why: { type: 'string' },
          skill: { type: 'string' },
          input: { type: 'object', description: "The skill's input, valid against its input schema." },
          planned: { type: 'boolean', description: 'The skill is not available in this version yet.' },
        },
        required: ['why'],
      },
    },
    plan: {
      type: 'array',
      items: {
        type: 'object',
        properties: { kind: { type: 'string', enum: ['sql', 'command', 'http', 'file', 'note'] }, target: { type: 'string' }, text: { type: 'string' } },
        required: ['kind', 'target', 'text'],
      },
    },
    rollback: {
      type: 'object',
      description: 'How to undo the run: a reference to another skill run (pgcluster audit undo <auditId> applies it).',
      properties: { skill: { type: 'string' }, input: { type: 'object' }, why: { type: 'string' } },
      required: ['skill', 'input', 'why'],
    },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } },
      required: ['code', 'message'],
    },
    auditId: { type: 'string' },
    durationMs: { type: 'number' },
  },
  required: ['ok', 'skill', 'status', 'data', 'alerts', 'recommendations', 'durationMs'],
} as const;

/** One skill in `skills/manifest.json` (the seed ADR's skills.json, with JSON Schemas). */
export interface ManifestSkill {
  name: string;
  command: string;
  description: string;
  category: string;
  risk: string;
  autonomous: boolean;
  requiresConfirmation: boolean;
  idempotent: boolean;
  version: string;
  package: string;
  skillMd: string;
  input: unknown;
  output: unknown;
  /**
   * A skill with several actions: each action's safety and fields (`input` stays the flat
   * `type: object` schema with the `action` enum; each action takes only its `fields`).
   */
  actions?: ManifestAction[];
}

/** One action of a multi-action skill in the manifest. */
export interface ManifestAction {
  name: string;
  risk: string;
  requiresConfirmation: boolean;
  autonomous: boolean;
  /** The input fields this action takes (besides `action`). */
  fields: string[];
  /** Those it requires. */
  required: string[];
}

/** One workflow in the manifest: its steps with the safety of what each runs, and the whole run's. */
export interface ManifestWorkflow {
  name: string;
  /** `pgcluster workflow run <name>`. */
  command: string;
  description: string;
  package: string;
  skillMd: string;
  params: Record<string, WorkflowParam>;
  /** The highest risk of its steps (a plan-only step counts as `read`). */
  risk: Risk;
  /** Some step (not plan-only) requires confirmation: a run needs `--yes` (`confirm: true`). */
  requiresConfirmation: boolean;
  steps: ManifestWorkflowStep[];
}

/** One step of a {@link ManifestWorkflow}. */
export interface ManifestWorkflowStep {
  name: string;
  skill: string;
  /** The action it runs, for a skill with several (its input's `action`, else the default). */
  action?: string;
  input: Record<string, unknown>;
  why?: string;
  when?: string;
  /** Only planned, even in a real run. */
  dryRun?: boolean;
  /** The risk of what it runs (the action's, for a skill with several). */
  risk: Risk;
  requiresConfirmation: boolean;
}

/**
 * A workflow's manifest entry: each step's safety from its target skill (or the action it runs),
 * and the run's: the highest risk, and whether any step that really runs requires confirmation.
 * @example workflowSafety(SAFE_MAINTENANCE_SCANNED, models).requiresConfirmation // false
 */
export function workflowSafety(workflow: ScannedWorkflow, skills: readonly SkillModel[]): ManifestWorkflow {
  const steps = workflow.steps.map((step): ManifestWorkflowStep => {
    const skill = skills.find((m) => m.name === step.skill);
    const declared = (skill?.schemas.input as { properties?: { action?: { default?: unknown } } } | undefined)?.properties?.action?.default;
    const action = skill && skill.actions.length > 0 ? (typeof step.input['action'] === 'string' ? step.input['action'] : declared) : undefined;
    const own = skill?.actions.find((a) => a.name === action) ?? skill;
    return {
      name: step.name,
      skill: step.skill,
      ...(typeof action === 'string' ? { action } : {}),
      input: step.input,
      ...(step.why !== undefined ? { why: step.why } : {}),
      ...(step.when !== undefined ? { when: step.when } : {}),
      ...(step.dryRun ? { dryRun: true } : {}),
      risk: own?.risk ?? 'read',
      requiresConfirmation: own?.requiresConfirmation ?? false,
    };
  });
  const running = steps.filter((s) => !s.dryRun);
  return {
    name: workflow.name,
    command: `pgcluster workflow run ${workflow.name}`,
    description: workflow.description,
    package: workflow.package.name,
    skillMd: workflowMdPath(workflow),
    params: workflow.params,
    risk: RISKS[Math.max(0, ...running.map((s) => RISKS.indexOf(s.risk)))]!,
    requiresConfirmation: running.some((s) => s.requiresConfirmation),
    steps,
  };
}

/**
 * Renders `skills/manifest.json`: every skill sorted by name with its command, metadata and
 * input/output JSON Schemas, every workflow with its steps' safety ({@link workflowSafety}), plus
 * the envelope schema. Deterministic: no timestamps.
 *
 * @example
 * ```ts
 * JSON.parse(renderManifest(skills)).skills[0].command // 'pgcluster cluster-status'
 * ```
 */
export function renderManifest(skills: readonly SkillModel[], workflows: readonly ScannedWorkflow[] = []): string {
  const manifest = {
    $comment: 'GENERATED by tools/skillgen from the @Skill declarations; do not edit, run `pnpm skillgen`.',
    version: MANIFEST_VERSION,
    envelope: ENVELOPE_SCHEMA,
    skills: skills.map(
      (s): ManifestSkill => ({
        name: s.name,
        command: commandOf(s),
        description: s.description,
        category: s.category,
        risk: s.risk,
        autonomous: s.autonomous,
        requiresConfirmation: s.requiresConfirmation,
        idempotent: s.idempotent,
        version: s.version,
        package: s.package.name,
        skillMd: skillMdPath(s),
        input: s.schemas.input,
        output: s.schemas.output,
        ...(s.actions.length > 0
          ? {
              actions: s.actions.map((a) => {
                const fields = Object.keys((a.input['properties'] ?? {}) as Record<string, unknown>);
                return { name: a.name, risk: a.risk, requiresConfirmation: a.requiresConfirmation, autonomous: a.autonomous, fields, required: ((a.input['required'] ?? []) as string[]).filter((f) => fields.includes(f)) };
              }),
            }
          : {}),
      }),
    ),
    workflows: workflows.map((w) => workflowSafety(w, skills)),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
