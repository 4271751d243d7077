import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ClusterConfig, describeIssues, loadConfig, PgClusterError, RefusedError, type ClusterConfigInput } from '@pgcluster/core';
import { initReaderRole } from '@pgcluster/security';
import type { ExitCode } from '@pgcluster/skill-kit';
import { attachCluster, CLUSTER_STATE_FILE, isHaClusterHandle, startCluster, type ClusterHandle } from '@pgcluster/testing';
import { DEV_CLUSTER_NAME, DEV_EXIT, DEV_STATE_DIR, devPaths, hasDevCluster, isDevConfig, parseReplicas, reportError, type DevIo, type DevPaths } from './dev-context';

/** What `pgcluster dev up` is asked for. */
export interface DevUpOptions {
  /** The directory whose `.pgcluster/dev` holds the cluster. */
  cwd: string;
  /** `--replicas`, as typed (checked here): 0 to 5, default 2. */
  replicas?: unknown;
  /** `--synchronous`: the primary waits for ANY 1 replica. */
  synchronous?: boolean;
  /** `--fast`: fsync off, for throwaway clusters (CI). */
  fast?: boolean;
  /** `--ha`: etcd + one Patroni per node + PgBouncer (transaction pooling) in front of the leader. */
  ha?: boolean;
}

/**
 * `pgcluster dev up`: starts a primary and streaming replicas (pgvector, pg_stat_statements,
 * hypopg) under `./.pgcluster/dev` on free loopback ports, and writes `./pgcluster.config.json`
 * (mode 600) so every skill works against it. A running cluster is left alone; a stopped one
 * is started again. Progress goes to `io.err`, the summary to `io.out`.
 *
 * @returns 0 when the cluster runs, 2 on bad input or failure (nothing created), 3 when a
 *   foreign `pgcluster.config.json` would be overwritten.
 * @example
 * ```ts
 * process.exitCode = await devUp({ cwd: process.cwd(), replicas: '2' }, io)
 * ```
 */
export async function devUp(options: DevUpOptions, io: DevIo): Promise<ExitCode> {
  const log = (line: string) => io.err(`pgcluster dev: ${line}`);
  try {
    const replicas = parseReplicas(options.replicas);
    const paths = devPaths(options.cwd);
    if (isDevConfig(paths.configFile) === false) {
      throw new RefusedError(`${paths.configFile} describes another cluster; dev up will not overwrite it`, {
        hint: 'Move that file away, or run `pgcluster dev up` in another directory.',
      });
    }
    let cluster: ClusterHandle;
    if (hasDevCluster(paths.baseDir)) {
      cluster = attachCluster(paths.baseDir, { log });
      if (options.ha !== undefined && options.ha !== isHaClusterHandle(cluster)) {
        log(`--ha ${options.ha ? 'given' : 'not given'} but the existing cluster is ${isHaClusterHandle(cluster) ? '' : 'not '}an HA one; it is kept (\`pgcluster dev down --purge\` to recreate it)`);
      }
      if (options.replicas !== undefined && replicas !== cluster.replicas.length) {
        log(`--replicas ${replicas} ignored: the existing cluster has ${cluster.replicas.length} (\`pgcluster dev down --purge\` to recreate it)`);
      }
      const running = await Promise.all(cluster.nodes.map((n) => cluster.isRunning(n)));
      if (running.every(Boolean)) {
        writeDevConfig(paths, cluster);
        await ensureReader(paths, log);
        io.out(`A dev cluster is already running in ${paths.cwd}; nothing started.`);
        summarize(io, paths, cluster);
        return DEV_EXIT.ok;
      }
      log(`${cluster.nodes.filter((_, i) => !running[i]).map((n) => n.name).join(', ')} of the dev cluster here stopped; starting again`);
      await cluster.start();
    } else {
      if (existsSync(paths.baseDir) && readdirSync(paths.baseDir).length > 0) {
        throw new PgClusterError('ACTION_FAILED', `${paths.baseDir} exists but holds no ${CLUSTER_STATE_FILE}`, {
          hint: `It is not a dev cluster pgcluster can re-attach to; remove it (rm -rf ${paths.baseDir}) and run \`pgcluster dev up\` again.`,
        });
      }
      log(`starting a primary and ${replicas} replica(s)${options.ha ? ' managed by Patroni (etcd) behind PgBouncer' : ''} under ${paths.baseDir}`);
      cluster = await startCluster({ baseDir: paths.baseDir, replicas, synchronous: options.synchronous ?? false, fast: options.fast ?? false, ha: options.ha ?? false, log });
    }
    writeDevConfig(paths, cluster);
    await ensureReader(paths, log);
    io.out(`Dev cluster up in ${paths.cwd}.`);
    summarize(io, paths, cluster);
    return DEV_EXIT.ok;
  } catch (error) {
    return reportError(io, 'dev up', error);
  }
}

/**
 * Writes `pgcluster.config.json` for the dev cluster (mode 600: the URLs hold the password),
 * after checking it against {@link ClusterConfig}.
 * @example writeDevConfig(devPaths(process.cwd()), cluster)
 */
export function writeDevConfig(paths: DevPaths, cluster: ClusterHandle): void {
  const config: ClusterConfigInput = {
    name: DEV_CLUSTER_NAME,
    // Native failover's --rewind and a switchover's rejoin work on the data directories named here (Patroni owns an HA cluster's).
    nodes: cluster.nodes.map((n) => ({ name: n.name, url: n.url(), ...(n.dataDir && !isHaClusterHandle(cluster) ? { dataDir: n.dataDir } : {}) })),
    databases: { project: cluster.database },
    stateDir: DEV_STATE_DIR,
    // HA: roles come from Patroni (every member's REST API: any one answers for the whole cluster), and
    // cluster-status / cluster-scale reach PgBouncer's admin console.
    ...(isHaClusterHandle(cluster) ? { patroni: { url: cluster.nodes.map((n) => cluster.patroniUrl(n.name)) }, pgbouncer: { adminUrl: cluster.pgbouncerAdminUrl(), configFile: cluster.pgbouncerConfigFile() } } : {}),
  };
  // The least-privilege reader's login (security-reader) is kept across restarts.
  const reader = existingReader(paths.configFile);
  if (reader) config.reader = reader;
  const checked = ClusterConfig.safeParse(config);
  if (!checked.success) throw new PgClusterError('INTERNAL', `the dev config would be invalid: ${describeIssues(checked.error)}`);
  writeFileSync(paths.configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // Security: the file holds the generated password; an existing file keeps its mode unless told.
  chmodSync(paths.configFile, 0o600);
}

/**
 * Creates (or keeps) the least-privilege reader that read skills connect as, and writes its login
 * into the config: a dev cluster is guarded like a production one.
 */
async function ensureReader(paths: DevPaths, log: (line: string) => void): Promise<void> {
  const report = await initReaderRole(loadConfig({ path: paths.configFile }), { log });
  if (!report.verified) throw new PgClusterError('ACTION_FAILED', `the least-privilege role ${report.user} was created but a write through it was not refused`);
}

function existingReader(configFile: string): ClusterConfigInput['reader'] {
  if (!existsSync(configFile)) return undefined;
  try {
    const parsed = ClusterConfig.safeParse(JSON.parse(readFileSync(configFile, 'utf8')));
    return parsed.success ? parsed.data.reader : undefined;
  } catch {
    return undefined;
  }
}

function summarize(io: DevIo, paths: DevPaths, cluster: ClusterHandle): void {
  for (const n of cluster.nodes) io.out(`  ${n.name.padEnd(6)} ${n.role.padEnd(8)} ${n.host}:${n.port}`);
  if (isHaClusterHandle(cluster)) {
    const pgbouncer = new URL(cluster.pgbouncerUrl());
    io.out(`  patroni: ${cluster.patroniUrl('node1')} (ttl ${cluster.timings.ttl} s, loop_wait ${cluster.timings.loopWait} s; etcd ${cluster.etcdUrl()})`);
    io.out(`  pgbouncer: ${pgbouncer.host} (transaction pooling; follows the Patroni leader)`);
  }
  const dataDir = cluster.primary.dataDir;
  if (dataDir && !dataDir.startsWith(paths.baseDir)) {
    io.out(`  data:    ${dataDir.replace(/\/node1\/data$/, '')} (the postgres OS user cannot enter ${paths.cwd}; ${paths.baseDir}/${CLUSTER_STATE_FILE} points there)`);
  } else {
    io.out(`  data:    ${paths.baseDir}`);
  }
  io.out(`  config:  ${paths.configFile} (mode 600: it holds the generated passwords)`);
  io.out('  reader:  pgcluster_reader (pg_monitor, pg_read_all_data, read-only): every read skill connects as it');
  io.out('  next:    pgcluster dev status · any pgcluster skill (it reads the config) · pgcluster dev rejoin <node> · pgcluster dev down [--purge]');
}
