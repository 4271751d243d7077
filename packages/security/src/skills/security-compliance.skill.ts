import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { resolve } from 'node:path';
import { runSecurityAudit } from '../audit/run-audit';
import { buildComplianceReport, checkComplianceOutput, renderComplianceMarkdown, writeComplianceMarkdown } from '../compliance/build-compliance';
import { ComplianceReport, SecurityComplianceInput } from '../compliance/compliance-schema';
import { SecurityAuditSkill } from './security-audit.skill';

/**
 * `security-compliance`: runs the security audit and maps it to CIS PostgreSQL Benchmark sections
 * (pass, fail, not applicable, manual), a score and the fix of every failure; optionally as a
 * Markdown file for a ticket or a review.
 *
 * @example
 * ```ts
 * import { executeSkill } from '@pgcluster/skill-kit'
 * import { SecurityComplianceSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityComplianceSkill, { output: 'cis-report.md' }, { actor: 'cli' })
 * console.log(envelope.data?.score.percent)
 * ```
 */
export class SecurityComplianceSkill {
  @Skill({
    name: 'security-compliance',
    category: 'security',
    description:
      'Maps the security audit to CIS PostgreSQL sections: pass/fail/manual, a score and the fix for each failure; Markdown with --output. ' +
      'Use for a compliance review or ticket.',
    details:
      'Runs every check of security-audit (read-only), then decides each CIS PostgreSQL Benchmark section it covers ' +
      '(numbered as pgdsat numbers them): fail when one of its checks found something, pass when they ran clean, ' +
      'not_applicable when they cannot apply here (no local data directory, no key file while ssl is off), manual for ' +
      'items a person reviews (versions, unused extensions, DML grants, RLS, predefined roles, local pg_hba lines, the ' +
      "replication user) and for checks the audit's role could not run (pg_authid and pg_hba_file_rules need a superuser). " +
      'The score is pass ÷ (pass + fail). fixes[] gives the exact remedy of every failure and the command that verifies it. ' +
      'It changes nothing in the cluster; with --output it writes that one Markdown file (the folder must exist; an ' +
      'existing file is replaced only with --overwrite or --yes, else the run is refused before the audit).',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks whether the cluster complies with the CIS benchmark, or for a security or compliance report',
      'a ticket or a review needs the findings as a document (--output report.md)',
      'after fixing findings, to show the score went up',
    ],
    interpret:
      'status is the audit\'s: healthy (exit 0: every automated section passes), degraded or critical (exit 1). ' +
      'data.score = { percent, pass, fail, notApplicable, manual }; data.sections[] = { section, result (pass | fail | ' +
      'not_applicable | manual), title, findings, checks, note }; data.fixes[] = { section, check, node, object, remedy, ' +
      'verify }: run remedy, then verify. data.file is the Markdown file written. Exit 2: bad input (output not ending in ' +
      '.md, its folder missing) or no node answered; exit 3: the output file exists (nothing was run or written).',
    decisionTree: [
      { when: 'a section fails and you want the findings in detail', skill: 'security-audit', input: { checks: '<check_id>' }, why: 'one --checks per check id of the section' },
      { when: 'a fix was applied', skill: 'security-audit', input: { checks: '<check_id>' } },
    ],
    examples: [
      { title: 'The report for a person', skill: 'security-compliance', input: {}, options: { format: 'human' } },
      { title: 'The report as JSON, for an agent', skill: 'security-compliance', input: {}, options: { format: 'json' } },
      { title: 'Write it as Markdown for a ticket', skill: 'security-compliance', input: { output: 'cis-report.md' } },
      { title: 'Replace last week\'s report', skill: 'security-compliance', input: { output: 'cis-report.md', overwrite: true } },
    ],
    metrics: [
      { name: 'pgcluster_security_compliance_score_ratio', help: 'Passed CIS sections as a share of the decided ones.', value: 'score.percent', scale: 0.01 },
      { name: 'pgcluster_security_compliance_sections_failed', help: 'CIS sections that fail.', value: 'score.fail' },
    ],
    input: SecurityComplianceInput,
    output: ComplianceReport,
  })
  static async run(ctx: SkillContext, input: SecurityComplianceInput): Promise<SkillResult<ComplianceReport>> {
    const overwrite = input.overwrite || ctx.confirmed === true;
    // Refused before the audit runs: a bad or existing output file changes nothing and costs nothing.
    if (input.output) checkComplianceOutput(input.output, overwrite);
    const audit = await runSecurityAudit(ctx.loaded.config, { ...input, signal: ctx.signal, ...(ctx.loaded.configured ? { configured: ctx.loaded.configured } : {}) });
    const report = buildComplianceReport(audit, new Date());
    const data = input.output ? { ...report, file: writeComplianceMarkdown(input.output, renderComplianceMarkdown(report), overwrite) } : report;
    return {
      data,
      status: report.status,
      alerts: report.sections.filter((s) => s.result === 'fail').map((s) => `CIS ${s.section} fails: ${s.title} (${s.findings} finding(s))`),
      recommendations: report.fixes.map((f) => ({ why: `CIS ${f.section} ${f.check} on ${f.node} (${f.object}): ${f.remedy}`, skill: 'security-audit', input: { checks: [f.check] } })),
    };
  }

  /** The audit's read-only statements, and the file it would write. */
  static plan(ctx: SkillContext, input: SecurityComplianceInput): PlanStep[] {
    const steps = SecurityAuditSkill.plan(ctx, { ...input });
    if (input.output) steps.push({ kind: 'file', target: resolve(input.output), text: `write the Markdown report${input.overwrite ? ' (replacing the file)' : ' (refused if the file exists)'}` });
    return steps;
  }
}
