import { PgClusterError } from '../errors/pgcluster-error';

/** The roles a member of the cluster can have, as seen by a topology provider. */
export const MEMBER_ROLES = ['primary', 'replica', 'unreachable'] as const;
/** One of {@link MEMBER_ROLES}. */
export type MemberRole = (typeof MEMBER_ROLES)[number];

/** One PostgreSQL server of the cluster, as last resolved. */
export interface TopologyMember {
  /** The node's name (from the config, or Patroni's member name). */
  name: string;
  /** How to connect to it (contains credentials: never print it; use `nodeAddress`). */
  url: string;
  role: MemberRole;
  /**
   * How far behind the primary's WAL position its replay is, in bytes; `0` for the
   * primary, `undefined` when it cannot be told (an unreachable node, Patroni's "unknown").
   */
  lagBytes: number | undefined;
  /** The provider's own state word, e.g. Patroni's `streaming` / `running`; informational. */
  state?: string;
  /** Timeline, when the provider knows it. */
  timeline?: number;
  /** The member's HA manager REST API (Patroni's `api_url`), when the provider knows it. */
  apiUrl?: string;
  /** The HA manager's own role word (Patroni's `leader`, `sync_standby`, `replica`, …), when there is one. */
  haRole?: string;
}

/** A snapshot of the cluster: who is primary, who replicates, and how far behind. */
export interface Topology {
  /** The one writable member; `undefined` while there is none (mid-failover) or when two claim it. */
  primary: TopologyMember | undefined;
  /** Every member, in a stable order. */
  members: TopologyMember[];
  /** When it was resolved. */
  resolvedAt: Date;
  /** Problems seen while resolving (no secrets), e.g. `two members report being primary: node1, node2`. */
  problems: string[];
  /** Where the roles came from when not from the members themselves, e.g. the Patroni API (`host:port`) that answered. */
  source?: string;
  /** The HA manager is in maintenance mode (Patroni's pause): it will not fail over by itself. */
  paused?: boolean;
}

/**
 * The narrow seam between pools and whatever knows the cluster's shape: `static` (asks each
 * configured node `pg_is_in_recovery()`) or `patroni` (asks Patroni's REST API). Write your
 * own for another HA manager.
 *
 * @example
 * ```ts
 * const provider: TopologyProvider = createStaticTopology({ nodes: config.nodes })
 * const { primary, members } = await provider.resolve()
 * ```
 */
export interface TopologyProvider {
  /** `static`, `patroni`, or a custom name; shown in stats and errors. */
  readonly kind: string;
  /** Resolves the current topology; never throws for an unreachable member (it is marked so). */
  resolve(signal?: AbortSignal): Promise<Topology>;
}

/**
 * The members that answer as primary: more than one is a split brain.
 * @example primaryClaimants(topology).map((m) => m.name) // ['node1', 'node2'] in a split brain
 */
export function primaryClaimants(topology: Topology): TopologyMember[] {
  return topology.members.filter((m) => m.role === 'primary');
}

/**
 * The primary to write to, or a clear refusal: `REFUSED` in a split brain (two members answer
 * "not in recovery": writing to either would fork the data), `UNREACHABLE` when there is none.
 *
 * @throws PgClusterError `REFUSED` (split brain) or `UNREACHABLE` (no primary).
 * @example
 * ```ts
 * const primary = requirePrimary(await provider.resolve(), 'inserting into docs')
 * ```
 */
export function requirePrimary(topology: Topology, purpose: string): TopologyMember {
  if (topology.primary) return topology.primary;
  const claimants = primaryClaimants(topology);
  if (claimants.length > 1) {
    // Security: refusing here is what keeps a write from landing on one side of a split brain.
    throw new PgClusterError(
      'REFUSED',
      `split brain: ${claimants.map((m) => m.name).join(' and ')} both answer as primary (not in recovery); ${purpose} is refused so the data cannot fork`,
      { hint: 'Fence (stop) the stale primary or rejoin it as a replica (pgcluster cluster-status names both), then retry.' },
    );
  }
  throw new PgClusterError('UNREACHABLE', `no primary for ${purpose}: ${topology.problems.join('; ') || 'none found'}`, {
    hint: 'A failover may be in progress; check pgcluster cluster-status.',
  });
}
