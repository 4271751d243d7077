import { CHECK_CATALOGUE } from '../health/check-catalogue';
import { ruleThreshold, type AlertRule } from './alert-rules';

/**
 * The metric `monitoring-health --format prometheus` exposes for each check's findings
 * (labelled by check): the exported rules fire on it.
 */
export const HEALTH_FINDINGS_METRIC = 'pgcluster_health_check_findings';

/**
 * The alert rules as a Prometheus alerting-rules file (YAML; strings are JSON-quoted, which YAML
 * reads as double-quoted scalars). Each rule fires while monitoring-health, scraped with the
 * rule's threshold, reports a finding of its check, for the rule's `for`.
 *
 * @example
 * ```ts
 * writeFileSync('pgcluster-rules.yml', exportPrometheusRules(loadAlertRules({ configSource }).rules))
 * // then: promtool check rules pgcluster-rules.yml
 * ```
 */
export function exportPrometheusRules(rules: readonly AlertRule[]): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = ['groups:', '  - name: "pgcluster"', '    rules:'];
  for (const rule of rules) {
    const def = CHECK_CATALOGUE[rule.check];
    lines.push(
      `      - alert: ${q(alertName(rule.name))}`,
      `        expr: ${q(`max by (check) (${HEALTH_FINDINGS_METRIC}{check="${rule.check}"}) > 0`)}`,
      `        for: ${rule.for}`,
      '        labels:',
      `          severity: ${q(rule.severity)}`,
      `          check: ${q(rule.check)}`,
      `          category: ${q(def.category)}`,
      '        annotations:',
      `          summary: ${q(`${rule.check}: ${def.description}`)}`,
      `          threshold: ${q(`${ruleThreshold(rule)} ${def.unit} (monitoring-health --input '{"thresholds":{"${rule.check}":{"warning":${ruleThreshold(rule)}}}}')`)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * A Prometheus alert name from a rule name: `lock_waits-critical` → `PgclusterLockWaitsCritical`.
 * @example alertName('lock_waits-critical') // 'PgclusterLockWaitsCritical'
 */
export function alertName(rule: string): string {
  return `Pgcluster${rule.split(/[-_]/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')}`;
}
