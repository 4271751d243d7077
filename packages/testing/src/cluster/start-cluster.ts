import { startHaCluster } from '../ha/ha-cluster';
import { startLocalCluster } from '../local/local-cluster';
import { startTestcontainersCluster } from '../testcontainers/testcontainers-cluster';
import { startUrlCluster } from '../url/url-cluster';
import type { ClusterHandle } from './cluster-handle';
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- for TSDoc links
import type { HaClusterHandle, isHaClusterHandle } from '../ha/ha-cluster-handle';
import { resolveClusterOptions, type StartClusterOptions } from './cluster-options';

/**
 * Starts a real PostgreSQL 15 + pgvector cluster: a primary (`node1`) and `replicas`
 * streaming replicas (`node2`, …) on free loopback ports, with the database, a superuser
 * that also replicates, and the extensions created. The provider comes from
 * `options.provider`, else `PGCLUSTER_TEST_PROVIDER`, else `local` (PostgreSQL's own binaries).
 *
 * @throws InputError naming the field for bad options (e.g. `replicas: -1`).
 * With `ha: true` it starts etcd, one Patroni per node and PgBouncer instead, and returns an
 * {@link HaClusterHandle} (see {@link isHaClusterHandle}).
 *
 * @throws PgClusterError `NOT_SUPPORTED` for `ha: true` with another provider, or `testcontainers` without a Docker engine.
 * @example
 * ```ts
 * const cluster = await startCluster({ replicas: 2, log: (l) => process.stderr.write(`${l}\n`) })
 * try {
 *   console.log(cluster.url())            // postgresql://pgcluster:…@127.0.0.1:54321/pgcluster
 * } finally {
 *   await cluster.stop({ purge: true })
 * }
 * ```
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<ClusterHandle> {
  const resolved = resolveClusterOptions(options, process.env);
  switch (resolved.provider) {
    case 'url':
      return startUrlCluster(resolved);
    case 'testcontainers':
      return startTestcontainersCluster(resolved);
    case 'local':
      return resolved.ha ? startHaCluster(resolved) : startLocalCluster(resolved);
  }
}
