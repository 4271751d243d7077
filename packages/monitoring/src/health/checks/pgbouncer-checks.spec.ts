import type { PgbouncerPool, PgbouncerState } from '@pgcluster/core';
import type { NodeFacts } from '../node-check';
import { pgbouncerSaturation } from './pgbouncer-checks';

const pool = (database: string, fields: Partial<PgbouncerPool>): PgbouncerPool => ({
  database, user: 'app', clActive: 0, clWaiting: 0, svActive: 0, svIdle: 0, svUsed: 0, maxwaitSeconds: 0, poolMode: 'transaction', poolSize: 10, reservePool: 0, ...fields,
});
const state = (pools: PgbouncerPool[]): PgbouncerState => ({ sizes: { defaultPoolSize: 10, reservePoolSize: 0, maxDbConnections: 0 }, maxClientConn: 200, pools });
const primary = (maxConnections: number) => ({ maxConnections, reservedConnections: 3 }) as NodeFacts;

describe('pgbouncer_pool_saturated candidates', () => {
  test('only pools with waiting clients; every one recommends the size the neediest pool wants', () => {
    const found = pgbouncerSaturation(state([pool('a', { clWaiting: 2, svActive: 10, maxwaitSeconds: 3.21 }), pool('b', { clWaiting: 7, svActive: 10 }), pool('c', { svActive: 4 })]), primary(100));
    expect(found.map((c) => [c.object, c.value])).toEqual([['pool a/app', 3.2], ['pool b/app', 0]]);
    expect(found.map((c) => c.recommendation.input)).toEqual([{ target: 'pgbouncer', size: 17 }, { target: 'pgbouncer', size: 17 }]);
  });

  test("the size is capped by the primary's max_connections shared by every pool; no room left is a cluster-status recommendation", () => {
    // (100 − 3) ÷ 3 pools = 32 per pool.
    const capped = pgbouncerSaturation(state([pool('a', { clWaiting: 40, svActive: 10 }), pool('b', {}), pool('c', {})]), primary(100));
    expect(capped[0]!.recommendation).toMatchObject({ skill: 'cluster-scale', input: { size: 32 }, why: expect.stringContaining("as far as the primary's max_connections allows") });
    const full = pgbouncerSaturation(state([pool('a', { clWaiting: 5, svActive: 10 })]), primary(13));
    expect(full[0]!.recommendation).toMatchObject({ skill: 'cluster-status', why: expect.stringMatching(/^no headroom/) });
  });

  test('a pool with its own pool_size in [databases] is not resized through default_pool_size', () => {
    const [own] = pgbouncerSaturation(state([pool('a', { clWaiting: 2, svActive: 4, poolSize: 4 })]), undefined);
    expect(own!.recommendation).toMatchObject({ skill: 'cluster-status', why: expect.stringContaining('its own pool_size 4') });
  });
});
