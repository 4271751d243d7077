import type { ClusterConfig } from '@pgcluster/core';
import { CHECK_CATALOGUE, severityOf, type CheckId } from '../health/check-catalogue';
import { checkHealth } from '../health/check-health';
import type { Finding } from '../health/finding';
import { alertDurationMs, ruleThreshold, type AlertRule, type AlertRulesFile } from './alert-rules';
import { alertKey, readAlertState, writeAlertState, type ActiveAlert } from './alert-state';
import { notifyChannel, type AlertNotification, type Delivery } from './notify-channel';

/**
 * Options of {@link evaluateAlerts}.
 * @example const options: EvaluateAlertsOptions = { stateDir: loaded.stateDir, rules: loadAlertRules({ configSource: loaded.source }) }
 */
export interface EvaluateAlertsOptions {
  stateDir: string;
  rules: AlertRulesFile;
  /** Fixes "now" (tests of `for`). */
  now?: Date;
  /** Where the stderr channel writes (default process.stderr). */
  write?: (line: string) => void;
  database?: string;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

/** One state change of an alert instance. */
export interface AlertTransition {
  rule: string;
  node: string;
  object: string;
  from: 'inactive' | 'pending' | 'firing';
  to: 'pending' | 'firing' | 'resolved' | 'inactive';
  notified: Delivery[];
  silenced: boolean;
}

/** What one evaluation did. */
export interface AlertsEvaluation {
  evaluatedAt: string;
  healthStatus: string;
  transitions: AlertTransition[];
  active: ActiveAlert[];
}

/**
 * Evaluates the alert rules once: runs monitoring-health's checks for the rules (thresholds
 * loosened to the loosest rule so every candidate is seen), matches findings to rules, moves
 * each alert instance (rule × node × object) through pending → firing → resolved with its
 * `for` duration, notifies its channels on firing and on resolved — once each, deduplicated by
 * the state kept in the state dir — unless the rule is silenced.
 *
 * @example
 * ```ts
 * const result = await evaluateAlerts(loaded.config, { stateDir: loaded.stateDir, rules: loadAlertRules({ configSource: loaded.source }) })
 * result.transitions.filter((t) => t.to === 'firing')
 * ```
 */
export async function evaluateAlerts(config: ClusterConfig, options: EvaluateAlertsOptions): Promise<AlertsEvaluation> {
  const now = options.now ?? new Date();
  const rules = options.rules.rules;
  const checks = [...new Set(rules.map((r) => r.check))];
  const thresholds: Partial<Record<CheckId, { warning: number; critical: null }>> = {};
  for (const check of checks) {
    const limits = rules.filter((r) => r.check === check).map(ruleThreshold);
    thresholds[check] = { warning: CHECK_CATALOGUE[check].direction === 'above' ? Math.min(...limits) : Math.max(...limits), critical: null };
  }
  const report = await checkHealth(config, { checks, thresholds, database: options.database, connectTimeoutMs: options.connectTimeoutMs, signal: options.signal });

  const state = readAlertState(options.stateDir);
  const seen = new Set<string>();
  const transitions: AlertTransition[] = [];
  const silenced = (rule: string) => (state.silences[rule] ?? '') > now.toISOString();
  const notify = async (rule: AlertRule, alert: ActiveAlert, status: 'firing' | 'resolved'): Promise<Delivery[]> => {
    if (silenced(rule.name)) return [];
    const n: AlertNotification = {
      status,
      rule: rule.name,
      check: rule.check,
      severity: rule.severity,
      node: alert.node,
      object: alert.object,
      value: alert.value,
      threshold: ruleThreshold(rule),
      message: alert.message,
      since: alert.since,
      at: now.toISOString(),
    };
    return Promise.all(rule.channels.map((name) => notifyChannel(name, name === 'stderr' && !options.rules.channels[name] ? { type: 'stderr' } : options.rules.channels[name]!, n, options.write)));
  };

  for (const rule of rules) {
    const forMs = alertDurationMs(rule.for);
    for (const f of report.findings.filter((x) => x.check === rule.check && matches(rule, x))) {
      const key = alertKey(rule.name, f.node, f.object);
      seen.add(key);
      const prev = state.alerts[key];
      const alert: ActiveAlert = prev ? { ...prev, value: f.value, message: f.message } : { rule: rule.name, node: f.node, object: f.object, state: 'pending', since: now.toISOString(), value: f.value, message: f.message };
      if (alert.state === 'pending' && now.getTime() - Date.parse(alert.since) >= forMs) {
        alert.state = 'firing';
        alert.firedAt = now.toISOString();
        transitions.push({ rule: rule.name, node: f.node, object: f.object, from: prev ? 'pending' : 'inactive', to: 'firing', notified: await notify(rule, alert, 'firing'), silenced: silenced(rule.name) });
      } else if (!prev) {
        transitions.push({ rule: rule.name, node: f.node, object: f.object, from: 'inactive', to: 'pending', notified: [], silenced: silenced(rule.name) });
      }
      state.alerts[key] = alert;
    }
  }
  for (const [key, alert] of Object.entries(state.alerts)) {
    if (seen.has(key)) continue;
    const rule = rules.find((r) => r.name === alert.rule);
    delete state.alerts[key];
    if (!rule) continue;
    const resolved = alert.state === 'firing';
    transitions.push({ rule: rule.name, node: alert.node, object: alert.object, from: alert.state, to: resolved ? 'resolved' : 'inactive', notified: resolved ? await notify(rule, alert, 'resolved') : [], silenced: silenced(rule.name) });
  }
  for (const [rule, until] of Object.entries(state.silences)) if (until <= now.toISOString()) delete state.silences[rule];
  writeAlertState(options.stateDir, state);
  return { evaluatedAt: now.toISOString(), healthStatus: report.status, transitions, active: Object.values(state.alerts) };
}

function matches(rule: AlertRule, f: Finding): boolean {
  return severityOf(CHECK_CATALOGUE[rule.check], f.value, { warning: ruleThreshold(rule), critical: null }) !== null;
}
