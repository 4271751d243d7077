import { ConfigError, PgClusterError } from '../errors/pgcluster-error';
import type { MemberRole, Topology, TopologyMember, TopologyProvider } from './topology-provider';

/** One member as Patroni's `GET /cluster` reports it (the fields we read). */
export interface PatroniMemberJson {
  name: string;
  /** `leader`, `standby_leader`, `sync_standby`, `quorum_standby` (Patroni 4), `replica`. */
  role: string;
  /** `running`, `streaming`, `in archive recovery`, `stopped`, `starting`, `crashed`, … */
  state: string;
  api_url?: string;
  host?: string;
  port?: number;
  timeline?: number;
  /** Bytes behind the leader, or `"unknown"`; absent on the leader. */
  lag?: number | string;
  /** Patroni ≥ 3.3 / 4: replay lag in bytes, when present it is preferred over `lag`. */
  replay_lag?: number | string;
  tags?: Record<string, unknown>;
}

/** The document Patroni's `GET /cluster` returns (the fields we read). */
export interface PatroniClusterJson {
  members: PatroniMemberJson[];
  scope?: string;
  pause?: boolean;
}

/** Options of the {@link createPatroniTopology | Patroni topology provider}. */
export interface PatroniTopologyConfig {
  /**
   * Patroni's REST API of a member, e.g. `http://127.0.0.1:8008`, or several members' APIs.
   * They are asked in turn (the last one that answered first), then the `api_url`s of the
   * members learned from an earlier answer, so the topology outlives any one Patroni.
   */
  url: string | readonly string[];
  /**
   * Builds a member's connection URL from Patroni's host and port. Patroni does not hand out
   * credentials, so they come from here; see {@link memberUrlFromTemplate}.
   */
  memberUrl: (member: { name: string; host: string; port: number }) => string;
  /** Give up on one REST API after this long (the next one is asked); default 3,000 ms. */
  timeoutMs?: number;
  /** Defaults to the global `fetch`; injectable for tests. */
  fetch?: typeof fetch;
}

const HEALTHY_REPLICA_STATES = new Set(['streaming', 'running', 'in archive recovery']);

/**
 * Builds a member URL from a template URL (credentials and database) and Patroni's host/port.
 *
 * @example
 * ```ts
 * memberUrlFromTemplate('postgresql://app:pw@placeholder/app')({ name: 'n2', host: '10.0.0.2', port: 5432 })
 * // 'postgresql://app:pw@10.0.0.2:5432/app'
 * ```
 */
export function memberUrlFromTemplate(template: string): PatroniTopologyConfig['memberUrl'] {
  return ({ host, port }) => {
    const u = new URL(template);
    u.hostname = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
    u.port = String(port);
    return u.toString();
  };
}

/**
 * Turns Patroni's `GET /cluster` document into a {@link Topology}. `leader` is the primary
 * (a `standby_leader` is not writable, so it is a replica); a member whose state is not
 * `running`/`streaming`/`in archive recovery` is unreachable for routing; `replay_lag` wins
 * over `lag` when both are present; `"unknown"` lag, or a replica on another timeline than the
 * leader's, stays undefined (and is never routed to under a lag bound).
 *
 * @example
 * ```ts
 * const topology = parsePatroniCluster(await (await fetch(`${api}/cluster`)).json(), memberUrlFromTemplate(url))
 * ```
 */
export function parsePatroniCluster(json: unknown, memberUrl: PatroniTopologyConfig['memberUrl']): Topology {
  const doc = json as Partial<PatroniClusterJson> | null;
  if (!doc || !Array.isArray(doc.members)) {
    throw new PgClusterError('ACTION_FAILED', "Patroni's /cluster answer has no members list");
  }
  const problems: string[] = [];
  if (doc.pause) problems.push('Patroni is paused (maintenance mode): it will not fail over by itself');
  const members: TopologyMember[] = [];
  for (const m of doc.members) {
    if (!m || typeof m.name !== 'string') continue;
    const reachable = typeof m.host === 'string' && typeof m.port === 'number';
    const isLeader = m.role === 'leader' || m.role === 'master' || m.role === 'primary';
    let role: MemberRole;
    if (!reachable) role = 'unreachable';
    else if (isLeader) role = m.state === 'running' ? 'primary' : 'unreachable';
    else role = HEALTHY_REPLICA_STATES.has(m.state) ? 'replica' : 'unreachable';
    if (role === 'unreachable') problems.push(`${m.name} is ${m.state || 'without a state'} (${m.role})`);
    const rawLag = m.replay_lag ?? m.lag;
    const lagBytes = isLeader ? 0 : typeof rawLag === 'number' && Number.isFinite(rawLag) ? rawLag : undefined;
    members.push({
      name: m.name,
      url: reachable ? memberUrl({ name: m.name, host: m.host!, port: m.port! }) : '',
      role,
      lagBytes,
      state: m.state,
      ...(typeof m.timeline === 'number' ? { timeline: m.timeline } : {}),
      ...(typeof m.api_url === 'string' ? { apiUrl: m.api_url } : {}),
      haRole: m.role,
    });
  }
  const primaries = members.filter((m) => m.role === 'primary');
  if (primaries.length === 0) problems.push('Patroni reports no running leader');
  // A replica on another timeline than the leader's still follows a lost primary: no reads for it.
  const leaderTimeline = primaries.length === 1 ? primaries[0]!.timeline : undefined;
  for (const m of members) {
    if (m.role === 'replica' && leaderTimeline !== undefined && m.timeline !== undefined && m.timeline !== leaderTimeline) {
      m.lagBytes = undefined;
      problems.push(`${m.name} is on timeline ${m.timeline}, the leader on ${leaderTimeline}`);
    }
  }
  return { primary: primaries.length === 1 ? primaries[0] : undefined, members, resolvedAt: new Date(), problems, paused: doc.pause === true };
}

/**
 * The `patroni` provider: members, roles and lag from Patroni's REST API (`GET /cluster`).
 * We never fight the HA manager: the topology is whatever Patroni says. Every configured API
 * is tried in turn, then the members' own `api_url`s learned from the last answer, so the
 * death of one member's Patroni does not lose the topology; the API that answered is asked
 * first next time.
 *
 * @example
 * ```ts
 * const provider = createPatroniTopology({
 *   url: ['http://127.0.0.1:8008', 'http://127.0.0.1:8009'],
 *   memberUrl: memberUrlFromTemplate('postgresql://app:pw@placeholder/app'),
 * })
 * const { primary, source } = await provider.resolve()
 * ```
 */
export function createPatroniTopology(config: PatroniTopologyConfig): TopologyProvider {
  const configured = (typeof config.url === 'string' ? [config.url] : [...config.url]).map((u) => {
    try {
      return new URL(u).toString();
    } catch {
      throw new ConfigError('patroni.url is not a valid URL (or list of URLs)');
    }
  });
  if (configured.length === 0) throw new ConfigError('patroni.url must name at least one REST API');
  const doFetch = config.fetch ?? fetch;
  // Per provider, not module-level: the API that answered last and the members' APIs it listed.
  let preferred: string | undefined;
  let learned: string[] = [];
  return {
    kind: 'patroni',
    async resolve(signal?: AbortSignal): Promise<Topology> {
      const candidates = [...new Set([...(preferred ? [preferred] : []), ...configured, ...learned])];
      const failures: string[] = [];
      for (const api of candidates) {
        if (signal?.aborted) break;
        const timeout = AbortSignal.timeout(config.timeoutMs ?? 3_000);
        let body: unknown;
        try {
          const res = await doFetch(new URL('/cluster', api), { signal: signal ? AbortSignal.any([signal, timeout]) : timeout, headers: { accept: 'application/json' } });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          body = await res.json();
        } catch (error) {
          failures.push(`${new URL(api).host}: ${(error as Error).message}`);
          continue;
        }
        const topology = parsePatroniCluster(body, config.memberUrl);
        preferred = api;
        const seen = topology.members.flatMap((m) => (m.apiUrl && URL.canParse(m.apiUrl) ? [new URL(m.apiUrl).origin + '/'] : []));
        if (seen.length) learned = seen;
        return { ...topology, source: new URL(api).host };
      }
      // No Patroni answered: no primary known; pools keep retrying until their deadline.
      return {
        primary: undefined,
        members: [],
        resolvedAt: new Date(),
        problems: [`no Patroni REST API answered (${failures.join('; ') || 'cancelled'})`],
      };
    },
  };
}
