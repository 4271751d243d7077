/**
 * @pgcluster/skill-kit — the `@Skill` decorator, the registry, the executor (validate → plan
 * → confirm → run → audit), the result envelope, its renderers, exit codes and the audit log.
 * @packageDocumentation
 */
export * from './skill/skill-meta';
export * from './skill/skill';
export * from './skill/skill-registry';
export { SkillReferenceSchema } from './skill/skill-reference-schema';
export { CLI_GLOBAL_FLAGS, flagName, PLACEHOLDER, referenceCommand } from './skill/reference-command';
export * from './executor/execute-skill';
export * from './executor/exit-code-for';
export * from './executor/describe-input-issues';
export { checkRecommendations, referenceInputProblems, type CheckRecommendationsConfig, type ReferenceInputSchema } from './executor/check-recommendations';
export { toEnvelopeError, type EnvelopeError } from './executor/to-envelope-error';
export * from './log/stderr-logger';
export * from './render/render-envelope';
export * from './render/render-json';
export * from './render/render-human';
export * from './render/render-prometheus';
export * from './audit/audit-input';
export * from './audit/audit-log';
export { AUDIT_TABLE, AUDIT_TABLE_DDL } from './audit/audit-table';
export * from './audit/new-audit-id';
export * from './audit/undo-audit';
