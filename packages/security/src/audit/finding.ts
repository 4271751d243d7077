import { SEVERITIES, SkillReferenceSchema } from '@pgcluster/skill-kit';
import { z } from 'zod';

/** Categories of security checks; one tuple yields the type, the validator and the CLI choices. */
export const SECURITY_CATEGORIES = ['authentication', 'roles', 'privileges', 'encryption', 'logging', 'files'] as const;
/** One of {@link SECURITY_CATEGORIES}. */
export type SecurityCategory = (typeof SECURITY_CATEGORIES)[number];

// Severities and check statuses are the kit's, shared with monitoring-health.
export { CHECK_STATUSES, SEVERITIES, type CheckStatus, type Severity } from '@pgcluster/skill-kit';

/**
 * One security problem found by a check, on one node and one object: monitoring's finding shape,
 * with `expected` (what a secure setting looks like) instead of a numeric threshold, the CIS
 * PostgreSQL Benchmark section it belongs to, and the exact statement or command that fixes it.
 * @example
 * ```ts
 * const f: SecurityFinding = { check: 'hba_trust', category: 'authentication', severity: 'critical', node: 'node1',
 *   object: 'pg_hba.conf line 5', value: 'trust', expected: 'scram-sha-256', unit: 'method',
 *   message: '…', remedy: '…', reference: 'CIS 5.2', recommendation: { skill: 'security-audit', input: { checks: ['hba_trust'] } } }
 * ```
 */
export const SecurityFinding = z.object({
  check: z.string().describe('The stable id of the check, e.g. hba_trust.'),
  category: z.enum(SECURITY_CATEGORIES).describe('The category of the check.'),
  severity: z.enum(SEVERITIES).describe('warning or critical.'),
  node: z.string().describe('The node it was found on (the cluster name for cluster-wide checks).'),
  object: z.string().describe('What it concerns: a pg_hba.conf line, a role, a setting, a function, a schema or a file.'),
  value: z.union([z.string(), z.number(), z.boolean()]).describe('What was found (a method, a setting, a share in %, a file mode); never a password or a hash.'),
  expected: z.string().describe('What a secure configuration has instead.'),
  unit: z.string().describe('What value is: method, setting, percent, mode, role attribute, privilege.'),
  message: z.string().describe('What was found and why it matters, in a sentence.'),
  remedy: z.string().describe('The exact statement or command that fixes it (placeholders in <angle brackets>, never a secret).'),
  reference: z.string().optional().describe('The CIS PostgreSQL Benchmark section, numbered as pgdsat does (e.g. "CIS 5.2"), where one applies.'),
  recommendation: SkillReferenceSchema.describe('The skill to run about it.'),
});
/** One security problem found by a check. */
export type SecurityFinding = z.infer<typeof SecurityFinding>;
