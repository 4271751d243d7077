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
  type DecisionRule,
  METRIC_TYPES,
  type MetricType,
  type MetricSpec,
  type SkillExample,
  type SkillMeta,
  type PlanStep,
  type RollbackSpec,
  type Recommendation,
  type SkillResult,
  type SkillLogger,
  type SkillContext,
  type Envelope,
  type SkillClass,
} from './skill/skill-meta';
export {
  Skill,
  checkSkillMeta,
  isSkillClass,
  getSkillMeta,
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
} from './executor/execute-skill';
export { exitCodeFor, type ExitCode, EXIT_CODES } from './executor/exit-code-for';
export { toEnvelopeError, type EnvelopeError } from './executor/to-envelope-error';
export { createStderrLogger, LOG_LEVELS, type LogLevel, type StderrLoggerOptions } from './log/stderr-logger';
export { renderEnvelope } from './render/render-envelope';
export { renderJson } from './render/render-json';
export { renderHuman } from './render/render-human';
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
  type AuditEntry,
  type AuditLogConfig,
  type AuditListOptions,
  MAX_AUDIT_INPUT_BYTES,
  AuditLog,
} from './audit/audit-log';
export { AUDIT_TABLE } from './audit/audit-table';
export { undoAudit, undoneRuns, UNDO_SKILL_NAME, type UndoOptions } from './audit/undo-audit';
