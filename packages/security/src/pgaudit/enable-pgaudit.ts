import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, PgClusterError, RefusedError, withClient, type ClusterConfig, type LoadedConfig, type NodeConfig } from '@pgcluster/core';
import type pg from 'pg';
import { writeSecretFile } from '../rotate/config-file';
import type { PgauditReport } from './pgaudit-schema';
import { eventually } from '../cluster/eventually';
import { restartLocalNode } from '@pgcluster/operations';

/** `application_name` of the pgaudit skill's connections. */
export const PGAUDIT_APPLICATION_NAME = 'pgcluster-pgaudit';

/**
 * Options of {@link enablePgaudit}.
 * @example const options: EnablePgauditOptions = { log: 'ddl, role, write' }
 */
export interface EnablePgauditOptions {
  /** `pgaudit.log`, already validated (a list of pgaudit's classes). */
  log: string;
  /** Where CREATE EXTENSION runs: a name from the config's databases or a database name. */
  database?: string;
  /** Names the backup file (the run's audit id); default a timestamp. */
  runId?: string;
  signal?: AbortSignal;
}

/** A node of the run: where it is and what it was. */
interface LocalNode extends NodeConfig {
  dataDir: string;
  role: 'primary' | 'replica';
}

/** What a pgaudit backup holds (mode 600, state dir): each node's settings before the run. */
interface PgauditBackup {
  version: 1;
  time: string;
  database: string;
  extensionCreated: boolean;
  nodes: Array<{
    name: string;
    dataDir: string;
    /** shared_preload_libraries as postgresql.auto.conf set it before the run (null: not set there). */
    sharedPreloadLibraries: string[] | null;
    /** pgaudit.log as postgresql.auto.conf set it before the run (null: not set there). */
    pgauditLog: string | null;
  }>;
  undone?: string;
}

/**
 * The libraries of a `shared_preload_libraries` value (`'a, "b"'` → `['a', 'b']`).
 * @example preloadList('pg_stat_statements, "pgaudit"') // ['pg_stat_statements', 'pgaudit']
 */
export function preloadList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

/**
 * The statement that sets `shared_preload_libraries` to a list, each library its own literal
 * (one literal holding commas would name one library with commas in it).
 * @example preloadStatement(['pg_stat_statements', 'pgaudit']) // "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'pgaudit'"
 */
export function preloadStatement(libraries: readonly string[]): string {
  if (libraries.length === 0) return 'ALTER SYSTEM RESET shared_preload_libraries';
  return `ALTER SYSTEM SET shared_preload_libraries = ${libraries.map((l) => `'${l.replace(/'/g, "''")}'`).join(', ')}`;
}

/** A setting's value in postgresql.auto.conf, or null when it is not set there. */
function autoConfValue(dataDir: string, name: string): string | null {
  const file = join(dataDir, 'postgresql.auto.conf');
  if (!existsSync(file)) return null;
  const escaped = name.replace(/\./g, '\\.');
  const match = [...readFileSync(file, 'utf8').matchAll(new RegExp(`^\\s*${escaped}\\s*=\\s*'((?:[^']|'')*)'`, 'gm'))].pop();
  return match ? match[1]!.replace(/''/g, "'") : null;
}

/**
 * Every configured node, with its role, whose data directory is on this machine (a restart is a
 * local pg_ctl); refuses a Patroni-managed cluster, whose restarts belong to Patroni.
 * @throws InputError naming `nodes.<i>.dataDir`; PgClusterError `NOT_SUPPORTED` under Patroni.
 */
async function localNodes(config: ClusterConfig, what: string): Promise<LocalNode[]> {
  if (config.patroni) {
    throw new PgClusterError('NOT_SUPPORTED', `cluster ${config.name} is managed by Patroni: ${what} needs a restart, which must go through Patroni`, {
      hint: "Add pgaudit to shared_preload_libraries with patronictl edit-config, patronictl restart the members, then CREATE EXTENSION pgaudit and set pgaudit.log in Patroni's parameters.",
    });
  }
  const nodes: LocalNode[] = [];
  for (const [i, n] of (config.nodes ?? []).entries()) {
    if (!n.dataDir || !existsSync(join(n.dataDir, 'PG_VERSION'))) {
      throw new InputError(`config nodes.${i}.dataDir`, `node ${n.name} needs its data directory on this machine: ${what} restarts it with pg_ctl`);
    }
    const inRecovery = await withClient({ url: n.url, connectTimeoutMs: 5_000, applicationName: PGAUDIT_APPLICATION_NAME }, `checking ${n.name}`, async (c) => (await c.query<{ r: boolean }>('select pg_is_in_recovery() as r')).rows[0]!.r);
    nodes.push({ ...n, dataDir: n.dataDir, role: inRecovery ? 'replica' : 'primary' });
  }
  if (!nodes.some((n) => n.role === 'primary')) throw new PgClusterError('UNREACHABLE', `no primary of cluster ${config.name} answered`);
  return nodes;
}

function onNode<T>(node: NodeConfig, what: string, fn: (c: pg.Client) => Promise<T>, database?: string): Promise<T> {
  return withClient({ url: node.url, connectTimeoutMs: 5_000, applicationName: PGAUDIT_APPLICATION_NAME, ...(database ? { database } : {}) }, `${what} on ${node.name}`, fn);
}


/**
 * Restarts the nodes, replicas first (the primary keeps serving meanwhile) and the primary last,
 * waiting after each until it answers again and, after the primary, until every replica streams again.
 * @returns the names in restart order.
 */
async function restartInOrder(nodes: readonly LocalNode[], signal?: AbortSignal): Promise<string[]> {
  const primary = nodes.find((n) => n.role === 'primary')!;
  const replicas = nodes.filter((n) => n.role === 'replica');
  const order: string[] = [];
  const streaming = () => onNode(primary, 'counting streaming replicas', async (c) => (await c.query<{ n: number }>("select count(*)::int as n from pg_stat_replication where state = 'streaming'")).rows[0]!.n);
  const before = replicas.length > 0 ? await streaming() : 0;
  for (const n of [...replicas, primary]) {
    if (signal?.aborted) throw new PgClusterError('ABORTED', `cancelled before restarting ${n.name}; restarted so far: ${order.join(', ') || 'none'}`);
    await restartLocalNode(n.name, n.dataDir, Number(new URL(n.url).port || 5432), signal);
    order.push(n.name);
    await eventually(`${n.name} to accept connections after its restart`, () => onNode(n, 'checking', (c) => c.query('select 1')), () => true, 60_000);
    // Security: a replica that did not come back would silently stop following; wait until every one streams before the next restart.
    if (replicas.length > 0) await eventually(`the replicas to stream again after restarting ${n.name}`, streaming, (count) => count >= before, 60_000);
  }
  return order;
}

/** pgaudit.log in effect on a node, or null when pgaudit is not loaded there. */
async function nodeState(n: LocalNode): Promise<{ preloaded: boolean; log: string | null }> {
  return onNode(n, 'reading pgaudit settings', async (c) => {
    const row = (await c.query<{ libs: string; log: string | null }>("select current_setting('shared_preload_libraries') as libs, (select setting from pg_settings where name = 'pgaudit.log') as log")).rows[0]!;
    return { preloaded: preloadList(row.libs).includes('pgaudit'), log: row.log };
  });
}

/**
 * Enables pgaudit on every node, for real: checks that each node has the library, backs up what
 * it changes, adds pgaudit to `shared_preload_libraries` (ALTER SYSTEM), restarts the replicas one
 * by one and then the primary (each must answer, and the replicas stream again, before the next),
 * verifies pgaudit is loaded everywhere, runs `CREATE EXTENSION IF NOT EXISTS pgaudit` on the
 * primary and sets `pgaudit.log` on every node with a reload, verified. {@link undoPgaudit} reverses it.
 *
 * @throws InputError when a node's dataDir is not local; PgClusterError `NOT_SUPPORTED` (Patroni, or pgaudit not installed), `ACTION_FAILED` when a node does not come back.
 * @example
 * ```ts
 * const report = await enablePgaudit(loadConfig(), { log: 'ddl, role, write' })
 * report.restartOrder // ['node2', 'node3', 'node1']
 * ```
 */
export async function enablePgaudit(loaded: LoadedConfig, options: EnablePgauditOptions): Promise<PgauditReport> {
  const config = loaded.config;
  const nodes = await localNodes(config, 'loading pgaudit');
  const primary = nodes.find((n) => n.role === 'primary')!;
  const database = options.database ? (config.databases[options.database] ?? options.database) : config.databases['project'];
  for (const n of nodes) {
    const available = await onNode(n, 'looking for pgaudit', async (c) => (await c.query("select 1 from pg_available_extensions where name = 'pgaudit'")).rowCount === 1);
    if (!available) {
      throw new PgClusterError('NOT_SUPPORTED', `pgaudit is not installed on ${n.name}'s machine; nothing was changed`, { hint: 'Install the package postgresql-15-pgaudit (scripts/setup-system.sh does), then run it again.' });
    }
  }
  const dbName = await onNode(primary, 'naming the database', async (c) => (await c.query<{ d: string }>('select current_database() as d')).rows[0]!.d, database);
  const existed = await onNode(primary, 'looking for the extension', async (c) => (await c.query("select 1 from pg_extension where extname = 'pgaudit'")).rowCount === 1, database);
  const backupFile = join(loaded.stateDir, 'security', `pgaudit-${options.runId ?? new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const backup: PgauditBackup = {
    version: 1,
    time: new Date().toISOString(),
    database: dbName,
    extensionCreated: false,
    nodes: nodes.map((n) => {
      const libs = autoConfValue(n.dataDir, 'shared_preload_libraries');
      return { name: n.name, dataDir: n.dataDir, sharedPreloadLibraries: libs === null ? null : preloadList(libs), pgauditLog: autoConfValue(n.dataDir, 'pgaudit.log') };
    }),
  };
  writeSecretFile(backupFile, `${JSON.stringify(backup, null, 2)}\n`);

  // 1. Preload it (takes effect at the restart).
  const needRestart: LocalNode[] = [];
  for (const n of nodes) {
    await onNode(n, 'adding pgaudit to shared_preload_libraries', async (c) => {
      const libs = preloadList((await c.query<{ v: string }>("select current_setting('shared_preload_libraries') as v")).rows[0]!.v);
      if (libs.includes('pgaudit')) return;
      needRestart.push(n);
      await c.query(preloadStatement([...libs, 'pgaudit']));
    });
  }
  // 2. The planned restart: replicas, then the primary.
  const restartOrder = needRestart.length > 0 ? await restartInOrder(nodes, options.signal) : [];
  for (const n of nodes) {
    const state = await nodeState(n);
    if (!state.preloaded || state.log === null) throw new PgClusterError('ACTION_FAILED', `${n.name} did not load pgaudit after its restart (see its server log); undo with the backup ${backupFile}`);
  }
  // 3. The extension (its event triggers name the objects of DDL statements), then the classes to log.
  if (!existed) {
    await onNode(primary, 'creating the extension', (c) => c.query('CREATE EXTENSION IF NOT EXISTS pgaudit'), database);
    backup.extensionCreated = true;
    writeSecretFile(backupFile, `${JSON.stringify(backup, null, 2)}\n`);
  }
  for (const n of nodes) {
    await onNode(n, 'setting pgaudit.log', async (c) => {
      await c.query(`ALTER SYSTEM SET pgaudit.log = ${c.escapeLiteral(options.log)}`);
      await c.query('SELECT pg_reload_conf()');
    });
  }
  const expected = options.log.replace(/\s+/g, '');
  const states = new Map<string, { preloaded: boolean; log: string | null }>();
  for (const n of nodes) {
    states.set(n.name, await eventually(`pgaudit.log on ${n.name} after the reload`, () => nodeState(n), (s) => (s.log ?? '').replace(/\s+/g, '') === expected, 15_000));
  }
  return {
    action: 'enable',
    log: options.log,
    database: dbName,
    extensionCreated: backup.extensionCreated,
    restartOrder,
    nodes: nodes.map((n) => ({ node: n.name, role: n.role, preloaded: true, log: states.get(n.name)!.log, restarted: restartOrder.includes(n.name) })),
    backup: backupFile,
  };
}

/**
 * Undoes an {@link enablePgaudit} run: drops the extension when the run created it, puts back
 * each node's `shared_preload_libraries` and `pgaudit.log` as postgresql.auto.conf had them, and
 * restarts the nodes the same way (replicas first).
 * @throws InputError when the backup is not one; RefusedError when it was already undone.
 * @example await undoPgaudit(loadConfig(), '/srv/app/.pgcluster/security/pgaudit-….json')
 */
export async function undoPgaudit(loaded: LoadedConfig, backupFile: string, signal?: AbortSignal): Promise<PgauditReport> {
  if (!existsSync(backupFile)) throw new InputError('backup', `${backupFile} does not exist`);
  const backup = JSON.parse(readFileSync(backupFile, 'utf8')) as PgauditBackup;
  if (backup.version !== 1 || !Array.isArray(backup.nodes) || typeof backup.database !== 'string') throw new InputError('backup', `${backupFile} is not a pgaudit backup`);
  if (backup.undone) throw new RefusedError(`the pgaudit change in ${backupFile} was already undone at ${backup.undone}`);
  const nodes = await localNodes(loaded.config, 'undoing pgaudit');
  const primary = nodes.find((n) => n.role === 'primary')!;
  if (backup.extensionCreated) await onNode(primary, 'dropping the extension', (c) => c.query('DROP EXTENSION IF EXISTS pgaudit'), backup.database);
  for (const n of nodes) {
    const before = backup.nodes.find((b) => b.name === n.name);
    if (!before) continue;
    await onNode(n, 'restoring shared_preload_libraries and pgaudit.log', async (c) => {
      await c.query(before.pgauditLog === null ? 'ALTER SYSTEM RESET pgaudit.log' : `ALTER SYSTEM SET pgaudit.log = ${c.escapeLiteral(before.pgauditLog)}`);
      await c.query(before.sharedPreloadLibraries === null ? 'ALTER SYSTEM RESET shared_preload_libraries' : preloadStatement(before.sharedPreloadLibraries));
    });
  }
  const restartOrder = await restartInOrder(nodes, signal);
  writeSecretFile(backupFile, `${JSON.stringify({ ...backup, undone: new Date().toISOString() }, null, 2)}\n`);
  const report: PgauditReport['nodes'] = [];
  for (const n of nodes) report.push({ node: n.name, role: n.role, ...(await nodeState(n)), restarted: true });
  return { action: 'undo', log: null, database: backup.database, extensionCreated: backup.extensionCreated, restartOrder, nodes: report, backup: backupFile };
}
