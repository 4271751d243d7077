import { SEVERITIES, SkillReferenceSchema } from '@pgcluster/skill-kit';
import { z } from 'zod';

/** Categories of health checks; one tuple yields the type, the validator and the CLI choices. */
export const CHECK_CATEGORIES = [
  'availability',
  'connections',
  'locks',
  'transactions',
  'vacuum',
  'bloat',
  'indexes',
  'cache',
  'replication',
  'capacity',
  'pgvector',
] as const;
/** One of {@link CHECK_CATEGORIES}. */
export type CheckCategory = (typeof CHECK_CATEGORIES)[number];

// Severities and check statuses are the kit's, shared with every check-running skill.
export { CHECK_STATUSES, SEVERITIES, type CheckStatus, type Severity } from '@pgcluster/skill-kit';

/**
 * One problem found by a check, on one node and one object.
 * @example
 * ```ts
 * const f: Finding = { check: 'idle_in_transaction', category: 'connections', severity: 'warning', node: 'node1',
 *   object: 'pid 4242', value: 95, threshold: 60, unit: 'seconds', message: '…',
 *   recommendation: { skill: 'maintenance-sessions', input: { pid: 4242, action: 'terminate' } } }
 * ```
 */
export const Finding = z.object({
  check: z.string().describe('The stable id of the check, e.g. idle_in_transaction.'),
  category: z.enum(CHECK_CATEGORIES).describe('The category of the check.'),
  severity: z.enum(SEVERITIES).describe('warning or critical.'),
  node: z.string().describe('The node it was found on (the cluster name for cluster-wide checks, pgbouncer for PgBouncer\'s pools).'),
  object: z.string().describe('What it concerns: a table, index, sequence, slot, database, role, setting or pid.'),
  value: z.number().describe('The measured value, in unit.'),
  threshold: z.number().describe('The threshold it crossed (the critical one when critical), in unit.'),
  unit: z.string().describe('Unit of value and threshold.'),
  message: z.string().describe('What was found, in a sentence (never a row, a bound value or a password).'),
  recommendation: SkillReferenceSchema.describe('The skill that fixes it, or that re-checks it after a fix by hand (said in why).'),
});
/** One problem found by a check. */
export type Finding = z.infer<typeof Finding>;
