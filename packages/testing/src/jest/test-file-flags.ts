/**
 * Keys on a test file's global object through which {@link ClusterTestEnvironment} and
 * {@link useCluster} talk: whether a test failed, why the file's tests are skipped, and the
 * cleanups to run if the process is interrupted.
 *
 * @example
 * ```ts
 * const failed = (globalThis as Record<string, unknown>)[TEST_FILE_FLAGS.failed] === true
 * ```
 */
export const TEST_FILE_FLAGS = {
  failed: '__pgclusterTestFailed',
  skipReason: '__pgclusterSkipReason',
  cleanups: '__pgclusterCleanups',
} as const;

/**
 * Synchronous cleanups the environment runs on process exit, SIGINT or SIGTERM (and at teardown).
 *
 * @example
 * ```ts
 * registry.add(() => cluster.destroySync())
 * ```
 */
export interface CleanupRegistry {
  add(cleanup: () => void): void;
  delete(cleanup: () => void): void;
}
