import { CHECK_REPORT_STATUSES, CheckCounts } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { SECURITY_CHECK_IDS } from './check-catalogue';
import { CHECK_STATUSES, SECURITY_CATEGORIES, SecurityFinding } from './finding';

/** Overall status of an audit: healthy (no finding), degraded (warnings only), critical. */
export const AUDIT_STATUSES = CHECK_REPORT_STATUSES;

const ROLE_NAME = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;
const DATABASE_NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

/**
 * Input of `security-audit`.
 * @example
 * ```ts
 * SecurityAuditInput.parse({ category: ['authentication'], expectedRoles: ['replicator'] })
 * ```
 */
export const SecurityAuditInput = z.object({
  checks: z.array(z.enum(SECURITY_CHECK_IDS)).optional().describe('Run only these checks (ids from the catalogue); default all.'),
  category: z.array(z.enum(SECURITY_CATEGORIES)).optional().describe('Run only the checks of these categories; default all.'),
  expectedRoles: z
    .array(z.string().regex(ROLE_NAME, 'must be a role name (letters, digits, _ or $; at most 63)'))
    .default([])
    .describe("Roles allowed to be superusers or to hold CREATEROLE, BYPASSRLS or REPLICATION, besides the config's own users."),
  databases: z
    .array(z.string().regex(DATABASE_NAME, 'must be a database name (lower-case letters, digits, _ or $)'))
    .optional()
    .describe("Databases whose schemas and functions are checked; default the node URL's database and the config's named databases."),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(2_000).describe('Give up connecting to a node after this long, ms.'),
});
/** Input of `security-audit` (after defaults). */
export type SecurityAuditInput = z.output<typeof SecurityAuditInput>;

/** One check's outcome in an audit. */
export const SecurityCheckResult = z.object({
  check: z.enum(SECURITY_CHECK_IDS).describe('The check id.'),
  category: z.enum(SECURITY_CATEGORIES).describe('Its category.'),
  title: z.string().describe('What it verifies.'),
  reference: z.string().optional().describe('Its CIS PostgreSQL Benchmark section (numbered as pgdsat does).'),
  status: z.enum(CHECK_STATUSES).describe('ok, warning, critical (its worst finding) or skipped.'),
  findings: z.number().int().describe('How many findings it reported.'),
  nodes: z.array(z.string()).describe('Where it ran: nodes, or node/database for database checks.'),
  reason: z.string().optional().describe('Why it was skipped (on some or every node), e.g. "needs superuser (…)".'),
});
/** One check's outcome in an audit. */
export type SecurityCheckResult = z.infer<typeof SecurityCheckResult>;

/** A node as the audit saw it. */
export const AuditNode = z.object({
  name: z.string().describe('Node name.'),
  up: z.boolean().describe('Whether it answered.'),
  role: z.enum(['primary', 'replica', 'unknown']).describe('Its role (unknown when down).'),
  superuser: z.boolean().describe("Whether the audit's role is a superuser there (some checks need it)."),
  error: z.string().optional().describe('Why it did not answer.'),
});

/**
 * `data` of `security-audit`: the overall status, every finding and every check's outcome.
 * @example
 * ```ts
 * const report: SecurityAuditReport = await runSecurityAudit(config)
 * report.findings.filter((f) => f.severity === 'critical')
 * ```
 */
export const SecurityAuditReport = z.object({
  status: z.enum(AUDIT_STATUSES).describe('healthy (no finding), degraded (warnings only) or critical.'),
  cluster: z.string().describe('Cluster name.'),
  nodes: z.array(AuditNode).describe('Every configured node.'),
  databases: z.array(z.string()).describe('The databases whose schemas and functions were checked (on the primary).'),
  expectedRoles: z.array(z.string()).describe('The roles allowed to be superusers or privileged in this run.'),
  counts: CheckCounts,
  findings: z.array(SecurityFinding).describe('Every finding, critical first.'),
  checks: z.array(SecurityCheckResult).describe('Every selected check with its status.'),
});
/** `data` of `security-audit`. */
export type SecurityAuditReport = z.infer<typeof SecurityAuditReport>;
