/**
 * @pgcluster/security — the security audit (`security-audit`: pg_hba.conf, passwords, roles,
 * privileges, TLS, logging, checksums and file permissions as findings with their CIS section
 * and exact remedy) and the CIS compliance report built on it (`security-compliance`: pass/fail
 * per section, a score, the fix of every failure, Markdown for a ticket).
 *
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { runSecurityAudit } from '@pgcluster/security'
 *
 * const report = await runSecurityAudit(loadConfig().config)
 * console.log(report.status, report.findings.map((f) => `${f.check} ${f.object}: ${f.remedy}`))
 * ```
 * @packageDocumentation
 */
// Audit: the catalogue, findings and the run.
export { CHECK_SCOPES, checkDefinition, SECURITY_CHECK_IDS, SECURITY_CHECKS, type CheckScope, type SecurityCheckDefinition, type SecurityCheckId } from './audit/check-catalogue';
export { CHECK_STATUSES, SECURITY_CATEGORIES, SecurityFinding, SEVERITIES, type CheckStatus, type SecurityCategory, type Severity } from './audit/finding';
export { AUDIT_STATUSES, AuditNode, SecurityAuditInput, SecurityAuditReport, SecurityCheckResult } from './audit/audit-schema';
export { databasesOf, expectedRolesOf, runSecurityAudit, selectSecurityChecks, type SecurityAuditOptions } from './audit/run-audit';
export { AUDIT_APPLICATION_NAME, RECOMMENDED_LOG_LINE_PREFIX } from './audit/checks/setting-checks';
export { DANGEROUS_FUNCTIONS } from './audit/checks/database-checks';
export { isLoopback, isOpen } from './audit/checks/hba-checks';
export { SecurityAuditSkill } from './skills/security-audit.skill';
// Compliance: CIS sections, the report and its Markdown.
export { CIS_SECTIONS, type CisSection } from './compliance/cis-sections';
export { ComplianceFix, ComplianceReport, ComplianceSection, SECTION_RESULTS, SecurityComplianceInput, type SectionResult } from './compliance/compliance-schema';
export { buildComplianceReport, checkComplianceOutput, renderComplianceMarkdown, writeComplianceMarkdown } from './compliance/build-compliance';
export { SecurityComplianceSkill } from './skills/security-compliance.skill';
// Rotation: alternating users, single-role mode, undo.
export { ALT_SUFFIX, ROTATE_ACTIONS, ROTATE_MODES, RotatedReplica, RotateReport, SecurityRotateInput, type RotateMode } from './rotate/rotate-schema';
export { loginsOf, rotateCredentials, rotationStatements, ROTATE_APPLICATION_NAME, undoRotation, type RotateOptions } from './rotate/rotate-credentials';
export { generatePassword, scramVerifier } from './rotate/scram-verifier';
export { parseConninfo, renderConninfo } from './rotate/replica-credentials';
export { authFileLine, bouncerUrl, pgbouncerAuthOf, pgbouncerSettings, proveBouncerLogin, reloadPgbouncer, setAuthFileSecret, writeAuthFile, type PgbouncerAuth } from './rotate/pgbouncer-auth';
export { SecurityRotateSkill } from './skills/security-rotate.skill';
// TLS: certificates, staged enabling, undo.
export { ENCRYPT_ACTIONS, EncryptedNode, EncryptReport, SecurityEncryptInput, TLS_VERSIONS } from './encrypt/encrypt-schema';
export { ensureCa, issueServerCertificate, nodeSans } from './encrypt/certificates';
export { enableTls, ENCRYPT_APPLICATION_NAME, tlsUrl, undoTls, type EnableTlsOptions } from './encrypt/enable-tls';
export { enablePgbouncerTls, PGBOUNCER_TLS_FILES, pgbouncerTlsSettings, undoPgbouncerTls, type PgbouncerTlsState } from './encrypt/pgbouncer-tls';
export { findPrimary } from './cluster/find-primary';
export { SecurityEncryptSkill } from './skills/security-encrypt.skill';
// pgaudit: preload with a planned restart, the extension, pgaudit.log, undo.
export { DEFAULT_PGAUDIT_LOG, PGAUDIT_ACTIONS, PGAUDIT_CLASSES, PgauditNode, PgauditReport, SecurityPgauditInput } from './pgaudit/pgaudit-schema';
export { enablePgaudit, PGAUDIT_APPLICATION_NAME, preloadList, preloadStatement, undoPgaudit, type EnablePgauditOptions } from './pgaudit/enable-pgaudit';
export { SecurityPgauditSkill } from './skills/security-pgaudit.skill';
// The least-privilege reader of read-only skills.
export { DEFAULT_READER_ROLE, READER_ACTIONS, ReaderReport, SecurityReaderInput } from './reader/reader-schema';
export { dropReaderRole, initReaderRole, PASSWORD_KINDS_FUNCTION, READER_APPLICATION_NAME, READER_FORBIDDEN_ROLES, READER_MEMBERSHIPS, type ReaderOptions } from './reader/reader-role';
export { SecurityReaderSkill } from './skills/security-reader.skill';
