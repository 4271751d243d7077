/**
 * @pgcluster/dashboard — the operations dashboard: a local web page over the cluster (cluster-status
 * and monitoring-health), the skills' audit log (an incremental rollup), the agent and the vector
 * collections, served by `pgcluster dashboard`.
 * @packageDocumentation
 */
export { startDashboard, type DashboardConfig, type DashboardServer } from './server/dashboard-server';
export { agentRoutes, type AgentNow, type AgentRoutes } from './server/agent-routes';
export { isLoopback, TOKEN_COOKIE, ACTION_HEADER } from './server/access-guard';
export { PERIODS, type Period, type AnalyticsQuery, parseAnalyticsQuery } from './analytics/analytics-query';
export {
  AuditRollup,
  OUTCOMES,
  type Outcome,
  type AuditRollupConfig,
  type SkillAnalytics,
  type SkillRuns,
  type UndoAction,
  type BenchmarkRun,
} from './analytics/audit-rollup';
export { readClusterNow, type ClusterNow, type NodeNow, type FindingNow, type ReadClusterNowOptions } from './data/cluster-now';
export { readVectorCollections, type VectorNow, type CollectionNow, type ReadVectorOptions } from './data/vector-collections';
