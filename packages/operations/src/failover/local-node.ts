import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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
 * Runs a PostgreSQL server program (pg_ctl, pg_rewind) on a local data directory: as the
 * `postgres` OS user when we are root and the directory is not root's (the server refuses root).
 *
 * @example
 * ```ts
 * await runServerProgram('pg_ctl', ['stop', '-D', dataDir, '-m', 'fast', '-w'], dataDir)
 * ```
 */
export async function runServerProgram(program: string, args: string[], dataDir: string, env: Record<string, string> = {}, signal?: AbortSignal): Promise<string> {
  const asUser = process.getuid?.() === 0 && statSync(dataDir).uid !== 0 ? SERVER_OS_USER : undefined;
  const out = await runTool({ program: join(pgBinDir(), program), args, env, ...(asUser ? { asUser } : {}), ...(signal ? { signal } : {}) });
  return out.stdout;
}

/**
 * The postmaster's pid from `postmaster.pid`, when it runs.
 * @example runningPostmaster(dataDir) // 1234 | undefined
 */
export function runningPostmaster(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? undefined : pid;
  } catch {
    return undefined;
  }
}
