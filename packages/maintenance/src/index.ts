/**
 * @pgcluster/maintenance — session control, vacuum, analyze and reindex: the fixes that
 * monitoring's findings point to, each a skill with a plan, the locks it takes and an undo
 * where one exists.
 * @packageDocumentation
 */
export { parseQualifiedName, qualified, quoteIdent, quoteLiteral, type QualifiedName } from './sql/qualified-name';
export { DatabaseName, MAINTENANCE_APPLICATION_NAME, currentDatabase, resolveTarget, withTarget, withProgress, freeBytes, type MaintenanceTarget } from './connection/maintenance-target';
export { SESSION_ACTIONS, SESSION_STATES, SessionsInput, SessionsReport, SessionInfo, BlockingChain, PreparedTransaction, SessionActionResult, type SessionAction, type SessionState } from './sessions/sessions-schema';
export { controlSessions, readSessions, selectSessions, checkSessionsInput, actionStatement, preparedOf, type ControlSessionsOptions, type SessionsSnapshot, type SessionsRequest } from './sessions/control-sessions';
export { MaintenanceSessionsSkill } from './skills/maintenance-sessions.skill';
export { resolveRelation, type ResolvedRelation } from './sql/resolve-relation';
export { AUTOVACUUM_MODES, INDEX_CLEANUP_MODES, VacuumInput, VacuumReport, VacuumedTable, type IndexCleanupMode } from './vacuum/vacuum-schema';
export { planVacuum, runVacuum, VACUUM_LOCKS, type VacuumPlan } from './vacuum/run-vacuum';
export { MaintenanceVacuumSkill } from './skills/maintenance-vacuum.skill';
export { AnalyzeInput, AnalyzeReport, AnalyzedTable } from './analyze/analyze-schema';
export { planAnalyze, runAnalyze, ANALYZE_LOCK, type AnalyzePlan } from './analyze/run-analyze';
export { MaintenanceAnalyzeSkill } from './skills/maintenance-analyze.skill';
export { REINDEX_ACTIONS, ReindexInput, ReindexReport, ReindexedIndex, type ReindexAction, type ReindexRequest } from './reindex/reindex-schema';
export { planReindex, runReindex, REINDEX_LOCKS, type ReindexPlan, type IndexStep, type ReindexStatement } from './reindex/run-reindex';
export { MaintenanceReindexSkill } from './skills/maintenance-reindex.skill';
export { AutovacuumSettings, AUTOVACUUM_PARAMETERS, adviseAutovacuum, autovacuumStatements, undoSettings, type AutovacuumAdvice } from './vacuum/autovacuum-settings';
export { OptimizeInput, OptimizeReport, IndexRecommendation, StatementCost, DropRecommendation, AppliedIndex, MeasuredStatement } from './optimize/optimize-schema';
export { optimizeIndexes, type OptimizeOptions } from './optimize/apply-indexes';
export { adviseIndexes } from './optimize/advise-indexes';
export { MaintenanceOptimizeSkill } from './skills/maintenance-optimize.skill';
