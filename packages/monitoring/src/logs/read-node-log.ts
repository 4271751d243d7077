import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { withClient, type NodeConfig } from '@pgcluster/core';
import { READ_ONLY_SESSION_SQL, serverReason } from '../connection/read-only-session';
import { parseJsonLog, parseStderrLog, type LogEntry } from './log-entry';

/** Where a node's log was read from. */
export interface NodeLog {
  name: string;
  format: 'jsonlog' | 'stderr' | null;
  /** The file (a path on the node), or null when none was found. */
  file: string | null;
  via: 'pg_read_file' | 'local' | null;
  /** Only the last `maxBytes` were read. */
  truncated: boolean;
  entries: LogEntry[];
  /** Why nothing was read. */
  skipped?: string;
}

/** The statements that find and read a node's current log through the server. */
export const LOG_SQL = {
  // Security: a role that may not read server files (the least-privilege reader) is not sent to try,
  // so its runs leave no "permission denied" errors in the very log being analysed.
  mayRead: "select coalesce((select rolsuper from pg_roles where rolname = current_user), false) or pg_has_role(current_user, 'pg_read_server_files', 'usage') as ok",
  files: "select pg_current_logfile('jsonlog') as jsonlog, pg_current_logfile('stderr') as stderr, current_setting('data_directory') as data_directory",
  size: 'select size::float8 as size from pg_stat_file($1, true)',
  read: 'select pg_read_file($1, $2::bigint, $3::bigint) as text',
} as const;

/**
 * Reads the tail (`maxBytes`) of one node's current server log and parses it, through
 * `pg_read_file` when the role may read server files: the jsonlog file when the logging
 * collector writes one (`pgcluster dev` and the test clusters do, into `<dataDir>/log`), else its
 * stderr file, else `server.log` beside the data directory (pg_ctl's log without the collector);
 * when the server cannot be asked, the same on this machine for nodes with a configured `dataDir`
 * (the collector's current file as `current_logfiles` names it, else the newest `.json` there).
 *
 * @example
 * ```ts
 * const log = await readNodeLog(config.nodes[0], { maxBytes: 4 << 20, connectTimeoutMs: 2000 })
 * log.format // 'jsonlog'
 * ```
 */
export async function readNodeLog(node: NodeConfig, options: { maxBytes: number; connectTimeoutMs: number; database?: string }): Promise<NodeLog> {
  const base = { name: node.name, truncated: false, entries: [] as LogEntry[] };
  let failure = '';
  try {
    const read = await withClient({ url: node.url, database: options.database, connectTimeoutMs: options.connectTimeoutMs, applicationName: 'pgcluster-logs' }, node.name, async (client) => {
      await client.query(READ_ONLY_SESSION_SQL);
      if (!(await client.query<{ ok: boolean }>(LOG_SQL.mayRead)).rows[0]!.ok) return 'denied' as const;
      const files = (await client.query<{ jsonlog: string | null; stderr: string | null; data_directory: string }>(LOG_SQL.files)).rows[0]!;
      // Without the collector, pg_ctl's log of pgcluster dev and the test clusters is server.log beside the data directory.
      const current = files.jsonlog ?? files.stderr;
      const file = current ? posix.resolve(files.data_directory, current) : posix.join(posix.dirname(files.data_directory), 'server.log');
      const size = (await client.query<{ size: number | null }>(LOG_SQL.size, [file])).rows[0]!.size;
      if (size === null) return null;
      const offset = Math.max(0, size - options.maxBytes);
      const text = (await client.query<{ text: string }>(LOG_SQL.read, [file, offset, size - offset])).rows[0]!.text;
      return { file, format: files.jsonlog ? ('jsonlog' as const) : ('stderr' as const), text: offset > 0 ? text.slice(text.indexOf('\n') + 1) : text, truncated: offset > 0 };
    });
    if (read === 'denied') failure = 'the role may not read server files (neither a superuser nor in pg_read_server_files, e.g. the least-privilege reader)';
    else if (read) return { ...base, format: read.format, file: read.file, via: 'pg_read_file', truncated: read.truncated, entries: read.format === 'jsonlog' ? parseJsonLog(read.text) : parseStderrLog(read.text) };
    else failure = 'the logging collector is off and there is no server.log beside the data directory';
  } catch (error) {
    failure = serverReason(error, node.name);
  }
  const local = node.dataDir ? localLogOf(node.dataDir) : null;
  if (local) {
    const { text, truncated } = tail(local.file, options.maxBytes);
    return { ...base, format: local.format, file: local.file, via: 'local', truncated, entries: local.format === 'jsonlog' ? parseJsonLog(text) : parseStderrLog(text) };
  }
  return { ...base, format: null, file: null, via: null, skipped: `no log readable: ${failure}; and no local log (the collector's in the data directory, or server.log beside it) for a configured dataDir` };
}

/**
 * The log of a local data directory whose server cannot be asked: the jsonlog file
 * `current_logfiles` names (the collector's last), else the newest `.json` file of `<dataDir>/log`,
 * else `server.log` beside the data directory (pg_ctl's log without the collector).
 */
function localLogOf(dataDir: string): { file: string; format: 'jsonlog' | 'stderr' } | null {
  try {
    const named = /^jsonlog (.+)$/m.exec(readFileSync(join(dataDir, 'current_logfiles'), 'utf8'))?.[1];
    if (named && existsSync(resolve(dataDir, named))) return { file: resolve(dataDir, named), format: 'jsonlog' };
  } catch {
    /* no collector, or not readable from here */
  }
  try {
    const newest = readdirSync(join(dataDir, 'log')).filter((f) => f.endsWith('.json')).sort().pop();
    if (newest) return { file: join(dataDir, 'log', newest), format: 'jsonlog' };
  } catch {
    /* no log folder */
  }
  const beside = join(dirname(dataDir), 'server.log');
  return existsSync(beside) ? { file: beside, format: 'stderr' } : null;
}

function tail(file: string, maxBytes: number): { text: string; truncated: boolean } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(0, size - maxBytes);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8');
    return { text: start > 0 ? text.slice(text.indexOf('\n') + 1) : text, truncated: start > 0 };
  } finally {
    closeSync(fd);
  }
}
