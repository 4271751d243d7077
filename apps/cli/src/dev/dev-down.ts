import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import type { ExitCode } from '@pgcluster/skill-kit';
import { attachCluster, stopRecordedServers } from '@pgcluster/testing';
import { DEV_EXIT, devPaths, hasDevCluster, isDevConfig, reportError, type DevIo } from './dev-context';

/** What `pgcluster dev down` is asked for. */
export interface DevDownOptions {
  cwd: string;
  /** Also delete the data, the cluster's files and the `pgcluster.config.json` dev up wrote. */
  purge?: boolean;
}

/**
 * `pgcluster dev down`: stops every node of the directory's dev cluster (fast shutdown,
 * SIGKILL if that fails) and every server recorded beside it (`cluster-restore --start`), leaving no
 * postgres process (an HA cluster: PgBouncer, every Patroni
 * and its PostgreSQL, then etcd); `--purge` also deletes its data and the
 * config file dev up wrote (never a config file it did not write).
 *
 * @returns 0 when nothing of the cluster runs any more (also when there was none), 2 on failure.
 * @example
 * ```ts
 * process.exitCode = await devDown({ cwd: process.cwd(), purge: true }, io)
 * ```
 */
export async function devDown(options: DevDownOptions, io: DevIo): Promise<ExitCode> {
  const log = (line: string) => io.err(`pgcluster dev: ${line}`);
  const paths = devPaths(options.cwd);
  try {
    // Servers started beside the cluster (cluster-restore --start) are recorded in the state dir: they stop too.
    const restored = await stopRecordedServers(paths.stateDir, log);
    if (restored.length > 0) io.out(`Stopped ${restored.length} restored server(s): ${restored.join(', ')}.`);
    if (hasDevCluster(paths.baseDir)) {
      const cluster = attachCluster(paths.baseDir, { log });
      await cluster.stop({ purge: options.purge ?? false });
      const still = (await Promise.all(cluster.nodes.map((n) => cluster.isRunning(n)))).some(Boolean);
      if (still) throw new Error('a node is still running after the stop');
      io.out(`Dev cluster in ${paths.cwd} stopped${options.purge ? ' and its data deleted' : '; its data is kept, and `pgcluster dev up` starts it again'}.`);
    } else {
      io.out(`No dev cluster in ${paths.cwd}; nothing to stop.`);
    }
    if (options.purge) {
      if (isDevConfig(paths.configFile) === true) {
        rmSync(paths.configFile, { force: true });
        io.out(`Removed ${paths.configFile}.`);
      }
      removeIfEmpty(paths.baseDir);
      removeIfEmpty(paths.stateDir);
    }
    return DEV_EXIT.ok;
  } catch (error) {
    return reportError(io, 'dev down', error);
  }
}

function removeIfEmpty(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
}
