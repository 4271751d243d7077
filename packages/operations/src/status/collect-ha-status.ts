import { readPgbouncer, redactUrl, type Topology } from '@pgcluster/core';
import type { ClusterStatusReport, PatroniStatus, PgbouncerStatus } from './cluster-status-schema';
import { describeNodeError } from './collect-node-facts';

/**
 * PgBouncer's pools and settings from its admin console (`SHOW CONFIG`, `SHOW POOLS`); an
 * unreachable console is reported (`reachable: false` with the reason), never thrown.
 *
 * @example
 * ```ts
 * const pgbouncer = await collectPgbouncerStatus(config.pgbouncer.adminUrl, 2_000)
 * ```
 */
export async function collectPgbouncerStatus(adminUrl: string, connectTimeoutMs: number): Promise<PgbouncerStatus> {
  try {
    const state = await readPgbouncer(adminUrl, connectTimeoutMs);
    const pools = state.pools.map((p) => ({
      database: p.database,
      user: p.user,
      cl_active: p.clActive,
      cl_waiting: p.clWaiting,
      sv_active: p.svActive,
      sv_idle: p.svIdle,
      sv_used: p.svUsed,
      maxwait_s: p.maxwaitSeconds,
      pool_mode: p.poolMode,
    }));
    return {
      reachable: true,
      error: null,
      default_pool_size: state.sizes.defaultPoolSize,
      reserve_pool_size: state.sizes.reservePoolSize,
      max_db_connections: state.sizes.maxDbConnections,
      max_client_conn: state.maxClientConn,
      clients_waiting: pools.reduce((n, p) => n + p.cl_waiting, 0),
      pools,
    };
  } catch (error) {
    return {
      reachable: false,
      error: describeNodeError(error, "PgBouncer's admin console", connectTimeoutMs),
      default_pool_size: null,
      reserve_pool_size: null,
      max_db_connections: null,
      max_client_conn: null,
      clients_waiting: 0,
      pools: [],
    };
  }
}

/**
 * Patroni's members, leader and timeline from a topology the Patroni provider resolved (every
 * configured REST API, then the members' own, are tried); no API answering is reported, never thrown.
 * @example
 * ```ts
 * const patroni = patroniStatusOf(await createTopologyProvider(config).resolve())
 * ```
 */
export function patroniStatusOf(topology: Topology): PatroniStatus {
  if (topology.source === undefined) {
    return { reachable: false, error: redactUrl(topology.problems.join('; ') || "Patroni's REST API did not answer"), leader: null, timeline: null, paused: false, members: [] };
  }
  const members = topology.members.map((m) => ({
    name: m.name,
    role: m.haRole ?? m.role,
    state: m.state ?? 'unknown',
    timeline: m.timeline ?? null,
    lag_bytes: m.role === 'primary' ? null : (m.lagBytes ?? null),
  }));
  const leader = topology.primary;
  return { reachable: true, error: null, leader: leader?.name ?? null, timeline: leader?.timeline ?? null, paused: topology.paused === true, members };
}

/**
 * Adds PgBouncer's and Patroni's parts to a report, with their alerts and recommendations; a
 * healthy report becomes degraded when either has a problem (critical stays critical).
 * @example const full = withHaStatus(report, pgbouncer, patroni)
 */
export function withHaStatus(report: ClusterStatusReport, pgbouncer: PgbouncerStatus | undefined, patroni: PatroniStatus | undefined): ClusterStatusReport {
  const alerts = [...report.alerts];
  const recommendations = [...report.recommendations];
  let problem = false;
  if (pgbouncer) {
    if (!pgbouncer.reachable) {
      problem = true;
      alerts.push(`PgBouncer: ${pgbouncer.error}`);
    } else if (pgbouncer.clients_waiting > 0) {
      problem = true;
      const busiest = [...pgbouncer.pools].sort((a, b) => b.cl_waiting - a.cl_waiting)[0]!;
      alerts.push(`PgBouncer: ${pgbouncer.clients_waiting} client(s) waiting for a server connection (pool ${busiest.database}/${busiest.user}, oldest ${busiest.maxwait_s.toFixed(1)} s)`);
      recommendations.push({ why: 'PgBouncer pools are saturated: grow them', skill: 'cluster-scale', input: { target: 'pgbouncer', direction: 'up' } });
    }
  }
  if (patroni) {
    if (!patroni.reachable) {
      problem = true;
      alerts.push(patroni.error ?? "Patroni's REST API did not answer");
    } else {
      if (!patroni.leader) {
        problem = true;
        alerts.push('Patroni reports no running leader (a failover may be under way)');
      }
      if (patroni.paused) {
        problem = true;
        alerts.push('Patroni is paused (maintenance mode): it will not fail over by itself');
      }
      for (const m of patroni.members) {
        if (!['running', 'streaming'].includes(m.state)) {
          problem = true;
          alerts.push(`Patroni member ${m.name} is ${m.state} (${m.role})`);
        }
      }
    }
  }
  const status = problem && report.status === 'healthy' ? 'degraded' : report.status;
  return {
    ...report,
    status,
    components: { ...report.components, ...(pgbouncer ? { pgbouncer } : {}), ...(patroni ? { patroni } : {}) },
    alerts,
    recommendations,
  };
}
