import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withClient, type NodeConfig } from '@pgcluster/core';
import { writeSecretFile } from './config-file';

/**
 * Parses a libpq `key=value` connection string (values quoted with '…' and \-escapes, or bare).
 * @example parseConninfo("host='h' port=5432 user=app") // Map { host → h, port → 5432, user → app }
 */
export function parseConninfo(conninfo: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of conninfo.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/g)) {
    out.set(m[1]!, m[2]!.startsWith("'") ? m[2]!.slice(1, -1).replace(/\\(.)/g, '$1') : m[2]!);
  }
  return out;
}

/**
 * Renders a libpq connection string, every value quoted.
 * @example renderConninfo(new Map([['user', 'app']])) // "user='app'"
 */
export function renderConninfo(values: ReadonlyMap<string, string>): string {
  return [...values].map(([k, v]) => `${k}='${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(' ');
}

/**
 * Writes (or completes) a libpq password file: one line `*:*:*:<user>:<password>` replacing any
 * line of that user, mode 600, owned by `owner` (libpq ignores a passfile others can read).
 * @example writePassfileLine('/srv/node2/pgpass', 'app_alt', password, statSync(dataDir))
 */
export function writePassfileLine(path: string, user: string, password: string, owner: { uid: number; gid: number }): void {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/:/g, '\\:');
  const userOf = (line: string) => line.split(/(?<!\\):/)[3]?.replace(/\\(.)/g, '$1');
  const kept = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '' && userOf(l) !== user) : [];
  writeSecretFile(path, `${[...kept, `*:*:*:${esc(user)}:${esc(password)}`].join('\n')}\n`);
  chownSync(path, owner.uid, owner.gid);
}

/** What happened to one replica's streaming credentials. */
export interface ReplicaUpdate {
  node: string;
  updated: boolean;
  detail: string;
}

/**
 * Points the replicas that stream as `from` at `to`: their password file (beside the data
 * directory, or the one primary_conninfo names) gets `to`'s password, and primary_conninfo —
 * set with ALTER SYSTEM, with no password in it — names `to` and the file; a reload restarts the
 * WAL receiver with them, and the update waits until it streams again. A replica whose data
 * directory is not on this machine is reported, not changed.
 *
 * Security: the password goes to a mode-600 file of the server's user only; primary_conninfo is
 * logged when it changes and readable by pg_read_all_settings, so it never holds one.
 *
 * @example
 * ```ts
 * await updateReplicaCredentials(replicas, 'app', 'app_alt', password, (n) => newUrlOf(n))
 * ```
 */
export async function updateReplicaCredentials(
  replicas: readonly NodeConfig[],
  from: string,
  to: string,
  password: string,
  urlOf: (node: NodeConfig) => string,
): Promise<ReplicaUpdate[]> {
  const out: ReplicaUpdate[] = [];
  for (const node of replicas) {
    try {
      const update = await updateReplica(node, from, to, password, urlOf(node));
      if (update) out.push(update);
    } catch (error) {
      out.push({ node: node.name, updated: false, detail: `not updated: ${(error as Error).message}; point its primary_conninfo at ${to} by hand before the old password expires` });
    }
  }
  return out;
}

/**
 * The replicas that stream as `login` but whose data directory is not on this machine, so a
 * rotation could not point them at the new login (a replica that does not answer is listed too).
 * @example await replicasNotUpdatable(replicas, 'app') // ['node3']
 */
export async function replicasNotUpdatable(replicas: readonly NodeConfig[], login: string): Promise<string[]> {
  const out: string[] = [];
  for (const node of replicas) {
    if (node.dataDir && existsSync(node.dataDir)) continue;
    const values = await primaryConninfo(node.url, node.name).catch(() => null);
    if (values === null || values.get('user') === login) out.push(node.name);
  }
  return out;
}

async function primaryConninfo(url: string, name: string): Promise<Map<string, string>> {
  return parseConninfo(await withClient({ url }, `reading primary_conninfo on ${name}`, async (c) => (await c.query<{ v: string }>("select current_setting('primary_conninfo') as v")).rows[0]!.v));
}

async function updateReplica(node: NodeConfig, from: string, to: string, password: string, url: string): Promise<ReplicaUpdate | undefined> {
  const values = await primaryConninfo(url, node.name);
  if (values.get('user') !== from) return undefined;
  if (!node.dataDir || !existsSync(node.dataDir)) {
    return { node: node.name, updated: false, detail: `streams as ${from} but its dataDir is not on this machine: set user=${to} and its password file in primary_conninfo by hand before the old password expires` };
  }
  const passfile = values.get('passfile') ?? join(dirname(node.dataDir), 'pgpass');
  writePassfileLine(passfile, to, password, statSync(node.dataDir));
  values.delete('password');
  values.set('user', to);
  values.set('passfile', passfile);
  await withClient({ url }, `switching ${node.name}'s primary_conninfo`, async (c) => {
    await c.query(`ALTER SYSTEM SET primary_conninfo = ${c.escapeLiteral(renderConninfo(values))}`);
    await c.query('SELECT pg_reload_conf()');
    await waitForStreamingAs(c, to);
  });
  return { node: node.name, updated: true, detail: `streams as ${to}, password in ${passfile} (mode 600)` };
}

async function waitForStreamingAs(c: import('pg').Client, user: string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await c.query<{ status: string | null; conninfo: string | null }>('select status, conninfo from pg_stat_wal_receiver');
    const row = r.rows[0];
    if (row?.status === 'streaming' && row.conninfo && parseConninfo(row.conninfo).get('user') === user) return;
    if (Date.now() > until) throw new Error(`the WAL receiver did not stream again as ${user} within 30 s (status ${row?.status ?? 'none'})`);
    await new Promise((r2) => setTimeout(r2, 200));
  }
}
