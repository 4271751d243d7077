import type { PgbouncerState } from '@pgcluster/core';
import { ref, round, type Candidate, type NodeFacts } from '../node-check';

/**
 * pgbouncer_pool_saturated: every PgBouncer pool whose clients wait for a server connection,
 * valued by the oldest client's wait (maxwait, seconds). The recommendation is cluster-scale
 * with the size that gives each waiting client a server connection, capped by what the
 * primary's max_connections leaves for every pool (the same sum cluster-scale checks); a pool
 * that cannot grow (its own pool_size in `[databases]`, which default_pool_size does not
 * change, or no headroom left) gets cluster-status and the reason instead.
 *
 * @param primary the primary's facts (its max_connections), or undefined when none answered.
 * @example pgbouncerSaturation(await readPgbouncer(adminUrl), primaryFacts) // [{ object: 'pool pgcluster/app', value: 2.5, … }]
 */
export function pgbouncerSaturation(state: PgbouncerState, primary: NodeFacts | undefined): Candidate[] {
  const { sizes, pools } = state;
  // The largest default_pool_size every pool may have: pools × (size + reserve) ≤ max_connections − reserved.
  const cap = primary ? Math.floor((primary.maxConnections - primary.reservedConnections) / Math.max(1, pools.length)) - sizes.reservePoolSize : undefined;
  return pools
    .filter((p) => p.clWaiting > 0)
    .map((p) => {
      const object = `pool ${p.database}/${p.user}`;
      const wanted = Math.max(p.poolSize, p.svActive) + p.clWaiting;
      const size = cap === undefined ? wanted : Math.min(wanted, cap);
      const message =
        `PgBouncer ${object}: ${p.clWaiting} client(s) waiting for a server connection, the oldest for ${round(p.maxwaitSeconds, 1)} s; ` +
        `${p.svActive} of pool_size ${p.poolSize} server connections active (reserve ${p.reservePool})`;
      const ownSize = p.poolSize !== sizes.defaultPoolSize;
      const recommendation = ownSize
        ? ref('cluster-status', {}, `${object} has its own pool_size ${p.poolSize} in pgbouncer.ini [databases], which cluster-scale's default_pool_size does not change: raise it there and RELOAD PgBouncer`)
        : size <= p.poolSize
          ? ref('cluster-status', {}, `no headroom: ${pools.length} pool(s) of ${p.poolSize} + ${sizes.reservePoolSize} reserve already use what the primary's max_connections ${primary?.maxConnections} allows; raise max_connections (a restart) or find what holds the server connections`)
          : ref('cluster-scale', { target: 'pgbouncer', size }, `grow default_pool_size from ${p.poolSize} to ${size}: a server connection for each waiting client${size < wanted ? ", as far as the primary's max_connections allows" : ''}`);
      return { object, value: round(p.maxwaitSeconds, 1), message, recommendation };
    });
}
