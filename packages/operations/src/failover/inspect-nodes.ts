import { nodeAddress, withClient, type NodeConfig } from '@pgcluster/core';
import { parseLsn, type FailoverNodeFacts } from './choose-candidate';

/** What the native path reads from every node. */
export const FAILOVER_FACTS_SQL = `select pg_is_in_recovery() as in_recovery,
       case when pg_is_in_recovery() then null else pg_current_wal_lsn()::text end as current_lsn,
       pg_last_wal_receive_lsn()::text as receive_lsn,
       pg_last_wal_replay_lsn()::text as replay_lsn,
       (select timeline_id from pg_control_checkpoint()) as timeline,
       (select status from pg_stat_wal_receiver) as receiver`;

interface FactsRow {
  in_recovery: boolean;
  current_lsn: string | null;
  receive_lsn: string | null;
  replay_lsn: string | null;
  timeline: number | null;
  receiver: string | null;
}

/**
 * Asks every configured node for its role, WAL position and walreceiver state; a node that
 * does not answer within `connectTimeoutMs` is unreachable (never an error).
 *
 * @example
 * ```ts
 * const facts = await inspectNodes(config.nodes ?? [])
 * ```
 */
export async function inspectNodes(nodes: readonly NodeConfig[], connectTimeoutMs = 2_000): Promise<FailoverNodeFacts[]> {
  return Promise.all(
    nodes.map(async (n): Promise<FailoverNodeFacts> => {
      try {
        const row = await withClient({ url: n.url, connectTimeoutMs, applicationName: 'pgcluster-failover' }, `inspecting ${n.name} (${nodeAddress(n.url)})`, async (c) => {
          const { rows } = await c.query<FactsRow>(FAILOVER_FACTS_SQL);
          return rows[0]!;
        });
        const received = parseLsn(row.receive_lsn);
        const replayed = parseLsn(row.replay_lsn);
        const lsn = row.in_recovery ? ([received, replayed].filter((x): x is bigint => x !== undefined).sort((a, b) => (a > b ? -1 : 1))[0]) : parseLsn(row.current_lsn);
        return { name: n.name, reachable: true, inRecovery: row.in_recovery, lsn, streaming: row.receiver === 'streaming', ...(row.timeline != null ? { timeline: Number(row.timeline) } : {}) };
      } catch {
        return { name: n.name, reachable: false, inRecovery: false, lsn: undefined, streaming: false };
      }
    }),
  );
}
