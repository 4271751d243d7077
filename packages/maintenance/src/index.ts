/**
 * @pgcluster/maintenance — session control, vacuum, analyze and reindex: the fixes that
 * monitoring's findings point to, each a skill with a plan, the locks it takes and an undo
 * where one exists.
 * @packageDocumentation
 */
export { parseQualifiedName, qualified, quoteIdent, quoteLiteral, type QualifiedName } from './sql/qualified-name';
export { SkillReference } from './sql/skill-reference';
export { MAINTENANCE_APPLICATION_NAME, resolveTarget, withTarget, withProgress, freeBytes, type MaintenanceTarget } from './connection/maintenance-target';
export { SESSION_ACTIONS, SESSION_STATES, SessionsInput, SessionsReport, SessionInfo, BlockingChain, PreparedTransaction, SessionActionResult, type SessionAction, type SessionState } from './sessions/sessions-schema';
export { controlSessions, readSessions, selectSessions, checkSessionsInput, actionStatement, preparedOf, type ControlSessionsOptions, type SessionsSnapshot } from './sessions/control-sessions';
export { MaintenanceSessionsSkill } from './skills/maintenance-sessions.skill';
