/**
 * @pgcluster/monitoring — the health check catalogue (`monitoring-health`: every check with a
 * stable id, category, unit and default thresholds from check_postgres, pgMonitor and the
 * postgres_exporter rule sets, run on every node, reported as findings that name the skill that
 * fixes them), performance (`monitoring-performance`: top statements, waits, rates, snapshots),
 * server log analysis (`monitoring-logs`) and alert rules (`monitoring-alerts`).
 *
 * @example
 * ```ts
 * import { loadConfig } from '@pgcluster/core'
 * import { checkHealth } from '@pgcluster/monitoring'
 *
 * const report = await checkHealth(loadConfig().config)
 * console.log(report.status, report.findings.map((f) => `${f.check} ${f.object}`))
 * ```
 * @packageDocumentation
 */
// Health: the catalogue, findings and the run.
export { CHECK_CATALOGUE, CHECK_IDS, CHECK_SCOPES, severityOf, type CheckDefinition, type CheckId, type CheckScope, type Thresholds } from './health/check-catalogue';
export { CHECK_CATEGORIES, CHECK_STATUSES, Finding, SEVERITIES, type CheckCategory, type CheckStatus, type Severity } from './health/finding';
export { CheckResult, HEALTH_STATUSES, HealthInput, HealthNode, HealthReport } from './health/health-schema';
export { checkHealth, configuredThresholds, mergeThresholds, selectChecks, thresholdsFor, type CheckHealthOptions, type ThresholdOverrides } from './health/check-health';
export { HEALTH_APPLICATION_NAME } from './health/collect-node-health';
export { MonitoringHealthSkill } from './skills/monitoring-health.skill';
// Performance.
export { normaliseStatement } from './statements/normalise-statement';
export { NodePerformance, OptimizeCandidate, PerformanceComparison, PerformanceInput, PerformanceReport, SNAPSHOT_NAME, STATEMENT_ORDERS, StatementStats, type StatementOrder } from './performance/performance-schema';
export { checkPerformance, type CheckPerformanceOptions } from './performance/check-performance';
export { PERFORMANCE_APPLICATION_NAME } from './performance/collect-node-performance';
export { compareSnapshots, loadSnapshot, type PerformanceSnapshot } from './performance/performance-snapshot';
export { MonitoringPerformanceSkill } from './skills/monitoring-performance.skill';
// Logs.
export { classifyLogEntry, LOG_CATEGORIES, normaliseLogMessage, type LogCategory } from './logs/classify-log-entry';
export { parseJsonLog, parseStderrLog, type LogEntry } from './logs/log-entry';
export { LogsInput, LogsReport } from './logs/logs-schema';
export { analyseLogs, summariseLogs, type AnalyseLogsOptions } from './logs/analyse-logs';
export { MonitoringLogsSkill } from './skills/monitoring-logs.skill';
// Alerts.
export { ALERTS_FILE, AlertChannel, AlertRule, AlertRulesFile, defaultAlertRules, loadAlertRules } from './alerts/alert-rules';
export { notifyChannel, type AlertNotification, type Delivery } from './alerts/notify-channel';
export { evaluateAlerts, type AlertsEvaluation, type AlertTransition, type EvaluateAlertsOptions } from './alerts/evaluate-alerts';
export { exportPrometheusRules, HEALTH_FINDINGS_METRIC } from './alerts/export-prometheus-rules';
export { ALERT_ACTIONS, AlertsInput, AlertsReport } from './alerts/alerts-schema';
export { MonitoringAlertsSkill } from './skills/monitoring-alerts.skill';
