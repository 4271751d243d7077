import { InputError, setPgbouncerIniValues } from '@pgcluster/core';
import { pgbouncerSetStatements } from './pgbouncer-admin';
import { nextSize } from './scale-cluster';
import { ClusterScaleInput } from './scale-schema';

describe('cluster-scale sizes', () => {
  test('--size is absolute; --direction adds or removes --increment', () => {
    expect(nextSize(10, { size: 3, direction: undefined, increment: 5 })).toBe(3);
    expect(nextSize(10, { direction: 'up', increment: 5 })).toBe(15);
    expect(nextSize(10, { direction: 'down', increment: 4 })).toBe(6);
  });

  test('shrinking below 1 or growing past the maximum is an InputError naming increment', () => {
    expect(() => nextSize(3, { direction: 'down', increment: 3 })).toThrow(InputError);
    expect(() => nextSize(3, { direction: 'down', increment: 3 })).toThrow(/^increment: shrinking 3 by 3 would leave 0/);
    expect(() => nextSize(999, { direction: 'up', increment: 5 })).toThrow(/largest pool size is 1000/);
  });

  test('only changed settings become SET statements, integers only', () => {
    const before = { defaultPoolSize: 10, reservePoolSize: 0, maxDbConnections: 0 };
    expect(pgbouncerSetStatements(before, { ...before, defaultPoolSize: 15 })).toEqual(['SET default_pool_size = 15']);
    expect(pgbouncerSetStatements(before, before)).toEqual([]);
    expect(() => pgbouncerSetStatements(before, { ...before, reservePoolSize: 1.5 })).toThrow(/non-negative integer/);
  });

  test('the schema: a negative size, both --size and --direction, or nothing at all are refused', () => {
    expect(ClusterScaleInput.safeParse({ size: -1 }).success).toBe(false);
    expect(ClusterScaleInput.safeParse({ size: 5, direction: 'up' }).success).toBe(false);
    expect(ClusterScaleInput.safeParse({}).success).toBe(false);
    expect(ClusterScaleInput.parse({ direction: 'up' })).toMatchObject({ target: 'auto', increment: 5 });
    expect(ClusterScaleInput.parse({ reservePoolSize: 0 })).toMatchObject({ reservePoolSize: 0 });
  });
});

describe('pgbouncer.ini', () => {
  const ini = ['; a comment', '[databases]', '%include /x/databases.ini', '', '[pgbouncer]', 'listen_port = 6432', 'default_pool_size = 10', 'Reserve_Pool_Size=0', '', '[users]', ''].join('\n');

  test('replaces the keys of [pgbouncer] in place, adds missing ones at its end, keeps everything else', () => {
    const out = setPgbouncerIniValues(ini, { default_pool_size: 30, reserve_pool_size: 2, max_db_connections: 0 });
    expect(out).toBe(['; a comment', '[databases]', '%include /x/databases.ini', '', '[pgbouncer]', 'listen_port = 6432', 'default_pool_size = 30', 'reserve_pool_size = 2', 'max_db_connections = 0', '', '[users]', ''].join('\n'));
    expect(setPgbouncerIniValues(out, { default_pool_size: 30, reserve_pool_size: 2, max_db_connections: 0 })).toBe(out);
  });

  test('a file without [pgbouncer] is a configuration error', () => {
    expect(() => setPgbouncerIniValues('[databases]\n', { default_pool_size: 1 })).toThrow(/pgbouncer.configFile has no \[pgbouncer\] section/);
  });
});
