import { withClient } from '@pgcluster/core';
import type { NodeRole, NodeStatus } from './cluster-handle';

/** A node to ask about its status. */
export interface StatusTarget {
  name: string;
  /** Reported when the node is down. */
  role: NodeRole;
  host: string;
  port: number;
  url: string;
}

interface Probe {
  up: boolean;
  inRecovery: boolean;
  /** Replicas: received but not replayed WAL, as the replica itself sees it. */
  localLagBytes: number | null;
}

interface ReplicationRow {
  application_name: string;
  state: string | null;
  lag_bytes: string | null;
  lag_seconds: number | null;
}

/**
 * Asks every node for its live role and, through the primary's `pg_stat_replication`,
 * each replica's replication state and lag. A node that does not answer is `down`.
 *
 * @example
 * ```ts
 * const statuses = await queryNodeStatuses(cluster.nodes.map((n) =>
 *   ({ name: n.name, role: n.role, host: n.host, port: n.port, url: n.url('postgres') })))
 * ```
 */
export async function queryNodeStatuses(targets: readonly StatusTarget[]): Promise<NodeStatus[]> {
  const probes = await Promise.all(targets.map((t) => probe(t)));
  const primaryIndex = targets.findIndex((_, i) => probes[i]?.up && !probes[i]?.inRecovery);
  const replication = primaryIndex >= 0 ? await replicationRows(targets[primaryIndex]!.url) : [];

  return targets.map((t, i) => {
    const p = probes[i]!;
    const role: NodeRole = p.up ? (p.inRecovery ? 'replica' : 'primary') : t.role;
    const base = { name: t.name, role, host: t.host, port: t.port, state: p.up ? ('up' as const) : ('down' as const) };
    if (role === 'primary') return { ...base, replicationState: null, lagBytes: null, lagSeconds: null };
    const row = replication.find((r) => r.application_name === t.name);
    const lagBytes = row?.lag_bytes != null ? Number(row.lag_bytes) : p.localLagBytes;
    const lagSeconds = row ? (row.lag_seconds ?? (lagBytes === 0 ? 0 : null)) : null;
    return { ...base, replicationState: row?.state ?? null, lagBytes, lagSeconds };
  });
}

async function probe(target: StatusTarget): Promise<Probe> {
  try {
    return await withClient({ url: target.url, connectTimeoutMs: 2_000, applicationName: 'pgcluster-status' }, `status of ${target.name}`, async (c) => {
      const { rows } = await c.query<{ r: boolean; lag: string | null }>(
        `select pg_is_in_recovery() as r,
                case when pg_is_in_recovery()
                     then pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint end as lag`,
      );
      const row = rows[0];
      return { up: true, inRecovery: row?.r === true, localLagBytes: row?.lag != null ? Math.max(0, Number(row.lag)) : null };
    });
  } catch {
    return { up: false, inRecovery: false, localLagBytes: null };
  }
}

async function replicationRows(primaryUrl: string): Promise<ReplicationRow[]> {
  try {
    return await withClient({ url: primaryUrl, connectTimeoutMs: 2_000, applicationName: 'pgcluster-status' }, 'reading pg_stat_replication', async (c) => {
      const { rows } = await c.query<ReplicationRow>(
        `select application_name, state,
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint as lag_bytes,
                extract(epoch from replay_lag)::float8 as lag_seconds
           from pg_stat_replication`,
      );
      return rows;
    });
  } catch {
    return [];
  }
}
