import { CHECK_REPORT_STATUSES, CheckCounts } from '@pgcluster/skill-kit';
import { z } from 'zod';
import { CHECK_IDS } from './check-catalogue';
import { CHECK_CATEGORIES, CHECK_STATUSES, Finding } from './finding';

/** Overall status of a health run: healthy (no finding), degraded (warnings), critical. */
export const HEALTH_STATUSES = CHECK_REPORT_STATUSES;

const ThresholdOverride = z
  .object({
    warning: z.number().finite().optional().describe('Warning threshold, in the check\'s unit.'),
    critical: z.number().finite().nullable().optional().describe('Critical threshold, in the check\'s unit; null: never critical.'),
  })
  .strict();

/**
 * Input of `monitoring-health`.
 * @example
 * ```ts
 * HealthInput.parse({ category: ['locks'], thresholds: { idle_in_transaction: { warning: 60, critical: 300 } } })
 * ```
 */
export const HealthInput = z.object({
  checks: z.array(z.enum(CHECK_IDS)).optional().describe('Run only these checks (ids from the catalogue); default all.'),
  category: z.array(z.enum(CHECK_CATEGORIES)).optional().describe('Run only the checks of these categories; default all.'),
  thresholds: z
    .partialRecord(z.enum(CHECK_IDS), ThresholdOverride)
    .default({})
    .describe('Per-check threshold overrides for this run, in the check\'s unit, e.g. {"idle_in_transaction":{"warning":60,"critical":300}}.'),
  database: z.string().regex(/^[a-z_][a-z0-9_$]{0,62}$/, 'must be a database name or a name from the config\'s databases').optional().describe('The database whose tables, indexes and pgvector columns are checked (a name from the config\'s databases or a database name); default databases.project, else the node URL\'s.'),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(2_000).describe('Give up connecting to a node after this long, ms.'),
});
/** Input of `monitoring-health` (after defaults). */
export type HealthInput = z.output<typeof HealthInput>;

/** One check's outcome in a run. */
export const CheckResult = z.object({
  check: z.enum(CHECK_IDS).describe('The check id.'),
  category: z.enum(CHECK_CATEGORIES).describe('Its category.'),
  status: z.enum(CHECK_STATUSES).describe('ok, warning, critical (its worst finding) or skipped.'),
  findings: z.number().int().describe('How many findings it reported.'),
  unit: z.string().describe('Unit of its values and thresholds.'),
  warning: z.number().describe('The warning threshold used.'),
  critical: z.number().nullable().describe('The critical threshold used (null: none).'),
  nodes: z.array(z.string()).describe('The nodes it ran on.'),
  reason: z.string().optional().describe('Why it was skipped (on some or every node).'),
});
/** One check's outcome in a run. */
export type CheckResult = z.infer<typeof CheckResult>;

/** A node as the health run saw it. */
export const HealthNode = z.object({
  name: z.string().describe('Node name.'),
  up: z.boolean().describe('Whether it answered.'),
  role: z.enum(['primary', 'replica', 'unknown']).describe('Its role (unknown when down).'),
  database: z.string().nullable().describe('The database inspected on it.'),
  queries: z.number().int().describe('Statements the run sent to it.'),
  error: z.string().optional().describe('Why it did not answer.'),
});

/**
 * `data` of `monitoring-health`: the overall status, every finding, and every check's outcome.
 * @example
 * ```ts
 * const report: HealthReport = await checkHealth(config, { checks: ['lock_waits'] })
 * report.findings.filter((f) => f.severity === 'critical')
 * ```
 */
export const HealthReport = z.object({
  status: z.enum(HEALTH_STATUSES).describe('healthy (no finding), degraded (warnings only) or critical.'),
  cluster: z.string().describe('Cluster name.'),
  nodes: z.array(HealthNode).describe('Every configured node.'),
  counts: CheckCounts,
  findings: z.array(Finding).describe('Every finding, critical first.'),
  checks: z.array(CheckResult).describe('Every selected check with its status.'),
});
/** `data` of `monitoring-health`. */
export type HealthReport = z.infer<typeof HealthReport>;
