import { execFile, execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';

/** Where PostgreSQL's programs are when `pg_config` does not say. */
const FALLBACK_BIN_DIR = '/usr/lib/postgresql/15/bin';

/** The OS user PostgreSQL runs as when we are root (the server refuses to run as root). */
const SERVER_OS_USER = 'postgres';

/** The directory holding pg_ctl: `pg_config --bindir`, else Debian's. */
function binDir(): string {
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dir && existsSync(join(dir, 'pg_ctl'))) return dir;
  } catch {
    /* not on PATH */
  }
  return FALLBACK_BIN_DIR;
}

/**
 * The file pg_ctl sends the restarted server's own output to: `server.log` beside the data
 * directory (where pgcluster's clusters keep it), else `<dataDir>/pgcluster-restart.log`. With
 * the logging collector on, only the first lines of a start land there.
 * @example restartLogFile('/srv/node1/data') // '/srv/node1/server.log'
 */
export function restartLogFile(dataDir: string): string {
  const beside = join(dirname(dataDir), 'server.log');
  return existsSync(beside) ? beside : join(dataDir, 'pgcluster-restart.log');
}

/**
 * The command that restarts a local node: `pg_ctl restart -m fast -w` (as the `postgres` OS user
 * when we are root and the directory is not root's).
 * @example restartCommand('/srv/node1/data') // ['/usr/lib/postgresql/15/bin/pg_ctl', ['restart', '-D', …]]
 */
export function restartCommand(dataDir: string): [string, string[]] {
  const pgCtl = join(binDir(), 'pg_ctl');
  const args = ['restart', '-D', dataDir, '-m', 'fast', '-w', '-t', '120', '-s', '-l', restartLogFile(dataDir)];
  const asServerUser = process.getuid?.() === 0 && statSync(dataDir).uid !== 0;
  return asServerUser ? ['runuser', ['-u', SERVER_OS_USER, '--', pgCtl, ...args]] : [pgCtl, args];
}

/**
 * Restarts the PostgreSQL server of a local data directory (a fast shutdown: open sessions are
 * ended, then it starts again with its postgresql.conf and postgresql.auto.conf) and waits until
 * it accepts connections.
 * @throws PgClusterError `ACTION_FAILED` with pg_ctl's message when it does not come back.
 * @example await restartLocalNode('node2', '/srv/node2/data')
 */
export function restartLocalNode(name: string, dataDir: string, signal?: AbortSignal): Promise<void> {
  const [cmd, args] = restartCommand(dataDir);
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd: '/tmp', timeout: 180_000, ...(signal ? { signal } : {}) }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(new PgClusterError('ACTION_FAILED', `${name} did not restart: ${String(stderr).trim().split('\n').slice(-3).join(' ') || error.message}`, {
        hint: `See its server log (${restartLogFile(dataDir)} and the log directory of its data directory).`,
        cause: error,
      }));
    });
  });
}
