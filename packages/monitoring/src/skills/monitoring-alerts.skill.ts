import { writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { InputError } from '@pgcluster/core';
import { Skill, type SkillActions, type SkillContext, type SkillResult } from '@pgcluster/skill-kit';
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
  static readonly actions: SkillActions<typeof AlertsInput, AlertsReport> = {
    evaluate: {
      plan: (ctx) => [
        { kind: 'note', target: 'cluster', text: "run monitoring-health's checks for the rules (read-only)" },
        { kind: 'file', target: alertStateFile(ctx.loaded.stateDir), text: 'update the alert state (pending/firing/resolved)' },
        { kind: 'note', target: 'channels', text: 'notify firing and resolved alerts to the rules\' channels' },
      ],
      run: async (ctx, input) => {
        const { base, rules } = rulesOf(ctx, input);
        const stateDir = ctx.loaded.stateDir;
        const evaluation = await evaluateAlerts(ctx.loaded.config, { stateDir, rules, database: input.database, signal: ctx.signal, write: (line) => process.stderr.write(line) });
        const state = readAlertState(stateDir);
        const firing = evaluation.active.filter((a) => a.state === 'firing');
        const checks = new Set(firing.flatMap((a) => rules.rules.filter((r) => r.name === a.rule).map((r) => r.check)));
        return {
          data: { ...base, evaluation: { evaluatedAt: evaluation.evaluatedAt, healthStatus: evaluation.healthStatus, transitions: evaluation.transitions }, active: evaluation.active, silences: state.silences },
          status: firing.length > 0 ? 'degraded' : 'ok',
          alerts: firing.map((a) => `${a.rule} firing on ${a.node} (${a.object}) since ${a.firedAt}: ${a.message}`),
          recommendations: [...checks].map((check) => ({ why: `investigate ${check}`, skill: 'monitoring-health', input: { checks: [check] } })),
        };
      },
    },
    list: {
      risk: 'read',
      plan: (ctx) => [{ kind: 'file', target: alertStateFile(ctx.loaded.stateDir), text: 'read the alert state' }],
      run: async (ctx, input) => {
        const { base } = rulesOf(ctx, input);
        const state = readAlertState(ctx.loaded.stateDir);
        return { data: { ...base, active: Object.values(state.alerts), silences: state.silences } };
      },
    },
    silence: {
      plan: (ctx, input) => [{ kind: 'file', target: alertStateFile(ctx.loaded.stateDir), text: `silence rule ${input.rule} for ${input.for}` }],
      run: async (ctx, input) => {
        const state = silencing(ctx, input, (silences) => (silences[input.rule] = new Date(Date.now() + alertDurationMs(input.for)).toISOString()));
        return { ...state, rollback: { skill: 'monitoring-alerts', input: { action: 'unsilence', rule: input.rule }, why: `unsilence ${input.rule}` } };
      },
    },
    unsilence: {
      plan: (ctx, input) => [{ kind: 'file', target: alertStateFile(ctx.loaded.stateDir), text: `unsilence rule ${input.rule}` }],
      run: async (ctx, input) => silencing(ctx, input, (silences) => delete silences[input.rule]),
    },
    export: {
      plan: (_ctx, input) => [{ kind: 'file', target: input.output ?? 'data.export.text', text: 'write Prometheus alerting rules' }],
      run: async (ctx, input) => {
        const { base, rules } = rulesOf(ctx, input);
        const text = exportPrometheusRules(rules.rules);
        const file = input.output ? (isAbsolute(input.output) ? input.output : resolve(input.output)) : null;
        if (file) writeFileSync(file, text, { mode: 0o644 });
        const state = readAlertState(ctx.loaded.stateDir);
        return { data: { ...base, active: Object.values(state.alerts), silences: state.silences, export: { file, rules: rules.rules.length, text } } };
      },
    },
  };
}

/** The rules the run reads, and the part of `data` every action reports. */
function rulesOf(ctx: SkillContext, input: { action: AlertsReport['action']; rulesFile?: string | undefined }) {
  const { source, ...rules } = loadAlertRules({ file: input.rulesFile, configSource: ctx.loaded.source });
  return { rules, base: { action: input.action, rulesSource: source, rules: rules.rules } };
}

/** Changes the silences of a known rule in the alert state. */
function silencing(
  ctx: SkillContext,
  input: { action: 'silence' | 'unsilence'; rule: string; rulesFile?: string | undefined },
  change: (silences: Record<string, string>) => unknown,
): SkillResult<AlertsReport> {
  const { base, rules } = rulesOf(ctx, input);
  if (!rules.rules.some((r) => r.name === input.rule)) throw new InputError('rule', `no rule named ${input.rule} in ${base.rulesSource}: one of ${rules.rules.map((r) => r.name).slice(0, 10).join(', ')}…`);
  const state = readAlertState(ctx.loaded.stateDir);
  change(state.silences);
  writeAlertState(ctx.loaded.stateDir, state);
  return { data: { ...base, active: Object.values(state.alerts), silences: state.silences } };
}
