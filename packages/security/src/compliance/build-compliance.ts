import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputError, RefusedError } from '@pgcluster/core';
import type { SecurityAuditReport } from '../audit/audit-schema';
import { CIS_SECTIONS } from './cis-sections';
import type { ComplianceFix, ComplianceReport, ComplianceSection, SectionResult } from './compliance-schema';

// A check skipped for one of these reasons does not apply here; any other skip needs a person.
const NOT_APPLICABLE = /no dataDir in the config|is not on this machine|ssl is off: no key file/;

/**
 * Maps an audit to the CIS sections: fail when a check of the section found something, pass when
 * its checks ran clean, not_applicable when they could not apply (no local data directory, no
 * key file in use), manual for the items a person reviews and for checks the audit's role could
 * not run. The score is pass ÷ (pass + fail).
 *
 * @example
 * ```ts
 * const report = buildComplianceReport(await runSecurityAudit(config), new Date())
 * console.log(`${report.score.percent}%`, report.fixes.map((f) => f.remedy))
 * ```
 */
export function buildComplianceReport(audit: SecurityAuditReport, date: Date): ComplianceReport {
  const byCheck = new Map(audit.checks.map((c) => [c.check as string, c]));
  const sections: ComplianceSection[] = [];
  const fixes: ComplianceFix[] = [];
  for (const s of CIS_SECTIONS) {
    const results = s.checks.map((id) => byCheck.get(id)).filter((c) => c !== undefined);
    const findings = audit.findings.filter((f) => (s.checks as readonly string[]).includes(f.check));
    const skipped = results.filter((c) => c.status === 'skipped');
    let result: SectionResult;
    let note = '';
    if (s.checks.length === 0) {
      result = 'manual';
      note = s.review ?? '';
    } else if (findings.length > 0) {
      result = 'fail';
    } else if (skipped.length === 0) {
      result = 'pass';
    } else if (skipped.every((c) => NOT_APPLICABLE.test(c.reason ?? ''))) {
      result = 'not_applicable';
      note = skipped.map((c) => `${c.check}: ${c.reason}`).join('; ');
    } else {
      result = 'manual';
      note = `not decided: ${skipped.map((c) => `${c.check}: ${c.reason}`).join('; ')}`;
    }
    sections.push({ section: s.section, result, title: s.title, findings: findings.length, checks: s.checks.join(', '), note });
    for (const f of findings) fixes.push({ section: s.section, check: f.check, node: f.node, object: f.object, remedy: f.remedy, verify: `pgcluster security-audit --checks ${f.check}` });
  }
  const count = (r: SectionResult) => sections.filter((s) => s.result === r).length;
  const [pass, fail] = [count('pass'), count('fail')];
  return {
    status: audit.status,
    cluster: audit.cluster,
    date: date.toISOString(),
    score: { percent: pass + fail === 0 ? 100 : Math.round((pass / (pass + fail)) * 1000) / 10, pass, fail, notApplicable: count('not_applicable'), manual: count('manual') },
    sections,
    fixes,
  };
}

const RESULT_TEXT: Record<SectionResult, string> = { pass: 'pass', fail: '**FAIL**', not_applicable: 'n/a', manual: 'manual' };

/** Escapes text for a Markdown table cell. */
function md(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * The report as Markdown, for a ticket or a review: the score, every section's result, then
 * every failure with its remedy and the command that verifies it.
 * @example writeFileSync('report.md', renderComplianceMarkdown(report))
 */
export function renderComplianceMarkdown(report: ComplianceReport): string {
  const lines = [
    `# CIS PostgreSQL compliance: ${md(report.cluster)}`,
    '',
    `Audited ${report.date} by \`pgcluster security-compliance\` (sections numbered as pgdsat numbers the CIS PostgreSQL Benchmark).`,
    '',
    `**Score: ${report.score.percent}%** — ${report.score.pass} pass, ${report.score.fail} fail, ${report.score.notApplicable} not applicable, ${report.score.manual} manual.`,
    '',
    '| Section | Result | Title | Findings | Note |',
    '|---|---|---|---|---|',
    ...report.sections.map((s) => `| ${s.section} | ${RESULT_TEXT[s.result]} | ${md(s.title)} | ${s.findings} | ${md(s.note)} |`),
    '',
    '## What to fix',
    '',
  ];
  if (report.fixes.length === 0) lines.push('Nothing: every automated section passes.', '');
  for (const f of report.fixes) {
    lines.push(`- **${f.section} ${f.check}** on ${md(f.node)}, ${md(f.object)}:`, '', '  ```', `  ${f.remedy}`, '  ```', '', `  Verify: \`${f.verify}\``, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/**
 * Checks where the Markdown report would go, before anything runs: the folder must exist, and an
 * existing file is replaced only with `overwrite`.
 *
 * @throws InputError (`output`) when the folder does not exist or the path is a directory.
 * @throws RefusedError when the file exists and `overwrite` is false.
 * @returns the absolute path.
 * @example checkComplianceOutput('report.md', false) // '/srv/app/report.md'
 */
export function checkComplianceOutput(path: string, overwrite: boolean): string {
  const absolute = resolve(path);
  if (!existsSync(dirname(absolute)) || !statSync(dirname(absolute)).isDirectory()) throw new InputError('output', `the folder ${dirname(absolute)} does not exist`);
  if (existsSync(absolute)) {
    if (statSync(absolute).isDirectory()) throw new InputError('output', `${absolute} is a directory; give a file name ending in .md`);
    if (!overwrite) throw new RefusedError(`--output (output): ${absolute} exists; nothing was written`, { hint: 'Pass --overwrite (or --yes) to replace it, or choose another file.' });
  }
  return absolute;
}

/**
 * Writes the Markdown report after {@link checkComplianceOutput}'s checks (a file created in
 * the meantime is not replaced without `overwrite`).
 * @returns the absolute path written.
 * @example writeComplianceMarkdown('report.md', renderComplianceMarkdown(report), false)
 */
export function writeComplianceMarkdown(path: string, markdown: string, overwrite: boolean): string {
  const absolute = checkComplianceOutput(path, overwrite);
  writeFileSync(absolute, markdown, { flag: overwrite ? 'w' : 'wx' });
  return absolute;
}
