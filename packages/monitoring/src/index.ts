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
export { CHECK_CATALOGUE, CHECK_IDS, CHECK_SCOPES, severityOf, type CheckDefinition, type CheckId, type CheckScope, type Thresholds } from './health/check-catalogue';
export { CHECK_CATEGORIES, CHECK_STATUSES, Finding, SEVERITIES, SkillReference, type CheckCategory, type CheckStatus, type Severity } from './health/finding';
export { CheckResult, HEALTH_STATUSES, HealthInput, HealthNode, HealthReport } from './health/health-schema';
export { assessHealth, checkHealth, selectChecks, thresholdsFor, type CheckHealthOptions } from './health/check-health';
export { collectNodeHealth, HEALTH_APPLICATION_NAME, NODE_FACTS_SQL, type CollectNodeHealthOptions, type NodeCheckOutcome, type NodeHealth } from './health/collect-node-health';
export type { Candidate, NodeCheck, NodeCheckContext, NodeFacts, QueryRows } from './health/node-check';
export { NODE_CHECKS } from './health/node-checks';
export { READ_ONLY_SESSION_SQL, serverReason } from './connection/read-only-session';
export { blockingChain } from './health/checks/lock-checks';
export { BLOAT_MIN_BYTES, estimateBloat } from './health/checks/bloat-checks';
export { recommendedLists } from './health/checks/vector-checks';
export { MonitoringHealthSkill } from './skills/monitoring-health.skill';
export { normaliseStatement, MAX_STATEMENT_LENGTH } from './statements/normalise-statement';
export { NodePerformance, OptimizeCandidate, PerformanceComparison, PerformanceInput, PerformanceReport, SNAPSHOT_NAME, STATEMENT_ORDERS, StatementStats, type StatementOrder } from './performance/performance-schema';
export { checkPerformance, optimizeCandidates, type CheckPerformanceOptions } from './performance/check-performance';
export { collectNodePerformance, MAX_STATEMENTS, PERFORMANCE_APPLICATION_NAME, PERFORMANCE_SQL, type CollectNodePerformanceOptions, type NodeCounters, type NodePerformanceResult } from './performance/collect-node-performance';
export { compareSnapshots, loadSnapshot, saveSnapshot, snapshotDir, snapshotName, type PerformanceSnapshot } from './performance/performance-snapshot';
export { MonitoringPerformanceSkill } from './skills/monitoring-performance.skill';
export { classifyLogEntry, LOG_CATEGORIES, LOG_CATEGORY_LINKS, normaliseLogMessage, type LogCategory } from './logs/classify-log-entry';
export { parseJsonLog, parseLogTime, parseStderrLog, type LogEntry } from './logs/log-entry';
export { LOG_SQL, readNodeLog, type NodeLog } from './logs/read-node-log';
export { durationMs, LogsInput, LogsReport } from './logs/logs-schema';
export { analyseLogs, summariseLogs, type AnalyseLogsOptions } from './logs/analyse-logs';
export { MonitoringLogsSkill } from './skills/monitoring-logs.skill';
export { ALERT_DURATION, ALERTS_FILE, AlertChannel, AlertRule, AlertRulesFile, alertDurationMs, defaultAlertRules, loadAlertRules, ruleThreshold } from './alerts/alert-rules';
export { alertKey, alertStateFile, readAlertState, writeAlertState, type ActiveAlert, type AlertState } from './alerts/alert-state';
export { notifyChannel, type AlertNotification, type Delivery } from './alerts/notify-channel';
export { evaluateAlerts, type AlertsEvaluation, type AlertTransition, type EvaluateAlertsOptions } from './alerts/evaluate-alerts';
export { alertName, exportPrometheusRules, HEALTH_FINDINGS_METRIC } from './alerts/export-prometheus-rules';
export { ALERT_ACTIONS, AlertsInput, AlertsReport } from './alerts/alerts-schema';
export { MonitoringAlertsSkill } from './skills/monitoring-alerts.skill';
