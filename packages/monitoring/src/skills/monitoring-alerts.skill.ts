import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '@pgcluster/core';
import { Skill, type PlanStep, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
import { alertDurationMs, loadAlertRules } from '../alerts/alert-rules';
import { alertStateFile, readAlertState, writeAlertState } from '../alerts/alert-state';
import { AlertsInput, AlertsReport } from '../alerts/alerts-schema';
import { evaluateAlerts } from '../alerts/evaluate-alerts';
import { exportPrometheusRules } from '../alerts/export-prometheus-rules';

/**
 * `monitoring-alerts`: alert rules over the health checks, evaluated with state (pending →
 * firing → resolved) in the state dir, notified to stderr, a file or a webhook; silences; and
 * an export as Prometheus alerting rules.
 *
 * @example
 * ```ts
 * await executeSkill(MonitoringAlertsSkill, { action: 'evaluate' }, { actor: 'agent' })
 * await executeSkill(MonitoringAlertsSkill, { action: 'silence', rule: 'lock_waits-warning', for: '1h' }, { actor: 'cli' })
 * ```
 */
export class MonitoringAlertsSkill {
  @Skill({
    name: 'monitoring-alerts',
    category: 'monitoring',
    description:
      'Evaluates alert rules over the health checks (pending, firing, resolved), notifies stderr, a file or a webhook; lists, silences, exports Prometheus rules. ' +
      'Use for alerting.',
    version: '1.0.0',
    risk: 'write',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: false,
    whenToUse: [
      'on a schedule (every minute) to raise and clear alerts',
      'the user wants to be told when something goes wrong, or to stop an alert for a while',
      'to hand the same rules to Prometheus (export)',
    ],
    interpret:
      'evaluate runs the checks behind the rules once: evaluation.transitions lists what changed (inactive → pending when a ' +
      'condition first holds, → firing once it has held for the rule\'s for, firing → resolved when it no longer holds); firing and ' +
      'resolved are notified once each to the rule\'s channels (notified[] says how each delivery went). active lists pending and ' +
      'firing alerts; status is degraded (exit 1) while any is firing. silence stops notifications of a rule until the time in ' +
      'silences (undo: unsilence). export writes Prometheus alerting rules over monitoring-health\'s metrics (check them with ' +
      'promtool check rules). Rules come from pgcluster.alerts.json beside the config (rulesSource), else one warning and one ' +
      'critical rule per check with its default thresholds.',
    decisionTree: [
      { when: 'an alert is firing', skill: 'monitoring-health', input: { checks: '<check>' }, why: 'the firing rule\'s check' },
      { when: 'a known, accepted condition keeps alerting', skill: 'monitoring-alerts', input: { action: 'silence', rule: '<rule>', for: '1h' } },
    ],
    examples: [
      { title: 'Evaluate the rules once', skill: 'monitoring-alerts', input: { action: 'evaluate' } },
      { title: 'List rules, active alerts and silences', skill: 'monitoring-alerts', input: { action: 'list' }, options: { format: 'json' } },
      { title: 'Silence a rule for an hour', skill: 'monitoring-alerts', input: { action: 'silence', rule: 'lock_waits-warning', for: '1h' } },
      { title: 'Export Prometheus rules', skill: 'monitoring-alerts', input: { action: 'export', output: 'pgcluster-rules.yml' } },
    ],
    metrics: [
      { name: 'pgcluster_alert_active', help: 'Alerts pending or firing after the action: 1 for the current state.', value: 'active[].state', states: ['pending', 'firing'], labels: { rule: 'active[].rule', node: 'active[].node', object: 'active[].object' } },
      { name: 'pgcluster_alert_value', help: 'The value that put each alert in its state, in its check\'s unit.', value: 'active[].value', labels: { rule: 'active[].rule', node: 'active[].node', object: 'active[].object' } },
    ],
    input: AlertsInput,
    output: AlertsReport,
  })
  static async run(ctx: SkillContext, input: AlertsInput): Promise<SkillResult<AlertsReport>> {
    const stateDir = ctx.loaded.stateDir;
    const loadedRules = loadAlertRules({ file: input.rulesFile, configSource: ctx.loaded.source });
    const { source, ...rules } = loadedRules;
    const base = { action: input.action, rulesSource: source, rules: rules.rules };
    if (input.action === 'silence' || input.action === 'unsilence') {
      if (!rules.rules.some((r) => r.name === input.rule)) throw new InputError('rule', `no rule named ${input.rule} in ${source}: one of ${rules.rules.map((r) => r.name).slice(0, 10).join(', ')}…`);
      const state = readAlertState(stateDir);
      if (input.action === 'silence') state.silences[input.rule!] = new Date(Date.now() + alertDurationMs(input.for!)).toISOString();
      else delete state.silences[input.rule!];
      writeAlertState(stateDir, state);
      return {
        data: { ...base, active: Object.values(state.alerts), silences: state.silences },
        ...(input.action === 'silence' ? { rollback: { skill: 'monitoring-alerts', input: { action: 'unsilence', rule: input.rule }, why: `unsilence ${input.rule}` } } : {}),
      };
    }
    if (input.action === 'export') {
      const text = exportPrometheusRules(rules.rules);
      const file = input.output ? (isAbsolute(input.output) ? input.output : resolve(input.output)) : null;
      if (file) writeFileSync(file, text, { mode: 0o644 });
      const state = readAlertState(stateDir);
      return { data: { ...base, active: Object.values(state.alerts), silences: state.silences, export: { file, rules: rules.rules.length, text } } };
    }
    if (input.action === 'list') {
      const state = readAlertState(stateDir);
      return { data: { ...base, active: Object.values(state.alerts), silences: state.silences } };
    }
    const evaluation = await evaluateAlerts(ctx.loaded.config, { stateDir, rules, database: input.database, signal: ctx.signal, write: (line) => process.stderr.write(line) });
    const state = readAlertState(stateDir);
    const firing = evaluation.active.filter((a) => a.state === 'firing');
    return {
      data: { ...base, evaluation: { evaluatedAt: evaluation.evaluatedAt, healthStatus: evaluation.healthStatus, transitions: evaluation.transitions }, active: evaluation.active, silences: state.silences },
      status: firing.length > 0 ? 'degraded' : 'ok',
      alerts: firing.map((a) => `${a.rule} firing on ${a.node} (${a.object}) since ${a.firedAt}: ${a.message}`),
      recommendations: [...new Set(firing.map((a) => rules.rules.find((r) => r.name === a.rule)!.check))].map((check) => ({ why: `investigate ${check}`, skill: 'monitoring-health', input: { checks: [check] } })),
    };
  }

  /** What a run reads and writes. */
  static plan(ctx: SkillContext, input: AlertsInput): PlanStep[] {
    const state = alertStateFile(ctx.loaded.stateDir);
    switch (input.action) {
      case 'evaluate':
        return [
          { kind: 'note', target: 'cluster', text: "run monitoring-health's checks for the rules (read-only)" },
          { kind: 'file', target: state, text: 'update the alert state (pending/firing/resolved)' },
          { kind: 'note', target: 'channels', text: 'notify firing and resolved alerts to the rules\' channels' },
        ];
      case 'silence':
      case 'unsilence':
        return [{ kind: 'file', target: state, text: `${input.action} rule ${input.rule}${input.for ? ` for ${input.for}` : ''}` }];
      case 'export':
        return [{ kind: 'file', target: input.output ?? 'data.export.text', text: 'write Prometheus alerting rules' }];
      default:
        return [{ kind: 'file', target: state, text: 'read the alert state' }];
    }
  }
}
