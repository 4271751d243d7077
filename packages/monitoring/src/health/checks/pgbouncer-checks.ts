import type { PgbouncerPool, PgbouncerState } from '@pgcluster/core';
import { ref, round, type Candidate, type NodeFacts } from '../node-check';

/**
 * pgbouncer_pool_saturated: every PgBouncer pool whose clients wait for a server connection,
 * valued by the oldest client's wait (maxwait, seconds). The recommendation is cluster-scale
 * with the size that gives each waiting client of the neediest pool a server connection
 * (default_pool_size is one setting for every pool), capped by what the
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
  const waiting = pools.filter((p) => p.clWaiting > 0);
  const wantedOf = (p: PgbouncerPool) => Math.max(p.poolSize, p.svActive) + p.clWaiting;
  const ownSizeOf = (p: PgbouncerPool) => p.poolSize !== sizes.defaultPoolSize;
  // default_pool_size is one setting for every pool: each finding recommends the size the
  // neediest pool wants, so two findings never undo each other (and the agent runs it once).
  const wanted = Math.max(0, ...waiting.filter((p) => !ownSizeOf(p)).map(wantedOf));
  const size = cap === undefined ? wanted : Math.min(wanted, cap);
  return waiting.map((p) => {
    const object = `pool ${p.database}/${p.user}`;
    const message =
      `PgBouncer ${object}: ${p.clWaiting} client(s) waiting for a server connection, the oldest for ${round(p.maxwaitSeconds, 1)} s; ` +
      `${p.svActive} of pool_size ${p.poolSize} server connections active (reserve ${p.reservePool})`;
    const recommendation = ownSizeOf(p)
      ? ref('cluster-status', {}, `${object} has its own pool_size ${p.poolSize} in pgbouncer.ini [databases], which cluster-scale's default_pool_size does not change: raise it there and RELOAD PgBouncer`)
      : size <= p.poolSize
        ? ref('cluster-status', {}, `no headroom: ${pools.length} pool(s) of ${p.poolSize} + ${sizes.reservePoolSize} reserve already use what the primary's max_connections ${primary?.maxConnections} allows; raise max_connections (a restart) or find what holds the server connections`)
        : ref('cluster-scale', { target: 'pgbouncer', size }, `grow default_pool_size from ${p.poolSize} to ${size}: a server connection for each waiting client${size < wanted ? ", as far as the primary's max_connections allows" : ''}${waiting.length > 1 ? ' (of the neediest pool: default_pool_size applies to every pool)' : ''}`);
    return { object, value: round(p.maxwaitSeconds, 1), message, recommendation };
  });
}
