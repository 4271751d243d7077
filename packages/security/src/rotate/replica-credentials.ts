import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withClient, writePassfile, type NodeConfig } from '@pgcluster/core';

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
  const passfile = await rewritePrimaryConninfo(node, url, (v) => v.set('user', to), { user: to, password });
  return { node: node.name, updated: true, detail: `streams as ${to}, password in ${passfile} (mode 600)` };
}

/**
 * Changes a local replica's primary_conninfo with `edit` — with no password in it: a password
 * found inline moves to the replica's password file (or `credential` is written there) — sets it
 * with ALTER SYSTEM, reloads, and waits until the WAL receiver streams with it again.
 *
 * Security: primary_conninfo is logged when it changes; the password stays in a mode-600 file of
 * the server's user.
 *
 * @returns the password file primary_conninfo names.
 * @example await rewritePrimaryConninfo(node, url, (v) => v.set('sslmode', 'verify-full'))
 */
export async function rewritePrimaryConninfo(node: NodeConfig, url: string, edit: (values: Map<string, string>) => void, credential?: { user: string; password: string }): Promise<string> {
  const values = await primaryConninfo(url, node.name);
  const passfile = values.get('passfile') ?? join(dirname(node.dataDir!), 'pgpass');
  const inline = values.get('password');
  if (credential) writePassfile(passfile, credential.user, credential.password, statSync(node.dataDir!));
  else if (inline !== undefined) writePassfile(passfile, values.get('user') ?? '', inline, statSync(node.dataDir!));
  values.delete('password');
  values.set('passfile', passfile);
  edit(values);
  await withClient({ url }, `switching ${node.name}'s primary_conninfo`, async (c) => {
    await c.query(`ALTER SYSTEM SET primary_conninfo = ${c.escapeLiteral(renderConninfo(values))}`);
    await c.query('SELECT pg_reload_conf()');
    await waitForStreaming(c, values);
  });
  return passfile;
}

/** Waits until the WAL receiver streams with the conninfo's user (and sslmode, when it sets one). */
async function waitForStreaming(c: import('pg').Client, expected: ReadonlyMap<string, string>): Promise<void> {
  const keys = ['user', 'sslmode'].filter((k) => expected.has(k));
  const until = Date.now() + 30_000;
  for (;;) {
    const r = await c.query<{ status: string | null; conninfo: string | null }>('select status, conninfo from pg_stat_wal_receiver');
    const row = r.rows[0];
    const seen = row?.conninfo ? parseConninfo(row.conninfo) : new Map<string, string>();
    if (row?.status === 'streaming' && keys.every((k) => seen.get(k) === expected.get(k))) return;
    if (Date.now() > until) throw new Error(`the WAL receiver did not stream again with ${keys.map((k) => `${k}=${expected.get(k)}`).join(' ')} within 30 s (status ${row?.status ?? 'none'})`);
    await new Promise((r2) => setTimeout(r2, 200));
  }
}
