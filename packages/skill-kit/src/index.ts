/**
 * @pgcluster/skill-kit — the `@Skill` decorator, the registry, the executor (validate → plan
 * → confirm → run → audit), the result envelope, its renderers, exit codes and the audit log.
 * @packageDocumentation
 */
export {
  CATEGORIES,
  type Category,
  CATEGORY_PREFIXES,
  RISKS,
  type Risk,
  ACTORS,
  type Actor,
  STATUSES,
  type Status,
  FORMATS,
  type Format,
  type SkillReference,
  type DecisionRule,
  type ExampleOptions,
  METRIC_TYPES,
  type MetricType,
  type MetricSpec,
  type SkillExample,
  type SkillMeta,
  type PlanStep,
  type RollbackSpec,
  type Recommendation,
  type SkillResult,
  type OutcomeSummary,
  type ProgressUpdate,
  type SkillLogger,
  type SkillContext,
  type Envelope,
  type SkillClass,
  type SkillActionLike,
  type RunResources,
} from './skill/skill-meta';
export {
  actionInput,
  actionSchemasOf,
  parseActionInput,
  ACTION_SCHEMAS,
  type ActionSchemas,
  type ActionInputSchema,
  type ActionInputOptions,
  type ActionName,
  type ActionInput,
} from './skill/action-input';
export { type SkillAction, type SkillActions, type ActionSafety } from './skill/skill-actions';
export {
  Skill,
  checkSkillMeta,
  isSkillClass,
  getSkillMeta,
  actionSafety,
  type SkillDecorator,
  type SkillRunMethod,
  type DecoratedSkillClass,
} from './skill/skill';
export { createSkillRegistry, type RegisteredSkill, type SkillRegistry } from './skill/skill-registry';
export {
  executeSkill,
  type ConfirmationPolicy,
  DEFAULT_STOP_WITHIN_MS,
  DEFAULT_TIMEOUT_MS,
  type ExecuteOptions,
  READER_MODES,
  type ReaderMode,
} from './executor/execute-skill';
export { createRunResources, TOPOLOGY_SHARE_MS, type RunResourcesConfig, type OwnedRunResources } from './executor/run-resources';
export { exitCodeFor, type ExitCode, EXIT_CODES } from './executor/exit-code-for';
export { SkillReferenceSchema } from './skill/skill-reference-schema';
export {
  SEVERITIES,
  type Severity,
  CHECK_STATUSES,
  type CheckStatus,
  CHECK_REPORT_STATUSES,
  type CheckReportStatus,
  CheckCounts,
} from './skill/check-report-schema';
export { CLI_GLOBAL_FLAGS, flagName, PLACEHOLDER, referenceCommand } from './skill/reference-command';
export { checkRecommendations, referenceInputProblems, type CheckRecommendationsConfig, type ReferenceInputSchema } from './executor/check-recommendations';
export { toEnvelopeError, type EnvelopeError } from './executor/to-envelope-error';
export { createStderrLogger, LOG_LEVELS, type LogLevel, type StderrLogger, type StderrLoggerOptions } from './log/stderr-logger';
export { inputFieldLabel, nearestName, labelInputError, type DescribeInputOptions } from './executor/describe-input-issues';
export { renderEnvelope } from './render/render-envelope';
export { renderJson } from './render/render-json';
export { renderHuman, formatHumanValue, type HumanOptions } from './render/render-human';
export {
  renderPrometheus,
  metricLabelNames,
  metricSamples,
  type MetricSample,
} from './render/render-prometheus';
export {
  summariseAuditInput,
  AUDIT_AS,
  type AuditAs,
  type AuditDigest,
  type AuditFile,
} from './audit/audit-input';
export {
  type AuditRecord,
  type WorkflowAudit,
  type AuditEntry,
  type AuditLogConfig,
  type AuditListOptions,
  MAX_AUDIT_INPUT_BYTES,
  MAX_OUTCOME_SUMMARY_KEYS,
  boundedSummary,
  AuditLog,
} from './audit/audit-log';
export { AUDIT_TABLE } from './audit/audit-table';
export { undoAudit, undoneRuns, UNDO_SKILL_NAME, type UndoOptions } from './audit/undo-audit';
export { defineWorkflow, type WorkflowMeta, type WorkflowParam, type WorkflowStep } from './workflow/workflow-meta';
export {
  parseWhen,
  evaluateWhen,
  whenSteps,
  WhenSyntaxError,
  COMPARISON_OPS,
  type ComparisonOp,
  type Comparison,
  type PathSegment,
  type WhenExpression,
  type WhenStepResult,
} from './workflow/when-expression';
export {
  runWorkflow,
  fillParams,
  WORKFLOW_STEP_STATUSES,
  type WorkflowStepStatus,
  type WorkflowStepOutcome,
  type WorkflowRollback,
  type WorkflowRunResult,
  type RunWorkflowOptions,
} from './workflow/run-workflow';
