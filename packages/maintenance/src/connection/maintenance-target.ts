import { statfs } from 'node:fs/promises';
import { createTopologyProvider, InputError, nodeAddress, requirePrimary, withClient, type ClusterConfig, type TopologyProvider } from '@pgcluster/core';
import type pg from 'pg';
import { z } from 'zod';

/** The `database` input of the skills that act in one database. */
export const DatabaseName = z
  .string()
  .min(1)
  .max(63)
  .optional()
  .describe("The database (a configured name or a database name); default the configured project database, else the node URL's.");

/** The `application_name` of maintenance connections (sessions control never selects them by rule). */
export const MAINTENANCE_APPLICATION_NAME = 'pgcluster-maintenance';

/** Where a maintenance statement runs: one node (the primary unless named) and one database. */
export interface MaintenanceTarget {
  /** The node's name. */
  node: string;
  /** Its URL (holds credentials: never print it; {@link MaintenanceTarget.label} is safe). */
  url: string;
  /** The database connected to; absent means the URL's own. */
  database?: string;
  /** The node's data directory when it is on this machine (for the free-space check). */
  dataDir?: string;
  /** `node (host:port)`, safe to print. */
  label: string;
}

/**
 * Resolves the node a maintenance run acts on: `node` by name, else the current primary (from
 * the cluster's topology provider, so Patroni and static clusters agree); `database` is a named
 * database of the configuration or a database name, by default the configured `project`
 * database, else the URL's (monitoring-health's default too).
 * @param topology where roles come from instead of the config's own provider (a skill passes its run's, `ctx.resources.topology`).
 * @throws InputError (`node`) for an unknown node; PgClusterError when there is no primary.
 * @example
 * ```ts
 * const target = await resolveTarget(ctx.loaded.config, { database: 'app' }, 'VACUUM', ctx.signal)
 * ```
 */
export async function resolveTarget(
  config: ClusterConfig,
  options: { node?: string | undefined; database?: string | undefined },
  purpose: string,
  signal?: AbortSignal,
  provider?: TopologyProvider,
): Promise<MaintenanceTarget> {
  const topology = await (provider ?? createTopologyProvider(config)).resolve(signal);
  let member;
  if (options.node) {
    member = topology.members.find((m) => m.name === options.node);
    if (!member) throw new InputError('node', `must be one of the cluster's nodes: ${topology.members.map((m) => m.name).join(', ')}`);
  } else {
    member = requirePrimary(topology, purpose);
  }
  const dataDir = config.nodes?.find((n) => n.name === member.name)?.dataDir;
  // The same default as monitoring-health, so a finding's table is looked up where it was found.
  const database = options.database ? (config.databases[options.database] ?? options.database) : config.databases['project'];
  return {
    node: member.name,
    url: member.url,
    ...(database ? { database } : {}),
    ...(dataDir ? { dataDir } : {}),
    label: `${member.name} (${nodeAddress(member.url).split('/')[0]})`,
  };
}

/**
 * Runs `fn` with one connection to the target (closed afterwards), labelled
 * {@link MAINTENANCE_APPLICATION_NAME}; errors name `context`.
 * @example
 * ```ts
 * await withTarget(target, 'vacuuming public.items', (c) => c.query('VACUUM "public"."items"'))
 * ```
 */
export function withTarget<T>(target: MaintenanceTarget, context: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  return withClient({ url: target.url, ...(target.database ? { database: target.database } : {}), applicationName: MAINTENANCE_APPLICATION_NAME }, context, fn);
}

/**
 * The database a client is connected to.
 * @example await currentDatabase(client) // 'app'
 */
export async function currentDatabase(c: pg.Client): Promise<string> {
  return (await c.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
}

/**
 * Logs a long statement's progress once a second while `work` runs: `read` is called on a second
 * connection and returns a line (or undefined when there is nothing to say yet). Progress is
 * best effort: a failing read never fails the work.
 * @example
 * ```ts
 * await withProgress(target, () => c.query('VACUUM t'), (p) => readVacuumProgress(p, pid), (line) => log.info(line))
 * ```
 */
export async function withProgress<T>(
  target: MaintenanceTarget,
  work: () => Promise<T>,
  read: (client: pg.Client) => Promise<string | undefined>,
  report: (line: string) => void,
  intervalMs = 1_000,
): Promise<T> {
  let done = false;
  const watcher = withTarget(target, 'reading progress', async (c) => {
    let last = '';
    while (!done) {
      await new Promise((r) => setTimeout(r, intervalMs));
      if (done) break;
      const line = await read(c).catch(() => undefined);
      if (line && line !== last) report((last = line));
    }
  }).catch(() => undefined);
  try {
    return await work();
  } finally {
    done = true;
    await watcher;
  }
}

/**
 * Free bytes on the file system of the target's data directory, when it is on this machine.
 * @example await freeBytes(target) // 52_000_000_000, or undefined for a remote node
 */
export async function freeBytes(target: MaintenanceTarget): Promise<number | undefined> {
  if (!target.dataDir) return undefined;
  try {
    const s = await statfs(target.dataDir);
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}
