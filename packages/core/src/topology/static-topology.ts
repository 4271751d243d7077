import type { NodeConfig } from '../config/cluster-config';
import { nodeAddress, withClient } from '../connection/connect';
import type { Topology, TopologyMember, TopologyProvider } from './topology-provider';

/** Options of the {@link createStaticTopology | static topology provider}. */
export interface StaticTopologyConfig {
  /** The configured nodes (`config.nodes`). */
  nodes: readonly NodeConfig[];
  /** Per-node connect timeout while probing; default 2,000 ms. */
  connectTimeoutMs?: number;
}

interface Probe {
  inRecovery: boolean;
  /** pg_current_wal_lsn() on a primary, pg_last_wal_replay_lsn() on a replica, in bytes from 0/0. */
  lsn: bigint | undefined;
  /** The primary's current timeline (from its WAL file name); the timeline a replica receives. */
  timeline: number | undefined;
  /** A replica's WAL receiver status (`streaming`, …); undefined when it has none running. */
  receiver: string | undefined;
  /**
   * Not in recovery but `default_transaction_read_only` on in the server's configuration (as
   * cluster-failover's fence sets it with ALTER SYSTEM): an old primary, not a claimant. A
   * per-database or per-role setting is not a fence.
   */
  fenced: boolean;
}

/**
 * One round trip per node. The primary's timeline comes from its current WAL file name (the
 * checkpoint's lags behind a promotion); a replica's from its WAL receiver.
 */
const PROBE_SQL = `select pg_is_in_recovery() as r,
  pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end, '0/0')::text as lsn,
  case when pg_is_in_recovery() then (select received_tli from pg_stat_wal_receiver)
       else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int end as tli,
  (select status from pg_stat_wal_receiver) as receiver,
  (select setting = 'on' and source = 'configuration file' from pg_settings where name = 'default_transaction_read_only') as fenced`;

/**
 * The `static` provider: the nodes are listed in the config and each one is asked
 * `pg_is_in_recovery()`. A replica's lag is the primary's current WAL position minus the
 * replica's replay position, in bytes; it is unknown (so the replica gets no reads) when the
 * replica's WAL receiver is not streaming or receives another timeline than the primary's. Two members answering "not in recovery" is reported
 * as a problem and leaves `primary` undefined, so writes stop rather than split.
 *
 * @example
 * ```ts
 * const topology = await createStaticTopology({ nodes: config.nodes! }).resolve()
 * console.log(topology.primary?.name, topology.members.map((m) => [m.name, m.role, m.lagBytes]))
 * ```
 */
export function createStaticTopology(config: StaticTopologyConfig): TopologyProvider {
  const nodes = [...config.nodes];
  const timeout = config.connectTimeoutMs ?? 2_000;
  return {
    kind: 'static',
    async resolve(): Promise<Topology> {
      const probes = await Promise.all(
        nodes.map((n) =>
          withClient({ url: n.url, connectTimeoutMs: timeout, applicationName: 'pgcluster-topology' }, `probing ${n.name}`, async (c) => {
            const { rows } = await c.query<{ r: boolean; lsn: string | null; tli: string | number | null; receiver: string | null; fenced: boolean }>(PROBE_SQL);
            const row = rows[0]!;
            return {
              inRecovery: row.r,
              lsn: row.lsn === null ? undefined : BigInt(row.lsn.split('.')[0]!),
              timeline: row.tli === null ? undefined : Number(row.tli),
              receiver: row.receiver ?? undefined,
              // A primary made read-only by cluster-failover's fence: an old primary, not a claimant.
              fenced: !row.r && row.fenced,
            } satisfies Probe;
          }).catch(() => undefined),
        ),
      );
      const problems: string[] = [];
      const primaries = nodes.filter((_, i) => probes[i] && !probes[i]!.inRecovery && !probes[i]!.fenced);
      if (primaries.length > 1) {
        problems.push(`${primaries.length} members report being primary: ${primaries.map((n) => n.name).join(', ')}; writes are refused until one is fenced`);
      }
      if (primaries.length === 0) problems.push('no reachable member is a primary');
      const primaryIndex = primaries.length === 1 ? nodes.indexOf(primaries[0]!) : -1;
      const primaryLsn = primaryIndex >= 0 ? probes[primaryIndex]!.lsn : undefined;
      const members: TopologyMember[] = nodes.map((n, i) => {
        const p = probes[i];
        if (!p) {
          problems.push(`${n.name} (${nodeAddress(n.url)}) is unreachable`);
          return { name: n.name, url: n.url, role: 'unreachable', lagBytes: undefined };
        }
        if (p.fenced) {
          // It takes no write and follows nobody: usable for neither, until it rejoins as a replica.
          problems.push(`${n.name} is a fenced old primary (read-only, not in recovery): rejoin it as a replica`);
          return { name: n.name, url: n.url, role: 'unreachable', lagBytes: undefined, state: 'fenced', ...(p.timeline !== undefined ? { timeline: p.timeline } : {}) };
        }
        if (!p.inRecovery) return { name: n.name, url: n.url, role: 'primary', lagBytes: 0, state: 'running', ...(p.timeline !== undefined ? { timeline: p.timeline } : {}) };
        // A replica that does not stream, or streams another timeline (it still follows a lost
        // primary), has no meaningful lag: undefined, so no lag bound ever routes reads to it.
        const primaryTimeline = primaryIndex >= 0 ? probes[primaryIndex]!.timeline : undefined;
        const state = p.receiver !== 'streaming' ? 'not streaming' : primaryTimeline !== undefined && p.timeline !== primaryTimeline ? 'other timeline' : 'streaming';
        if (state !== 'streaming') problems.push(`${n.name} is a replica but ${state === 'not streaming' ? 'does not stream' : `streams timeline ${p.timeline}, the primary is on ${primaryTimeline}`}`);
        const lag = state === 'streaming' && primaryLsn !== undefined && p.lsn !== undefined ? Number(primaryLsn > p.lsn ? primaryLsn - p.lsn : 0n) : undefined;
        return { name: n.name, url: n.url, role: 'replica', lagBytes: lag, state, ...(p.timeline !== undefined ? { timeline: p.timeline } : {}) };
      });
      return { primary: primaryIndex >= 0 ? members[primaryIndex] : undefined, members, resolvedAt: new Date(), problems };
    },
  };
}
