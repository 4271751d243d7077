import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, PgClusterError } from '@pgcluster/core';
import { dockerEngineAnswers, startCluster, TESTCONTAINERS_SKIP_MESSAGE, type StartClusterOptions } from '@pgcluster/testing';

describe('startCluster refuses bad options before creating anything', () => {
  const parent = mkdtempSync(join(tmpdir(), 'pgc-options-'));
  const baseDir = join(parent, 'cluster');
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  test.each<[StartClusterOptions, string, RegExp]>([
    [{ replicas: -1 }, 'replicas', /replicas: must be an integer from 0 to 5 \(got -1\)/],
    [{ replicas: 6 }, 'replicas', /from 0 to 5/],
    [{ replicas: 1.5 }, 'replicas', /integer/],
    [{ replicas: 'two' as unknown as number }, 'replicas', /integer/],
    [{ provider: 'docker' as 'local' }, 'provider', /must be one of local, url, testcontainers/],
    [{ synchronous: true, replicas: 0 }, 'synchronous', /at least one replica/],
    [{ database: 'My-DB' }, 'database', /lower-case identifier/],
    [{ extensions: ['vector; drop table x'] }, 'extensions.0', /extension name/],
  ])('%j → InputError naming %s', async (options, field, message) => {
    const attempt = startCluster({ ...options, baseDir });
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(attempt).rejects.toMatchObject({ field, code: 'INVALID_INPUT', message: expect.stringMatching(message) });
    expect(existsSync(baseDir)).toBe(false);
  });

  test('ha runs with the local provider only: NOT_SUPPORTED for another, nothing created', async () => {
    await expect(startCluster({ ha: true, provider: 'url', url: 'postgresql://u:p@127.0.0.1:1/db', baseDir })).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringContaining('local provider only'),
    });
    expect(existsSync(baseDir)).toBe(false);
  });

  test('the testcontainers provider says it is skipped when no Docker engine answers', async () => {
    if (await dockerEngineAnswers()) return; // a Docker engine runs here: test/testcontainers.test.ts covers it
    const attempt = startCluster({ provider: 'testcontainers', baseDir });
    await expect(attempt).rejects.toBeInstanceOf(PgClusterError);
    await expect(attempt).rejects.toMatchObject({ code: 'NOT_SUPPORTED', message: TESTCONTAINERS_SKIP_MESSAGE });
  });
});
