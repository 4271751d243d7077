import { z } from 'zod';

/** Severities of a finding, in every check-running skill (monitoring-health, security-audit, …). */
export const SEVERITIES = ['warning', 'critical'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** What a check reported in one run: ok, warning or critical (its worst finding), or skipped with why. */
export const CHECK_STATUSES = ['ok', 'warning', 'critical', 'skipped'] as const;
/** One of {@link CHECK_STATUSES}. */
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/** The verdict of a run of checks: healthy (no finding), degraded (warnings only) or critical. */
export const CHECK_REPORT_STATUSES = ['healthy', 'degraded', 'critical'] as const;
/** One of {@link CHECK_REPORT_STATUSES}. */
export type CheckReportStatus = (typeof CHECK_REPORT_STATUSES)[number];

/**
 * The counts of a run of checks, the same in every check-running skill's report, so the agent, the
 * dashboard and the alert rules read one shape.
 * @example
 * ```ts
 * const Report = z.object({ status: z.enum(CHECK_REPORT_STATUSES), counts: CheckCounts })
 * ```
 */
export const CheckCounts = z
  .object({
    checks: z.number().int().describe('Checks selected.'),
    ok: z.number().int().describe('Checks with no finding.'),
    warning: z.number().int().describe('Checks whose worst finding is a warning.'),
    critical: z.number().int().describe('Checks with a critical finding.'),
    skipped: z.number().int().describe('Checks that could not run anywhere.'),
    findings: z.number().int().describe('Findings in total.'),
  })
  .describe('Counts.');
/** The counts of a run of checks. */
export type CheckCounts = z.infer<typeof CheckCounts>;
