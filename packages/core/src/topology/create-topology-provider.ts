import type { ClusterConfig } from '../config/cluster-config';
import { ConfigError } from '../errors/pgcluster-error';
import { createPatroniTopology, memberUrlFromTemplate } from './patroni-topology';
import { createStaticTopology } from './static-topology';
import type { TopologyProvider } from './topology-provider';

/**
 * The topology provider a configuration implies: `patroni` when `config.patroni` is set (every
 * configured REST API, then the members' own; member credentials from the node of the same
 * name, else `memberUrlTemplate`, else `patroni.memberUrl`, else the first node's URL),
 * otherwise `static` over `config.nodes`. Pools, vector, the audit table and cluster-status
 * all resolve the cluster through it, so they agree on who is primary.
 *
 * @throws ConfigError when neither is usable (Patroni without any member credentials).
 * @example
 * ```ts
 * const { primary } = await createTopologyProvider(config).resolve()
 * ```
 */
export function createTopologyProvider(config: ClusterConfig, memberUrlTemplate?: string): TopologyProvider {
  if (config.patroni) {
    const byName = new Map((config.nodes ?? []).map((n) => [n.name, n.url]));
    const fallback = memberUrlTemplate ?? config.patroni.memberUrl ?? config.nodes?.[0]?.url;
    if (!fallback) {
      throw new ConfigError('patroni topology needs credentials for its members', {
        hint: 'Set "patroni": { "memberUrl": "postgresql://user:password@placeholder/db" } (host and port come from Patroni), or list the nodes in "nodes".',
      });
    }
    const fromTemplate = memberUrlFromTemplate(fallback);
    return createPatroniTopology({
      url: config.patroni.urls ?? config.patroni.url,
      memberUrl: (m) => {
        const known = byName.get(m.name);
        return known ? memberUrlFromTemplate(known)(m) : fromTemplate(m);
      },
    });
  }
  if (!config.nodes?.length) throw new ConfigError('give "nodes" or "patroni" in the configuration');
  return createStaticTopology({ nodes: config.nodes });
}
