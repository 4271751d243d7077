import { chownSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { conninfoValue, standbyConninfo, startDataDir, stopDataDir, writePassfile, writeStandbyConfig, type ServerProgramRunner } from '@pgcluster/core';
import { runTool, pgBinDir } from '../backup/pg-tools';

/** The OS user PostgreSQL runs as when we are root. */
const SERVER_OS_USER = 'postgres';

/**
 * Whether `dataDir` is a PostgreSQL data directory on this machine (it holds `PG_VERSION`).
 * @example isLocalDataDir('/var/lib/postgresql/15/main') // true
 */
export function isLocalDataDir(dataDir: string | undefined): dataDir is string {
  return dataDir !== undefined && existsSync(join(dataDir, 'PG_VERSION'));
}

/**
 * A {@link ServerProgramRunner} for a local data directory: PostgreSQL's programs run as the
 * `postgres` OS user when we are root and the directory is not root's (the server refuses root).
 *
 * @example
 * ```ts
 * await serverRunner(dataDir)('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w'])
 * ```
 */
export function serverRunner(dataDir: string, signal?: AbortSignal): ServerProgramRunner {
  const asUser = process.getuid?.() === 0 && statSync(dataDir).uid !== 0 ? SERVER_OS_USER : undefined;
  return async (program, args, env = {}) =>
    (await runTool({ program: join(pgBinDir(), program), args: [...args], env, ...(asUser ? { asUser } : {}), ...(signal ? { signal } : {}) })).stdout;
}

/**
 * The server log beside a data directory (`<parent>/server.log`, where pgcluster's own clusters
 * keep it), else `<dataDir>/pgcluster-rejoin.log`.
 * @example serverLog('/srv/node1/data') // '/srv/node1/server.log'
 */
export function serverLog(dataDir: string): string {
  const beside = join(dirname(dataDir), 'server.log');
  return existsSync(beside) ? beside : join(dataDir, 'pgcluster-rejoin.log');
}

/**
 * Restarts the server of a local data directory to apply settings that need a restart: a fast
 * stop, then core's start (stale or zombie postmaster locks handled, waits until it accepts
 * connections on `port`), with PostgreSQL's programs run as the server's OS user.
 *
 * @example await restartLocalNode('node2', '/srv/node2/data', 5433)
 */
export async function restartLocalNode(name: string, dataDir: string, port: number, signal?: AbortSignal): Promise<void> {
  const run = serverRunner(dataDir, signal);
  await stopDataDir(dataDir, run);
  await startDataDir(dataDir, { run, logFile: serverLog(dataDir), label: name, port, timeoutS: 120 });
}

/**
 * The libpq password file a local node's replication connection reads: the `passfile` its
 * configuration already names, else `<parent of dataDir>/pgpass`; the entry for the URL's user is
 * (re)written from the URL's password (mode 600, owned by the data directory's owner).
 *
 * @example nodePassfile('/srv/node1/data', 'postgresql://app:pw@127.0.0.1:5433/app') // '/srv/node1/pgpass'
 */
export function nodePassfile(dataDir: string, url: string): string {
  const named = ['postgresql.auto.conf', 'postgresql.conf']
    .map((f) => {
      const text = existsSync(join(dataDir, f)) ? readFileSync(join(dataDir, f), 'utf8') : '';
      const line = [...text.matchAll(/^\s*primary_conninfo\s*=\s*'((?:[^']|'')*)'/gm)].pop()?.[1]?.replace(/''/g, "'");
      return line !== undefined ? conninfoValue(line, 'passfile') : undefined;
    })
    .find((p) => p !== undefined);
  const path = named ?? join(dirname(dataDir), 'pgpass');
  const u = new URL(url);
  if (u.password) writePassfile(path, decodeURIComponent(u.username), decodeURIComponent(u.password), statSync(dataDir));
  return path;
}

/** The configuration files of a data directory that belong to the node, not to the data it holds. */
export const NODE_CONFIG_FILES = ['postgresql.conf', 'postgresql.auto.conf', 'pg_hba.conf', 'pg_ident.conf'] as const;

/** A local replica to re-clone: its name (application_name), data directory and port. */
export interface LocalReplica {
  name: string;
  dataDir: string;
  port: number;
}

/**
 * Re-clones a local replica from a primary (needed when the primary's history changed under it,
 * e.g. after a point-in-time replace): stops it, moves its data directory aside, `pg_basebackup`s
 * the primary into its place (through replication slot `slot`, which must exist), puts its own
 * configuration files back, points it at the primary (passfile, slot, standby.signal) and starts it.
 * The folder moved aside is deleted once the copy started, and put back when anything failed.
 *
 * Security: the password reaches pg_basebackup through the node's passfile, never argv or environment.
 * @example await recloneReplica({ name: 'node2', dataDir: '/srv/node2/data', port: 5433 }, primaryUrl, 'node2')
 */
export async function recloneReplica(replica: LocalReplica, primaryUrl: string, slot: string, signal?: AbortSignal): Promise<void> {
  const { dataDir } = replica;
  const run = serverRunner(dataDir, signal);
  await stopDataDir(dataDir, run);
  const owner = statSync(dataDir);
  const saved = NODE_CONFIG_FILES.filter((f) => existsSync(join(dataDir, f))).map((f) => [f, readFileSync(join(dataDir, f))] as const);
  const passfile = nodePassfile(dataDir, primaryUrl);
  const aside = `${dataDir}.reclone-${Date.now()}`;
  renameSync(dataDir, aside);
  try {
    mkdirSync(dataDir, { mode: 0o700 });
    chownSync(dataDir, owner.uid, owner.gid);
    const u = new URL(primaryUrl);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = u.port || '5432';
    const user = decodeURIComponent(u.username);
    await run('pg_basebackup', ['-h', host, '-p', port, '-U', user, '-w', '-D', dataDir, '-X', 'stream', '-S', slot, '--checkpoint=fast'], { PGPASSFILE: passfile });
    for (const [file, content] of saved) {
      writeFileSync(join(dataDir, file), content, { mode: 0o600 });
      chownSync(join(dataDir, file), owner.uid, owner.gid);
    }
    // The copy carries the primary's server logs: the replica starts with an empty log folder.
    rmSync(join(dataDir, 'log'), { recursive: true, force: true });
    rmSync(join(dataDir, 'current_logfiles'), { force: true });
    writeStandbyConfig(dataDir, { conninfo: standbyConninfo({ host, port, user, passfile, applicationName: replica.name }), slot });
    await startDataDir(dataDir, { run, logFile: serverLog(dataDir), label: replica.name, port: replica.port, timeoutS: 120 });
  } catch (error) {
    await stopDataDir(dataDir, run).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    renameSync(aside, dataDir);
    throw error;
  }
  rmSync(aside, { recursive: true, force: true });
}
