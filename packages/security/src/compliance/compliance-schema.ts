import { z } from 'zod';
import { AUDIT_STATUSES, SecurityAuditInput } from '../audit/audit-schema';

/** The result of one CIS section; one tuple yields the type, the validator and the choices. */
export const SECTION_RESULTS = ['pass', 'fail', 'not_applicable', 'manual'] as const;
/** One of {@link SECTION_RESULTS}. */
export type SectionResult = (typeof SECTION_RESULTS)[number];

/**
 * Input of `security-compliance`: the audit's role and database options, and where to write
 * the Markdown report.
 * @example
 * ```ts
 * SecurityComplianceInput.parse({ output: 'report.md' })
 * ```
 */
export const SecurityComplianceInput = SecurityAuditInput.pick({ expectedRoles: true, databases: true, connectTimeoutMs: true }).extend({
  output: z
    .string()
    .min(4)
    .max(4096)
    .regex(/^[^\0]+\.md$/, 'must be a file name ending in .md')
    .optional()
    .describe('Also write the report as Markdown to this file (relative to the working directory); its folder must exist.'),
  overwrite: z.boolean().default(false).describe('Replace the output file when it exists (--yes does too); without either an existing file is refused.'),
});
/** Input of `security-compliance` (after defaults). */
export type SecurityComplianceInput = z.output<typeof SecurityComplianceInput>;

/** One CIS section in the report (flat, so `--format human` shows a table). */
export const ComplianceSection = z.object({
  section: z.string().describe('CIS section (numbered as pgdsat does), or "pgcluster" for checks of our own.'),
  result: z.enum(SECTION_RESULTS).describe('pass, fail, not_applicable (e.g. no local data directory) or manual (a person reviews it, or the audit lacked a privilege).'),
  title: z.string().describe("The section's title."),
  findings: z.number().int().describe('Findings of its checks.'),
  checks: z.string().describe('The audit checks that decide it, comma-separated (empty for a manual item).'),
  note: z.string().describe('For manual or not-applicable items: what to review, or why it was not decided.'),
});
/** One CIS section in the report. */
export type ComplianceSection = z.infer<typeof ComplianceSection>;

/** One failure and what fixes it. */
export const ComplianceFix = z.object({
  section: z.string().describe('CIS section.'),
  check: z.string().describe('The audit check.'),
  node: z.string().describe('Where it was found.'),
  object: z.string().describe('What it concerns.'),
  remedy: z.string().describe('The exact statement or command that fixes it.'),
  verify: z.string().describe('The command that confirms the fix.'),
});
/** One failure and what fixes it. */
export type ComplianceFix = z.infer<typeof ComplianceFix>;

/**
 * `data` of `security-compliance`.
 * @example
 * ```ts
 * const report: ComplianceReport = buildComplianceReport(audit, new Date())
 * report.score.percent // 73
 * ```
 */
export const ComplianceReport = z.object({
  status: z.enum(AUDIT_STATUSES).describe("The audit's status: healthy (every automated section passes), degraded or critical."),
  cluster: z.string().describe('Cluster name.'),
  date: z.string().describe('When the audit ran (ISO 8601).'),
  score: z
    .object({
      percent: z.number().describe('Passed sections as a share of the decided ones (pass + fail), 0 to 100.'),
      pass: z.number().int().describe('Sections that pass.'),
      fail: z.number().int().describe('Sections that fail.'),
      notApplicable: z.number().int().describe('Sections that do not apply.'),
      manual: z.number().int().describe('Sections a person reviews.'),
    })
    .describe('The score.'),
  sections: z.array(ComplianceSection).describe('Every section, in the benchmark order.'),
  fixes: z.array(ComplianceFix).describe('Every failure with its remedy, in section order.'),
  file: z.string().optional().describe('The Markdown file written (absolute path), when output was given.'),
});
/** `data` of `security-compliance`. */
export type ComplianceReport = z.infer<typeof ComplianceReport>;
