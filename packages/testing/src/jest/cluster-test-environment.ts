import { TestEnvironment } from 'jest-environment-node';
import { TEST_FILE_FLAGS, type CleanupRegistry } from './test-file-flags';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The part of a jest-circus event this environment reads. */
interface CircusEvent {
  name: string;
  test?: { mode?: string };
}

/**
 * Jest's node environment plus three things {@link useCluster} needs: it flags the file when a
 * test or hook fails (so the server logs get printed), skips the file's tests when the cluster
 * provider is unavailable, and runs cleanups on the worker's real `process` exit / SIGINT /
 * SIGTERM / IPC disconnect (its parent died), so an interrupted run leaves no postmaster behind.
 *
 * @example
 * ```js
 * // jest.config.cjs
 * module.exports = { testEnvironment: require.resolve('@pgcluster/testing/jest-environment') }
 * ```
 */
export default class ClusterTestEnvironment extends TestEnvironment {
  private readonly cleanups = new Set<() => void>();
  private readonly onExit = (): void => this.runCleanups();
  // A Jest worker whose parent died loses its IPC channel but may run on until its test ends.
  private readonly onDisconnect = (): void => this.runCleanups();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.runCleanups();
    this.removeProcessHandlers();
    process.kill(process.pid, signal);
  };

  constructor(...args: ConstructorParameters<typeof TestEnvironment>) {
    super(...args);
    const registry: CleanupRegistry = { add: (c) => this.cleanups.add(c), delete: (c) => this.cleanups.delete(c) };
    this.flags()[TEST_FILE_FLAGS.cleanups] = registry;
  }

  override async setup(): Promise<void> {
    await super.setup();
    process.on('exit', this.onExit);
    process.on('disconnect', this.onDisconnect);
    for (const s of SIGNALS) process.on(s, this.onSignal);
  }

  override async teardown(): Promise<void> {
    this.runCleanups();
    this.removeProcessHandlers();
    await super.teardown();
  }

  /** Called by jest-circus for every event of the file. */
  handleTestEvent(event: CircusEvent): void {
    const flags = this.flags();
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') flags[TEST_FILE_FLAGS.failed] = true;
    // jest-circus decides whether a test is skipped right after 'test_start'.
    if (event.name === 'test_start' && event.test && typeof flags[TEST_FILE_FLAGS.skipReason] === 'string') event.test.mode = 'skip';
  }

  private flags(): Record<string, unknown> {
    return this.global as unknown as Record<string, unknown>;
  }

  private runCleanups(): void {
    for (const cleanup of this.cleanups) {
      this.cleanups.delete(cleanup);
      try {
        cleanup();
      } catch {
        // Best effort: the process is going away.
      }
    }
  }

  private removeProcessHandlers(): void {
    process.off('exit', this.onExit);
    process.off('disconnect', this.onDisconnect);
    for (const s of SIGNALS) process.off(s, this.onSignal);
  }
}

export { ClusterTestEnvironment };
