import { PgClusterError, withClient, type ClusterConfig, type NodeConfig } from '@pgcluster/core';

/**
 * The first configured node that answers and is not in recovery: where a write skill of this
 * package changes roles and settings.
 * @throws PgClusterError `UNREACHABLE` when no primary answers.
 * @example const primary = await findPrimary(loadConfig().config)
 */
export async function findPrimary(config: ClusterConfig): Promise<NodeConfig> {
  for (const node of config.nodes ?? []) {
    try {
      const inRecovery = await withClient({ url: node.url, connectTimeoutMs: 2_000, applicationName: 'pgcluster-security' }, `checking ${node.name}`, async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r);
      if (!inRecovery) return node;
    } catch {
      // A node that does not answer cannot be the primary we act on.
    }
  }
  throw new PgClusterError('UNREACHABLE', `no primary of cluster ${config.name} answered`, { hint: 'Check `pgcluster cluster-status`.' });
}
