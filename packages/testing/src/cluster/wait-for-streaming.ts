import { PgClusterError, withClient } from '@pgcluster/core';
import { sleep } from '../local/postmaster';

/**
 * Waits until the primary's `pg_stat_replication` shows every named replica `streaming` (and,
 * with `synchronous`, counted as a synchronous candidate: a walsender takes a reloaded
 * `synchronous_standby_names` only when it next handles its SIGHUP); `logFiles` (the replicas'
 * server logs) are named in the hint when it times out.
 *
 * @throws PgClusterError `TIMEOUT` naming the replicas that never streamed.
 * @example
 * ```ts
 * await waitForStreaming(cluster.url(undefined, 'postgres'), ['node2', 'node3'])
 * ```
 */
export async function waitForStreaming(primaryUrl: string, replicaNames: readonly string[], timeoutMs = 60_000, logFiles: readonly string[] = [], synchronous = false): Promise<void> {
  if (replicaNames.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let streaming = new Set<string>();
  for (;;) {
    try {
      streaming = await withClient({ url: primaryUrl, connectTimeoutMs: 2_000 }, 'reading pg_stat_replication', async (c) => {
        const { rows } = await c.query<{ application_name: string }>(
          `select application_name from pg_stat_replication where state = 'streaming'${synchronous ? " and sync_state <> 'async'" : ''}`,
        );
        return new Set(rows.map((r) => r.application_name));
      });
    } catch {
      // The primary may be starting up; try again until the deadline.
    }
    const missing = replicaNames.filter((n) => !streaming.has(n));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new PgClusterError('TIMEOUT', `replicas not streaming after ${Math.round(timeoutMs / 1000)} s: ${missing.join(', ')}`, {
        hint: logFiles.length > 0 ? `Read the replicas' server logs: ${logFiles.join(', ')}.` : "Read the replicas' server logs.",
      });
    }
    await sleep(100);
  }
}
