import { InputError } from '@pgcluster/core';
import { DEFAULT_EXTENSIONS, resolveClusterOptions } from './cluster-options';

describe('resolveClusterOptions', () => {
  test('applies the defaults', () => {
    const r = resolveClusterOptions({}, {});
    expect(r).toMatchObject({ replicas: 2, synchronous: false, provider: 'local', database: 'pgcluster', user: 'pgcluster', fast: false });
    expect(r.extensions).toEqual([...DEFAULT_EXTENSIONS]);
    expect(r.password).toBeUndefined();
  });

  test('takes the provider from PGCLUSTER_TEST_PROVIDER, and the option over it', () => {
    expect(resolveClusterOptions({}, { PGCLUSTER_TEST_PROVIDER: 'testcontainers' }).provider).toBe('testcontainers');
    expect(resolveClusterOptions({ provider: 'local' }, { PGCLUSTER_TEST_PROVIDER: 'testcontainers' }).provider).toBe('local');
  });

  test('names the environment variable when its value is wrong', () => {
    expect(() => resolveClusterOptions({}, { PGCLUSTER_TEST_PROVIDER: 'podman' })).toThrow(
      expect.objectContaining({ field: 'PGCLUSTER_TEST_PROVIDER' }),
    );
  });

  test.each([-1, 6, 1.5, Number.NaN])('refuses replicas %p', (replicas) => {
    expect(() => resolveClusterOptions({ replicas }, {})).toThrow(InputError);
    expect(() => resolveClusterOptions({ replicas }, {})).toThrow(/^replicas: must be an integer from 0 to 5/);
  });

  test('the url provider needs a URL, from the option or PGCLUSTER_TEST_URL', () => {
    expect(() => resolveClusterOptions({ provider: 'url' }, {})).toThrow(expect.objectContaining({ field: 'url' }));
    expect(resolveClusterOptions({ provider: 'url' }, { PGCLUSTER_TEST_URL: 'postgresql://a:b@h:1/d' }).url).toBe('postgresql://a:b@h:1/d');
  });

  test('never echoes a password it refuses', () => {
    expect(() => resolveClusterOptions({ password: 'sec\nret' }, {})).toThrow(expect.objectContaining({ field: 'password', message: 'password: must be non-empty and single-line' }));
  });

  test('ha runs with the local provider only', () => {
    expect(resolveClusterOptions({ ha: true }, {}).ha).toBe(true);
    expect(() => resolveClusterOptions({ ha: true, provider: 'url', url: 'postgresql://a:b@h:1/d' }, {})).toThrow(
      expect.objectContaining({ code: 'NOT_SUPPORTED' }),
    );
  });
});
