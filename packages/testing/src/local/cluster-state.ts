import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import { z } from 'zod';

/** The file in a cluster's base dir that lets later processes re-attach to it. */
export const CLUSTER_STATE_FILE = 'cluster.json';

/** The file (mode 600) beside it holding the cluster user's password. */
export const PASSWORD_FILE = 'password';

/** One node as recorded in `cluster.json`. */
export const ClusterStateNode = z.object({
  name: z.string(),
  role: z.enum(['primary', 'replica']),
  port: z.number().int(),
  /** The node's folder: data dir, server log and unix socket. */
  nodeDir: z.string(),
  dataDir: z.string(),
  logFile: z.string(),
  socketDir: z.string().nullable(),
});

/** One node as recorded in `cluster.json`. */
export type ClusterStateNode = z.infer<typeof ClusterStateNode>;

/** What the state file of every kind of cluster (plain or HA) records, besides its nodes. */
export const ClusterStateCommon = z.object({
  version: z.literal(1),
  /** `creating` until every node streams; a cluster left in that state can still be stopped and purged. */
  status: z.enum(['creating', 'ready']),
  host: z.string(),
  user: z.string(),
  database: z.string(),
  extensions: z.array(z.string()),
  synchronous: z.boolean(),
  fast: z.boolean(),
  /** Where the node folders are: the base dir itself, or a folder the server's OS user can enter. */
  dataRoot: z.string(),
  binDir: z.string(),
});

/** What `cluster.json` holds: everything but the password. */
export const ClusterState = ClusterStateCommon.extend({
  provider: z.literal('local'),
  nodes: z.array(ClusterStateNode).min(1),
});

/** What `cluster.json` holds. */
export type ClusterState = z.infer<typeof ClusterState>;

/**
 * Writes `<baseDir>/cluster.json` (atomically; it holds no secret).
 *
 * @example
 * ```ts
 * writeClusterState(baseDir, { ...state, status: 'ready' })
 * ```
 */
export function writeClusterState(baseDir: string, state: ClusterState): void {
  const path = join(baseDir, CLUSTER_STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/**
 * Reads and checks `<baseDir>/cluster.json`.
 *
 * @throws PgClusterError `CONFIG_NOT_FOUND` when there is none, `INVALID_CONFIG` when it is unreadable.
 * @example
 * ```ts
 * const state = readClusterState('.pgcluster/dev')
 * ```
 */
export function readClusterState(baseDir: string): ClusterState {
  const path = join(baseDir, CLUSTER_STATE_FILE);
  if (!existsSync(path)) {
    throw new PgClusterError('CONFIG_NOT_FOUND', `no cluster in ${baseDir} (${CLUSTER_STATE_FILE} is missing)`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PgClusterError('INVALID_CONFIG', `${path} is not valid JSON`, { cause: error });
  }
  const parsed = ClusterState.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PgClusterError('INVALID_CONFIG', `${path} is not a cluster state file: ${issues}`);
  }
  return parsed.data;
}

/**
 * Writes the password file (mode 600, readable by the current user only).
 * @example writePasswordFile(baseDir, password)
 */
export function writePasswordFile(baseDir: string, password: string): void {
  writeFileSync(join(baseDir, PASSWORD_FILE), `${password}\n`, { mode: 0o600 });
}

/**
 * Reads the password file.
 * @throws PgClusterError `CONFIG_NOT_FOUND` when it is missing.
 * @example const password = readPasswordFile(baseDir)
 */
export function readPasswordFile(baseDir: string): string {
  const path = join(baseDir, PASSWORD_FILE);
  if (!existsSync(path)) throw new PgClusterError('CONFIG_NOT_FOUND', `the cluster's password file ${path} is missing`);
  return readFileSync(path, 'utf8').replace(/\n$/, '');
}
