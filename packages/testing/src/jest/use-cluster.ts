import { PgClusterError } from '@pgcluster/core';
import type { ClusterHandle } from '../cluster/cluster-handle';
import type { StartClusterOptions } from '../cluster/cluster-options';
import { startCluster } from '../cluster/start-cluster';
import { TESTCONTAINERS_SKIP_MESSAGE } from '../testcontainers/testcontainers-cluster';
import { TEST_FILE_FLAGS, type CleanupRegistry } from './test-file-flags';

type Hook = (fn: () => Promise<void>, timeoutMs?: number) => void;

/**
 * Gives a Jest test file a real cluster in one line: `beforeAll` starts it, `afterAll` always
 * stops it and deletes its data (even when tests fail), and when any test or hook of the file
 * failed, the tail of every server log is printed to stderr first. An interrupted run
 * (SIGINT/SIGTERM/exit) kills the servers too. Without a Docker engine, a `testcontainers`
 * cluster turns the file's tests into skips with one line on stderr.
 *
 * Needs {@link ClusterTestEnvironment} as the Jest environment (the shared preset sets it)
 * for the log printing, the skips and the interrupt cleanup; without it the cluster is still
 * started and stopped.
 *
 * @returns a getter for the handle, usable inside tests and hooks.
 * @example
 * ```ts
 * const cluster = useCluster({ replicas: 1, fast: true })
 *
 * test('the primary answers', async () => {
 *   await withClient({ url: cluster().url() }, 'ping', (c) => c.query('select 1'))
 * })
 * ```
 */
export function useCluster(options: StartClusterOptions = {}): () => ClusterHandle {
  const g = globalThis as unknown as Record<string, unknown> & { beforeAll?: Hook; afterAll?: Hook };
  if (typeof g.beforeAll !== 'function' || typeof g.afterAll !== 'function') {
    throw new PgClusterError('NOT_SUPPORTED', 'useCluster() must be called in a Jest test file (beforeAll/afterAll are missing)', {
      hint: 'Outside Jest, call startCluster() and stop({ purge: true }) yourself.',
    });
  }
  const registry = g[TEST_FILE_FLAGS.cleanups] as CleanupRegistry | undefined;
  let handle: ClusterHandle | undefined;
  let skipReason: string | undefined;
  const cleanup = (): void => handle?.destroySync();

  g.beforeAll(async () => {
    try {
      handle = await startCluster(options);
      registry?.add(cleanup);
    } catch (error) {
      if (!(error instanceof PgClusterError && error.code === 'NOT_SUPPORTED' && error.message === TESTCONTAINERS_SKIP_MESSAGE)) throw error;
      skipReason = error.message;
      g[TEST_FILE_FLAGS.skipReason] = skipReason;
      process.stderr.write(`${skipReason}\n`);
    }
  }, 180_000);

  g.afterAll(async () => {
    const h = handle;
    if (!h) return;
    try {
      if (g[TEST_FILE_FLAGS.failed] === true) process.stderr.write(`\n[pgcluster] a test failed; server logs:\n${await h.logs()}\n`);
    } finally {
      await h.stop({ purge: true }).catch(() => h.destroySync());
      registry?.delete(cleanup);
      handle = undefined;
    }
  }, 120_000);

  return () => {
    if (handle) return handle;
    throw new PgClusterError('NOT_SUPPORTED', skipReason ?? 'the cluster is not running: use the getter inside tests or hooks (useCluster starts it in beforeAll)');
  };
}
