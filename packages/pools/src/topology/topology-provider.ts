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
