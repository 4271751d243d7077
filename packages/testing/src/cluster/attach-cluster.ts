import { attachHaCluster } from '../ha/ha-cluster';
import { isHaClusterDir } from '../ha/ha-state';
import { attachLocalCluster } from '../local/local-cluster';
import type { ClusterHandle } from './cluster-handle';

/**
 * Re-attaches to a local cluster that {@link startCluster} created in `baseDir` (from its
 * `cluster.json` and password file), whether it is running or stopped: this is how
 * `pgcluster dev status` and `dev down` reach the cluster `dev up` left running. An HA cluster
 * (`ha-cluster.json`) comes back as an `HaClusterHandle`.
 *
 * @throws PgClusterError `CONFIG_NOT_FOUND` when `baseDir` holds no cluster.
 * @example
 * ```ts
 * const cluster = attachCluster('.pgcluster/dev')
 * console.table(await cluster.status())
 * await cluster.stop()
 * ```
 */
export function attachCluster(baseDir: string, options: { log?: (line: string) => void } = {}): ClusterHandle {
  if (isHaClusterDir(baseDir)) return attachHaCluster(baseDir, options.log);
  return attachLocalCluster(baseDir, options.log);
}
