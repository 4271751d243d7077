import type {
  ClusterState,
  ClusterStatusReport,
  HnswStatus,
  NodePoolStatus,
  NodeStatus,
  PerformanceStatus,
  PoolsStatus,
  StatusRecommendation,
} from './cluster-status-schema';
import type { ClusterFacts, NodeFacts, SenderFacts, StatusThresholds } from './node-facts';

/**
 * Tables with at least this many (estimated) rows and an unindexed vector column get a vector-index recommendation.
 * @example col.rows >= UNINDEXED_VECTOR_MIN_ROWS
 */
export const UNINDEXED_VECTOR_MIN_ROWS = 10_000;

/**
 * Turns collected node facts into the status report: roles, lag, pools, HNSW, performance,
 * the overall status, alerts naming the node or index concerned, and recommendations
 * following the seed ADR's decision tree. Pure: no I/O, no clock unless `now` is omitted.
 *
 * - critical: no primary among the reachable nodes, or more than one (split brain);
 * - degraded: a node down (while a primary is up), a replica not streaming or lagging beyond
 *   a threshold, server connections above `poolUtilizationPct` on a node, an invalid HNSW
 *   index, statements slower than `slowQueryMs` on average over the sampling window;
 * - healthy otherwise.
 *
 * @example
 * ```ts
 * const report = assessClusterStatus(
 *   { name: 'demo', nodes: [{ name: 'node1', address: '127.0.0.1:5432', up: false, error: 'connection refused' }] },
 *   { lagBytesThreshold: 64 * 2 ** 20, lagSecondsThreshold: 30, slowQueryMs: 100, poolUtilizationPct: 80 },
 * )
 * report.status // 'critical'
 * ```
 */
export function assessClusterStatus(facts: ClusterFacts, thresholds: StatusThresholds, now: Date = new Date()): ClusterStatusReport {
  const up = facts.nodes.filter((n) => n.up);
  // A fenced old primary (read-only, not in recovery) takes no writes: it is left over, not a second primary.
  const primaries = up.filter((n) => n.inRecovery === false && !n.fenced);
  const fenced = up.filter((n) => n.inRecovery === false && n.fenced);
  const replicas = up.filter((n) => n.inRecovery === true);
  const primary = primaries[0] ?? null;
  const senderOf = matchSenders(replicas, primary?.senders ?? []);

  const database = facts.nodes.map((n) => nodeStatus(n, senderOf.get(n.name)));
  const pools = poolsStatus(facts.nodes, primary);
  const hnswSource = [primary, ...up].find((n) => n?.hnsw) ?? null;
  const hnsw = hnswStatus(hnswSource);
  const performance = performanceStatus(primary);

  const alerts: string[] = [];
  const recommendations: StatusRecommendation[] = [];
  let critical = false;
  let degraded = false;

  // Topology: nodes down, no primary, split brain.
  for (const n of facts.nodes.filter((x) => !x.up)) {
    alerts.push(`${label(n)} is down: ${n.error ?? 'no answer'}`);
  }
  if (up.length === 0) {
    critical = true;
    alerts.push(`no node of cluster ${facts.name} is reachable`);
    recommendations.push({ why: 'Alert a human: no node answers. Check that the servers run and that this host can reach them.' });
  } else if (!primary) {
    critical = true;
    alerts.push(`no primary: none of the reachable nodes (${up.map((n) => n.name).join(', ')}) accepts writes`);
    const candidate = bestFailoverCandidate(replicas);
    recommendations.push({
      why: `The primary is down: alert a human, then promote the most up-to-date replica${candidate ? ` (${candidate.name})` : ''}.`,
      skill: 'cluster-failover',
      input: { action: 'failover', ...(candidate ? { to: candidate.name } : {}) },
    });
  } else if (primaries.length > 1) {
    critical = true;
    alerts.push(`split brain: ${primaries.length} nodes are primaries (${primaries.map((n) => n.name).join(', ')}); writes may diverge`);
    recommendations.push({
      why: `Alert a human: stop writes to all primaries but one (${primaries.map((n) => n.name).join(', ')}) and rebuild the others as replicas (pg_rewind); a human must choose which data to keep.`,
    });
  }
  for (const n of fenced) {
    degraded = true;
    alerts.push(`${label(n)} is a fenced old primary: read-only and on its own timeline, it follows no primary`);
    recommendations.push({
      why:
        `Rejoin ${n.name} as a replica${primary ? ` of ${primary.name}` : ''}: on its machine stop it, pg_rewind it from the current primary, ` +
        `add standby.signal and start it (a dev cluster: pgcluster dev rejoin ${n.name}).`,
    });
  }
  const down = facts.nodes.filter((n) => !n.up);
  if (primary && down.length > 0) {
    degraded = true;
    for (const n of down) {
      recommendations.push({ why: `Restart ${n.name} or rebuild it as a replica: until it is back the cluster has less read capacity and failover headroom.` });
    }
  }

  // Replication: streaming and lag (judged only against a single, reachable primary).
  if (primary && primaries.length === 1) {
    for (const node of database.filter((d) => d.role === 'replica')) {
      const facts0 = replicas.find((r) => r.name === node.name)!;
      if (!node.replication?.streaming) {
        degraded = true;
        alerts.push(`${label(facts0)} is not streaming from the primary (WAL receiver: ${facts0.replica?.receiverStatus ?? 'not running'})`);
        recommendations.push({ why: `Check ${node.name}'s primary_conninfo, network and logs; if it cannot resume streaming, rebuild it from ${primary.name}.` });
        continue;
      }
      const overBytes = node.lag_bytes !== null && node.lag_bytes > thresholds.lagBytesThreshold;
      const overSeconds = node.lag_seconds !== null && node.lag_seconds > thresholds.lagSecondsThreshold;
      if (overBytes || overSeconds) {
        degraded = true;
        alerts.push(
          `${label(facts0)} is ${formatBytes(node.lag_bytes)} / ${formatSeconds(node.lag_seconds)} behind the primary ` +
            `(thresholds ${formatBytes(thresholds.lagBytesThreshold)} / ${formatSeconds(thresholds.lagSecondsThreshold)})`,
        );
        recommendations.push({ why: `Check ${node.name}'s disk, network and long queries that hold back replay; reads from it are stale.` });
      }
    }
  }

  // Pools: server connections against max_connections, on every node.
  const busy = pools.nodes.filter((p) => p.utilization > thresholds.poolUtilizationPct);
  for (const p of busy) {
    degraded = true;
    const n = facts.nodes.find((x) => x.name === p.node)!;
    alerts.push(`${label(n)} server connections at ${p.utilization}% (${p.active} of max_connections ${p.max}; threshold ${thresholds.poolUtilizationPct}%)`);
  }
  if (busy.length > 0) {
    // No cluster-scale here: server connections are not a pool it can grow (PgBouncer's saturation is judged in withHaStatus).
    recommendations.push({
      why:
        `Server connections are above ${thresholds.poolUtilizationPct}% of max_connections on ${busy.map((p) => p.node).join(', ')}: ` +
        'find what holds them (pg_stat_activity: idle in transaction, long statements), put a connection pooler such as PgBouncer in front of the clients, or raise max_connections (restart needed).',
    });
  }

  // HNSW: invalid indexes, unindexed vector columns, pgvector missing.
  for (const ix of hnsw.invalid_indexes) {
    degraded = true;
    alerts.push(`HNSW index ${ix.schema}.${ix.name} on ${ix.schema}.${ix.table} is invalid (indisvalid = false): vector searches cannot use it until it is rebuilt`);
    recommendations.push(rebuildRecommendation(ix, hnsw.database));
  }
  for (const col of hnswSource?.hnsw?.unindexedVectorColumns ?? []) {
    if (col.rows < UNINDEXED_VECTOR_MIN_ROWS) continue;
    // vector-index creates indexes on catalogued collections only, so the way for any table is said in words.
    recommendations.push({
      why:
        `${col.schema}.${col.table}.${col.column} (~${Math.round(col.rows)} rows) has no HNSW index: similarity searches on it scan the table. ` +
        `For a pgcluster collection run vector-index --action create --collection <name>; otherwise CREATE INDEX CONCURRENTLY ON ${col.schema}.${col.table} USING hnsw (${col.column} vector_cosine_ops) (the operator class of the metric searched).`,
    });
  }
  if (hnswSource?.hnsw && !hnsw.loaded) {
    recommendations.push({ why: `pgvector is not installed in database ${hnsw.database}: run CREATE EXTENSION vector there before storing embeddings.` });
  }
  if (!hnswSource) {
    const failed = up.find((n) => n.hnswError);
    if (failed) alerts.push(`could not read HNSW indexes on ${failed.name}: ${failed.hnswError}`);
  }

  // Performance: slow statements (over the window: degraded; since the last reset: advice only).
  if (performance.avg_query_ms !== null && performance.avg_query_ms > thresholds.slowQueryMs) {
    if (performance.source === 'window') {
      degraded = true;
      alerts.push(
        `statements on ${performance.node} averaged ${performance.avg_query_ms} ms over the last ${performance.sample_ms} ms (threshold ${thresholds.slowQueryMs} ms)`,
      );
      recommendations.push({ why: 'Statements are slow right now: look for missing indexes and bloated tables.', skill: 'maintenance-optimize', input: {} });
    } else {
      recommendations.push({
        why: `Statements have averaged ${performance.avg_query_ms} ms since the last pg_stat_statements reset (threshold ${thresholds.slowQueryMs} ms): look for missing indexes and bloated tables.`,
        skill: 'maintenance-optimize',
        input: {},
      });
    }
  }
  if (primary && !performance.pg_stat_statements) {
    const why = primary.performance?.statementsProblem;
    recommendations.push({
      why: `pg_stat_statements is not available${why ? ` (${why})` : ''}: add it to shared_preload_libraries and CREATE EXTENSION pg_stat_statements to measure statement times.`,
    });
  }

  const status: ClusterState = critical ? 'critical' : degraded ? 'degraded' : 'healthy';
  return {
    status,
    timestamp: now.toISOString(),
    cluster: {
      name: facts.name,
      nodes: facts.nodes.length,
      up: up.length,
      primary: primary?.name ?? null,
      replicas: replicas.map((n) => n.name),
    },
    components: { database, pools, hnsw, performance },
    alerts,
    recommendations: dedupe(recommendations),
  };
}

/**
 * Pairs replicas with the primary's WAL senders: by `application_name` = node name, then by
 * replication slot, then, when exactly one replica and one sender are left, with each other.
 *
 * @example
 * ```ts
 * matchSenders(replicaFacts, primaryFacts.senders ?? []).get('node2')?.lagBytes
 * ```
 */
export function matchSenders(replicas: readonly NodeFacts[], senders: readonly SenderFacts[]): Map<string, SenderFacts> {
  const matched = new Map<string, SenderFacts>();
  const free = new Set(senders);
  const take = (node: NodeFacts, pick: (s: SenderFacts) => boolean) => {
    if (matched.has(node.name)) return;
    const s = [...free].find(pick);
    if (s) {
      matched.set(node.name, s);
      free.delete(s);
    }
  };
  for (const r of replicas) take(r, (s) => s.applicationName === r.name);
  for (const r of replicas) {
    const slot = r.replica?.slotName;
    if (slot) take(r, (s) => s.slotName === slot);
  }
  const left = replicas.filter((r) => !matched.has(r.name) && r.replica?.receiverStatus);
  if (left.length === 1 && free.size === 1) matched.set(left[0]!.name, [...free][0]!);
  return matched;
}

/**
 * The replica to promote: the one that has replayed the most WAL (ties: configuration order).
 * @example bestFailoverCandidate(replicas)?.name // 'node3'
 */
export function bestFailoverCandidate(replicas: readonly NodeFacts[]): NodeFacts | undefined {
  let best: NodeFacts | undefined;
  let bestLsn = -1;
  for (const r of replicas) {
    const lsn = parseLsn(r.replica?.replayLsn ?? r.replica?.receiveLsn ?? null) ?? 0;
    if (lsn > bestLsn) {
      best = r;
      bestLsn = lsn;
    }
  }
  return best;
}

/**
 * Parses a `pg_lsn` text (`16/B374D848`) into a byte position (exact below 2^53).
 * @example parseLsn('1/0') // 4294967296
 */
export function parseLsn(lsn: string | null): number | null {
  const m = lsn ? /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn) : null;
  return m ? parseInt(m[1]!, 16) * 2 ** 32 + parseInt(m[2]!, 16) : null;
}

function nodeStatus(n: NodeFacts, sender: SenderFacts | undefined): NodeStatus {
  const role = !n.up ? 'unknown' : n.inRecovery ? 'replica' : 'primary';
  let lagBytes: number | null = null;
  let lagSeconds: number | null = null;
  let replication: NodeStatus['replication'] = null;
  if (role === 'replica' && n.replica) {
    const r = n.replica;
    const fromPrimary = sender !== undefined && sender.lagBytes !== null;
    lagBytes = fromPrimary ? sender.lagBytes : r.gapBytes;
    // An idle primary makes now() - pg_last_xact_replay_timestamp() grow: caught up is 0 s.
    if (lagBytes === 0) lagSeconds = 0;
    else lagSeconds = sender?.replayLagS ?? r.delaySeconds;
    replication = {
      source: fromPrimary ? 'primary' : 'replica',
      state: sender?.state ?? null,
      sync_state: sender?.syncState ?? null,
      streaming: r.receiverStatus === 'streaming',
      receive_lsn: r.receiveLsn,
      replay_lsn: r.replayLsn,
      write_lag_s: round(sender?.writeLagS ?? null, 3),
      flush_lag_s: round(sender?.flushLagS ?? null, 3),
      replay_lag_s: round(sender?.replayLagS ?? null, 3),
    };
  }
  return {
    name: n.name,
    address: n.address,
    status: n.up ? 'up' : 'down',
    role,
    latency_ms: round(n.latencyMs ?? null, 2),
    connect_ms: round(n.connectMs ?? null, 2),
    version: n.version ?? null,
    version_num: n.versionNum ?? null,
    lag_bytes: lagBytes === null ? null : Math.round(lagBytes),
    lag_seconds: round(lagSeconds, 3),
    replication,
    error: n.up ? null : (n.error ?? 'no answer'),
  };
}

function poolsStatus(nodes: readonly NodeFacts[], primary: NodeFacts | null): PoolsStatus {
  const list: NodePoolStatus[] = nodes
    .filter((n) => n.up && n.pool)
    .map((n) => ({
      node: n.name,
      active: n.pool!.active,
      max: n.pool!.max,
      utilization: n.pool!.max > 0 ? round((100 * n.pool!.active) / n.pool!.max, 1)! : 0,
      executing: n.pool!.executing,
      idle_in_transaction: n.pool!.idleInTransaction,
    }));
  const head = list.find((p) => p.node === primary?.name) ?? [...list].sort((a, b) => b.utilization - a.utilization)[0];
  return {
    node: head?.node ?? null,
    active: head?.active ?? null,
    max: head?.max ?? null,
    utilization: head?.utilization ?? null,
    nodes: list,
  };
}

function hnswStatus(source: NodeFacts | null): HnswStatus {
  const h = source?.hnsw;
  if (!source || !h) {
    return { database: null, node: null, loaded: false, extension_version: null, index_count: 0, invalid_indexes: [], unindexed_vector_columns: [] };
  }
  return {
    database: h.database,
    node: source.name,
    loaded: h.vectorVersion !== null,
    extension_version: h.vectorVersion,
    index_count: h.indexes.length,
    invalid_indexes: h.indexes.filter((ix) => !ix.valid && !ix.building),
    unindexed_vector_columns: h.unindexedVectorColumns.map((c) => `${c.schema}.${c.table}.${c.column}`),
  };
}

function performanceStatus(primary: NodeFacts | null): PerformanceStatus {
  const p = primary?.performance;
  const result = (
    avg_query_ms: number | null,
    qps: number | null,
    tps: number | null,
    sample_ms: number,
    source: PerformanceStatus['source'],
    statements: number | null,
  ): PerformanceStatus => ({
    node: primary?.name ?? null,
    avg_query_ms,
    qps,
    tps,
    sample_ms,
    source,
    pg_stat_statements: p?.statementsAvailable ?? false,
    statements,
  });
  if (!primary || !p) return result(null, null, null, 0, 'none', null);
  const { first, second } = p;
  const windowMs = second ? Math.max(0, second.atMs - first.atMs) : 0;
  const sampleMs = Math.round(windowMs);
  const perSecond = (delta: number) => (windowMs > 0 ? round((Math.max(0, delta) * 1000) / windowMs, 1) : null);
  const tps = second ? perSecond(second.xacts - first.xacts) : null;
  if (!p.statementsAvailable || first.calls === null || first.execMs === null) {
    return result(null, tps, tps, sampleMs, tps === null ? 'none' : 'pg_stat_database', null);
  }
  const calls = second?.calls != null ? Math.max(0, second.calls - first.calls) : null;
  if (second && calls !== null && calls > 0 && second.execMs !== null) {
    return result(round((second.execMs - first.execMs) / calls, 3), perSecond(calls), tps, sampleMs, 'window', calls);
  }
  // No statement finished in the window: the mean since the last reset is the best figure.
  const last = second ?? first;
  const mean = last.calls !== null && last.calls > 0 && last.execMs !== null ? round(last.execMs / last.calls, 3) : null;
  return result(mean, calls === null ? null : perSecond(0), tps, sampleMs, mean === null ? 'none' : 'since_reset', calls);
}

function label(n: NodeFacts): string {
  return `${n.name} (${n.address.split('/')[0]})`;
}

function round(x: number | null, digits: number): number | null {
  if (x === null || !Number.isFinite(x)) return null;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function formatBytes(b: number | null): string {
  if (b === null) return '? bytes';
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(1)} GiB`;
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(1)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(1)} KiB`;
  return `${Math.round(b)} bytes`;
}

function formatSeconds(s: number | null): string {
  return s === null ? '? s' : `${Number(s.toFixed(1))} s`;
}

/** What vector-index accepts as each part of `--index schema.index` (its identifier rule). */
const INDEX_PART = /^[a-z_][a-z0-9_]{0,62}$/;

/** Rebuild an invalid HNSW index with vector-index when its name fits that skill's identifier rule, else in words. */
function rebuildRecommendation(ix: { schema: string; name: string }, database: string | null): StatusRecommendation {
  const qualified = `${ix.schema}.${ix.name}`;
  if (INDEX_PART.test(ix.schema) && INDEX_PART.test(ix.name) && !ix.schema.startsWith('pg_') && !ix.name.startsWith('pg_')) {
    return { why: `Rebuild the invalid HNSW index ${qualified}.`, skill: 'vector-index', input: { action: 'rebuild', index: qualified, ...(database ? { database } : {}) } };
  }
  return { why: `Rebuild the invalid HNSW index ${qualified}: REINDEX INDEX CONCURRENTLY ${JSON.stringify(ix.schema)}.${JSON.stringify(ix.name)}${database ? ` in database ${database}` : ''}.` };
}

function dedupe(list: StatusRecommendation[]): StatusRecommendation[] {
  const seen = new Set<string>();
  return list.filter((r) => {
    const key = `${r.skill ?? ''}\u0000${JSON.stringify(r.input ?? null)}\u0000${r.why}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
