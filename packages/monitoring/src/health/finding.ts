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

/** Severities of a finding. */
export const SEVERITIES = ['warning', 'critical'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** What a check reported in one run: ok, warning or critical (its worst finding), or skipped with why. */
export const CHECK_STATUSES = ['ok', 'warning', 'critical', 'skipped'] as const;
/** One of {@link CHECK_STATUSES}. */
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/**
 * A typed reference to the skill that acts on a finding: the skill's name and an input that
 * validates against that skill's input schema; prose goes into `why`, never into the input.
 *
 * Kept local (same shape as skill-kit's typed reference) so it can be swapped for it.
 * @example
 * ```ts
 * SkillReference.parse({ skill: 'vector-index', input: { action: 'rebuild', collection: 'docs' }, why: 'the index is invalid' })
 * ```
 */
export const SkillReference = z.object({
  skill: z.string().regex(/^[a-z]+-[a-z-]+$/).describe('The skill to run, e.g. maintenance-vacuum.'),
  input: z.record(z.string(), z.unknown()).describe("Its input, valid against the skill's input schema."),
  why: z.string().optional().describe('Why this skill, in a sentence.'),
});
/** A typed reference to a skill run. */
export type SkillReference = z.infer<typeof SkillReference>;

/**
 * One problem found by a check, on one node and one object.
 * @example
 * ```ts
 * const f: Finding = { check: 'idle_in_transaction', category: 'connections', severity: 'warning', node: 'node1',
 *   object: 'pid 4242', value: 95, threshold: 60, unit: 'seconds', message: '…',
 *   recommendation: { skill: 'maintenance-sessions', input: { pid: 4242 } } }
 * ```
 */
export const Finding = z.object({
  check: z.string().describe('The stable id of the check, e.g. idle_in_transaction.'),
  category: z.enum(CHECK_CATEGORIES).describe('The category of the check.'),
  severity: z.enum(SEVERITIES).describe('warning or critical.'),
  node: z.string().describe('The node it was found on (the cluster name for cluster-wide checks).'),
  object: z.string().describe('What it concerns: a table, index, sequence, slot, database, role, setting or pid.'),
  value: z.number().describe('The measured value, in unit.'),
  threshold: z.number().describe('The threshold it crossed (the critical one when critical), in unit.'),
  unit: z.string().describe('Unit of value and threshold.'),
  message: z.string().describe('What was found, in a sentence (never a row, a bound value or a password).'),
  recommendation: SkillReference.describe('The skill that fixes it.'),
});
/** One problem found by a check. */
export type Finding = z.infer<typeof Finding>;
