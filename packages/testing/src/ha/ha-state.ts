import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import { z } from 'zod';
import { ClusterStateCommon } from '../local/cluster-state';

/** The file in an HA cluster's base dir that lets later processes re-attach to it (no secrets). */
export const HA_STATE_FILE = 'ha-cluster.json';

/** The file (mode 600) beside it holding the generated passwords. */
export const HA_SECRETS_FILE = 'ha-secrets.json';

/** A long-running process the cluster owns. */
const Daemon = z.object({ pidFile: z.string(), logFile: z.string() });

/** One Patroni-managed node as recorded in `ha-cluster.json`. */
export const HaStateNode = z.object({
  name: z.string(),
  /** The role it was created with (node1 bootstraps the cluster). */
  role: z.enum(['primary', 'replica']),
  port: z.number().int(),
  restPort: z.number().int(),
  nodeDir: z.string(),
  dataDir: z.string(),
  configFile: z.string(),
  /** Patroni's own pid file (we write it when we start Patroni). */
  pidFile: z.string(),
  /** Patroni's log, which PostgreSQL's server log goes to as well. */
  logFile: z.string(),
  socketDir: z.string().nullable(),
});

/** One Patroni-managed node. */
export type HaStateNode = z.infer<typeof HaStateNode>;

/** What `ha-cluster.json` holds. */
export const HaState = ClusterStateCommon.extend({
  kind: z.literal('ha'),
  scope: z.string(),
  timings: z.object({ ttl: z.number(), loopWait: z.number(), retryTimeout: z.number() }),
  etcd: Daemon.extend({ clientPort: z.number().int(), peerPort: z.number().int(), dataDir: z.string() }),
  pgbouncer: Daemon.extend({ port: z.number().int(), dir: z.string(), iniFile: z.string(), databasesFile: z.string(), adminUser: z.string() }),
  nodes: z.array(HaStateNode).min(1),
});

/** What `ha-cluster.json` holds. */
export type HaState = z.infer<typeof HaState>;

/** The generated passwords (mode 600 file). */
export interface HaSecrets {
  /** The cluster user's (a superuser). */
  password: string;
  /** The replication user's. */
  replicationPassword: string;
  /** PgBouncer's admin console user's. */
  adminPassword: string;
}

/**
 * Writes `<baseDir>/ha-cluster.json` atomically.
 * @example writeHaState(baseDir, state)
 */
export function writeHaState(baseDir: string, state: HaState): void {
  const path = join(baseDir, HA_STATE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/**
 * Whether `baseDir` holds an HA cluster.
 * @example isHaClusterDir('.pgcluster/dev') // true after `dev up --ha`
 */
export function isHaClusterDir(baseDir: string): boolean {
  return existsSync(join(baseDir, HA_STATE_FILE));
}

/**
 * Reads and checks `<baseDir>/ha-cluster.json`.
 * @throws PgClusterError `CONFIG_NOT_FOUND` / `INVALID_CONFIG`.
 * @example const state = readHaState('.pgcluster/dev')
 */
export function readHaState(baseDir: string): HaState {
  const path = join(baseDir, HA_STATE_FILE);
  if (!existsSync(path)) throw new PgClusterError('CONFIG_NOT_FOUND', `no HA cluster in ${baseDir} (${HA_STATE_FILE} is missing)`);
  const parsed = HaState.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) throw new PgClusterError('INVALID_CONFIG', `${path} is not an HA cluster state file`);
  return parsed.data;
}

/**
 * Writes the secrets file (mode 600).
 * @example writeHaSecrets(baseDir, secrets)
 */
export function writeHaSecrets(baseDir: string, secrets: HaSecrets): void {
  writeFileSync(join(baseDir, HA_SECRETS_FILE), `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
}

/**
 * Reads the secrets file.
 * @throws PgClusterError `CONFIG_NOT_FOUND` when it is missing.
 * @example const { password } = readHaSecrets(baseDir)
 */
export function readHaSecrets(baseDir: string): HaSecrets {
  const path = join(baseDir, HA_SECRETS_FILE);
  if (!existsSync(path)) throw new PgClusterError('CONFIG_NOT_FOUND', `the HA cluster's secrets file ${path} is missing`);
  return JSON.parse(readFileSync(path, 'utf8')) as HaSecrets;
}
