import { nodeAddress, withClient, type NodeConfig } from '@pgcluster/core';
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
  timeline: number | undefined;
}

/**
 * The `static` provider: the nodes are listed in the config and each one is asked
 * `pg_is_in_recovery()`. A replica's lag is the primary's current WAL position minus the
 * replica's replay position, in bytes. Two members answering "not in recovery" is reported
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
            const { rows } = await c.query<{ r: boolean; lsn: string | null; tli: number | null }>(
              `select pg_is_in_recovery() as r,
                      pg_wal_lsn_diff(case when pg_is_in_recovery() then pg_last_wal_replay_lsn() else pg_current_wal_lsn() end, '0/0')::text as lsn,
                      (select timeline_id from pg_control_checkpoint()) as tli`,
            );
            const row = rows[0]!;
            return { inRecovery: row.r, lsn: row.lsn === null ? undefined : BigInt(row.lsn.split('.')[0]!), timeline: row.tli ?? undefined } satisfies Probe;
          }).catch(() => undefined),
        ),
      );
      const problems: string[] = [];
      const primaries = nodes.filter((_, i) => probes[i] && !probes[i]!.inRecovery);
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
        if (!p.inRecovery) return { name: n.name, url: n.url, role: 'primary', lagBytes: 0, timeline: p.timeline };
        const lag = primaryLsn !== undefined && p.lsn !== undefined ? Number(primaryLsn > p.lsn ? primaryLsn - p.lsn : 0n) : undefined;
        return { name: n.name, url: n.url, role: 'replica', lagBytes: lag, timeline: p.timeline };
      });
      return { primary: primaryIndex >= 0 ? members[primaryIndex] : undefined, members, resolvedAt: new Date(), problems };
    },
  };
}
