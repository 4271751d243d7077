import type { ClusterHandle, NodeRef } from '../cluster/cluster-handle';
import type { PatroniMember } from './patroni-api';

/**
 * A cluster managed by Patroni (one etcd, one Patroni per node) with PgBouncer (transaction
 * pooling) in front of the leader. PgBouncer follows a failover by itself: each node's Patroni
 * `on_start`/`on_role_change` callback, when the node becomes leader, rewrites PgBouncer's
 * `[databases]` file to point at it and sends PgBouncer `SIGHUP` (a `RELOAD`).
 *
 * `kill(node)` SIGKILLs only the node's postmaster (Patroni then restarts it, or fails over
 * when it cannot); {@link HaClusterHandle.crash} kills Patroni too, as a whole node lost.
 *
 * @example
 * ```ts
 * const cluster = await startCluster({ ha: true, replicas: 2 }) as HaClusterHandle
 * await fetch(`${cluster.patroniUrl()}/cluster`)
 * const url = cluster.pgbouncerUrl()          // postgresql://pgcluster:…@127.0.0.1:…/pgcluster
 * ```
 */
export interface HaClusterHandle extends ClusterHandle {
  readonly ha: true;
  /** Patroni's DCS timings in seconds (ttl, loop_wait, retry_timeout). */
  readonly timings: { ttl: number; loopWait: number; retryTimeout: number };
  /** Patroni's REST API of a node (default the node created as primary), e.g. `http://127.0.0.1:54331`. */
  patroniUrl(node?: NodeRef): string;
  /** etcd's v3 client URL. */
  etcdUrl(): string;
  /** A postgresql:// URL through PgBouncer, for the cluster's database or `database`. */
  pgbouncerUrl(database?: string): string;
  /** PgBouncer's admin console (database `pgbouncer`, the admin user). */
  pgbouncerAdminUrl(): string;
  /** PgBouncer's `pgbouncer.ini` (for `pgbouncer.configFile`: cluster-scale writes pool sizes there so reloads keep them). */
  pgbouncerConfigFile(): string;
  /** Patroni's `GET /cluster` members from the first REST API that answers; [] when none does. */
  members(): Promise<PatroniMember[]>;
  /** The current leader's name, or undefined while there is none. */
  leader(): Promise<string | undefined>;
  /** SIGKILLs the node's Patroni and then its postmaster: the whole node is lost (until {@link restart}). */
  crash(node: NodeRef): Promise<void>;
}

/**
 * Whether a handle is an {@link HaClusterHandle}.
 * @example if (isHaClusterHandle(cluster)) console.log(cluster.pgbouncerUrl())
 */
export function isHaClusterHandle(handle: ClusterHandle): handle is HaClusterHandle {
  return (handle as Partial<HaClusterHandle>).ha === true;
}
