import { nodeAddress } from '@pgcluster/core';
import { Skill, type PlanStep, type Recommendation, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { SecurityAuditInput, SecurityAuditReport } from '../audit/audit-schema';
import { checkDefinition } from '../audit/check-catalogue';
import { AUDITED_SETTINGS } from '../audit/checks/setting-checks';
import type { SecurityFinding } from '../audit/finding';
import { AUDIT_FACTS_SQL, AUDIT_SESSION_SQL, databasesOf, runSecurityAudit, selectSecurityChecks } from '../audit/run-audit';

/** Alerts listed in the envelope; every finding stays in data.findings. */
const MAX_ALERTS = 20;

/**
 * `security-audit`: pg_hba.conf, password hashing, roles, privileges, TLS, logging, checksums and
 * file permissions on every node, as findings with the CIS section and the exact remedy.
 * Read-only; the agent may run it unattended.
 *
 * @example
 * ```ts
 * import { executeSkill, exitCodeFor } from '@pgcluster/skill-kit'
 * import { SecurityAuditSkill } from '@pgcluster/security'
 *
 * const envelope = await executeSkill(SecurityAuditSkill, { category: ['authentication'] }, { actor: 'cli' })
 * process.exitCode = exitCodeFor(envelope) // 0 clean, 1 findings, 2 unreachable or bad input
 * ```
 */
export class SecurityAuditSkill {
  @Skill({
    name: 'security-audit',
    category: 'security',
    description:
      'Audits pg_hba.conf, passwords, roles, privileges, TLS, logging and file permissions on every node (CIS sections). ' +
      'Use for a security review or before exposing the database.',
    details:
      'Read-only. Every node: the pg_hba.conf lint read through pg_hba_file_rules (trust, password and md5 on TCP lines; ' +
      '0.0.0.0/0, ::/0 or all as address; all databases for all users, superusers and plain host lines from other hosts — ' +
      'loopback lines admit only local processes and are exempt from those three), password_encryption, ssl and ' +
      'ssl_min_protocol_version, the share of TCP client connections without TLS (pg_stat_ssl), log_connections, ' +
      'log_disconnections, log_line_prefix, log_statement, pgaudit preloaded, data checksums. The primary: MD5 hashes and ' +
      'login roles without a password (pg_authid, superuser only: otherwise skipped with what it needs), VALID UNTIL past ' +
      "or absent for login roles, superusers and CREATEROLE/BYPASSRLS/REPLICATION roles beyond the expected ones (the config's " +
      'own users and --expected-roles), members of pg_read_server_files/pg_write_server_files/pg_execute_server_program; in ' +
      'each inspected database: CREATE on schema public for PUBLIC, SECURITY DEFINER functions without a fixed search_path, ' +
      'file, large-object and dblink_connect_u functions executable by non-superusers. Nodes whose dataDir is on this ' +
      "machine: the data directory's mode and the TLS key's mode and owner. Local (unix socket) pg_hba lines are not judged " +
      '(CIS 5.1, a manual item of security-compliance).',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [
      'the user asks whether the database is secure, hardened or compliant',
      'before opening the database to a new network, application or user',
      'after changing pg_hba.conf, roles or grants, to confirm nothing was left open',
      'periodic checks by the agent (daily)',
    ],
    interpret:
      'status is healthy (exit 0: no finding), degraded (exit 1: warnings only) or critical (exit 1: at least one critical ' +
      'finding). data.findings[] = { check, category, severity, node, object, value, expected, unit, message, remedy, ' +
      'reference, recommendation }: object names the pg_hba.conf line, role, setting, function, schema or file; value is ' +
      'what was found and expected what a secure setup has; remedy is the exact statement or command (placeholders in ' +
      '<angle brackets>); reference is the CIS PostgreSQL Benchmark section (numbered as pgdsat does); recommendation ' +
      'is the skill that fixes it (security-encrypt for TLS findings, security-rotate for the config\'s own login) or, ' +
      'after a manual remedy, this audit limited to the check. data.checks[] lists every selected check with its status (ok, warning, ' +
      'critical, skipped with reason: e.g. "needs superuser (pg_authid …)", "no dataDir in the config"). Exit 2: no node ' +
      'answered or bad input.',
    decisionTree: [
      { when: 'ssl_off, tls_min_version, clients_without_ssl or hba_host_without_ssl findings', skill: 'security-encrypt', input: { requireTls: true }, why: 'or the input of the finding\'s recommendation' },
      { when: "password_expiry or md5_password_hashes on the config's own login", skill: 'security-rotate', input: { role: '<role>' } },
      { when: 'you need a CIS report with a score and pass/fail per section, for a person or a ticket', skill: 'security-compliance', input: {}, why: 'with --format human' },
      { when: 'a finding was fixed with its remedy', skill: 'security-audit', input: { checks: '<check_id>' } },
      { when: 'the audit should allow a known privileged role (a replication user)', skill: 'security-audit', input: { expectedRoles: '<role>' } },
    ],
    examples: [
      { title: 'Every check on every node, as JSON', skill: 'security-audit', input: {}, options: { format: 'json' } },
      { title: 'Only pg_hba.conf and password checks', skill: 'security-audit', input: { category: ['authentication'] } },
      { title: 'Allow a replication role besides the config user', skill: 'security-audit', input: { expectedRoles: ['replicator'] } },
      { title: 'Show the statements it would run', skill: 'security-audit', input: {}, options: { dryRun: true } },
    ],
    metrics: [
      { name: 'pgcluster_security_findings', help: 'Security findings of the audit, in total.', value: 'counts.findings' },
      { name: 'pgcluster_security_checks_critical', help: 'Checks with at least one critical finding.', value: 'counts.critical' },
      { name: 'pgcluster_security_checks_skipped', help: 'Checks that could not run anywhere (missing privilege, no local files).', value: 'counts.skipped' },
    ],
    input: SecurityAuditInput,
    output: SecurityAuditReport,
  })
  static async run(ctx: SkillContext, input: SecurityAuditInput): Promise<SkillResult<SecurityAuditReport>> {
    const report = await runSecurityAudit(ctx.loaded.config, { ...input, signal: ctx.signal, ...(ctx.loaded.configured ? { configured: ctx.loaded.configured } : {}) });
    ctx.log.debug(`security-audit: ${report.status}, ${report.counts.findings} finding(s) from ${report.counts.checks} check(s)`);
    return {
      data: report,
      status: report.status,
      alerts: report.findings.slice(0, MAX_ALERTS).map((f) => `${f.severity}: ${f.check} on ${f.node} (${f.object}): ${f.message}`),
      recommendations: recommendations(report.findings),
    };
  }

  /** The read-only statements a run sends to each node, and to each inspected database on the primary. */
  static plan(ctx: SkillContext, input: SecurityAuditInput): PlanStep[] {
    const selected = selectSecurityChecks(input);
    const config = ctx.loaded.config;
    const steps: PlanStep[] = [];
    const byScope = (scopes: string[]) => selected.filter((id) => scopes.includes(checkDefinition(id).scope));
    for (const node of config.nodes ?? []) {
      const target = `${node.name} (${nodeAddress(node.url).split('/')[0]})`;
      steps.push(
        { kind: 'sql', target, text: AUDIT_SESSION_SQL },
        { kind: 'sql', target, text: `${AUDIT_FACTS_SQL.replace(/\s+/g, ' ')} -- $1 = {${AUDITED_SETTINGS.join(',')}}` },
        { kind: 'note', target, text: `then one read-only statement per check: ${byScope(['node', 'local']).join(', ')}; on the primary also ${byScope(['primary']).join(', ')}` },
      );
    }
    const databaseChecks = byScope(['database']);
    if (databaseChecks.length > 0) {
      steps.push({ kind: 'note', target: 'primary', text: `in databases ${databasesOf(config, input.databases).join(', ')}: ${databaseChecks.join(', ')}` });
    }
    return steps;
  }
}

/** One envelope recommendation per check, most severe first: its remedy and the skill of its first finding. */
function recommendations(findings: readonly SecurityFinding[]): Recommendation[] {
  const seen = new Set<string>();
  const out: Recommendation[] = [];
  for (const f of findings) {
    if (seen.has(f.check)) continue;
    seen.add(f.check);
    const others = findings.filter((g) => g.check === f.check).length - 1;
    out.push({ why: `${f.check} (${f.object}${others > 0 ? ` and ${others} more` : ''}): ${f.remedy}`, skill: f.recommendation.skill, input: f.recommendation.input });
  }
  return out;
}
