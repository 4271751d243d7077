import { withClient, type ClusterConfig, type NodeConfig } from '@pgcluster/core';

/**
 * Waits until every other configured node that answers as a replica has replayed the primary's WAL
 * up to `lsn` (so a role just created on the primary logs in there too), for up to `ms` in all.
 * A node that does not answer is not waited for (cluster-status reports it).
 *
 * @returns the names of the replicas still behind when the time ran out (empty when all caught up).
 * @example const behind = await waitForReplicas(config, primary, '0/3000148') // []
 */
export async function waitForReplicas(config: ClusterConfig, primary: NodeConfig, lsn: string, ms = 15_000): Promise<string[]> {
  const until = Date.now() + ms;
  const behind: string[] = [];
  for (const node of (config.nodes ?? []).filter((n) => n.name !== primary.name)) {
    const caughtUp = await withClient({ url: node.url, connectTimeoutMs: 2_000, applicationName: 'pgcluster-security' }, `waiting for ${node.name} to replay ${lsn}`, async (c) => {
      for (;;) {
        // NULL on a node not in recovery: nothing to wait for there.
        const { rows } = await c.query<{ ok: boolean | null }>('select pg_last_wal_replay_lsn() >= $1::pg_lsn as ok', [lsn]);
        if (rows[0]!.ok !== false) return true;
        if (Date.now() > until) return false;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }).catch(() => true);
    if (!caughtUp) behind.push(node.name);
  }
  return behind;
}
