import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIG_FILE_NAME, InputError, PgClusterError } from '@pgcluster/core';
import type { ExitCode } from '@pgcluster/skill-kit';
import { CLUSTER_STATE_FILE, HA_STATE_FILE, MAX_REPLICAS } from '@pgcluster/testing';

/** The exit codes of the seed ADR, by name. */
export const DEV_EXIT = { ok: 0, degraded: 1, error: 2, refused: 3 } as const satisfies Record<string, ExitCode>;

/** The cluster name `dev up` writes into the config; a config with another name is not ours. */
export const DEV_CLUSTER_NAME = 'dev';

/** The state dir `dev up` writes into the config, relative to it. */
export const DEV_STATE_DIR = '.pgcluster';

/**
 * Where `pgcluster dev` output goes: progress and errors to `err` (stderr), results to `out` (stdout).
 *
 * @example
 * ```ts
 * const io: DevIo = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) }
 * ```
 */
export interface DevIo {
  out(line: string): void;
  err(line: string): void;
}

/** The files of a directory's dev cluster. */
export interface DevPaths {
  cwd: string;
  /** `<cwd>/.pgcluster` */
  stateDir: string;
  /** `<cwd>/.pgcluster/dev`: the cluster's `cluster.json` and password (its data, unless postgres cannot enter it). */
  baseDir: string;
  /** `<cwd>/pgcluster.config.json` */
  configFile: string;
}

/**
 * The dev cluster's paths for a working directory.
 * @example devPaths('/srv/app').baseDir // '/srv/app/.pgcluster/dev'
 */
export function devPaths(cwd: string): DevPaths {
  const dir = resolve(cwd);
  const stateDir = join(dir, DEV_STATE_DIR);
  return { cwd: dir, stateDir, baseDir: join(stateDir, 'dev'), configFile: join(dir, CONFIG_FILE_NAME) };
}

/**
 * Whether the dev cluster's base dir holds a cluster to re-attach to (a plain one's
 * `cluster.json`, or an HA one's `ha-cluster.json`).
 * @example hasDevCluster(devPaths(process.cwd()).baseDir) // true after `dev up`
 */
export function hasDevCluster(baseDir: string): boolean {
  return existsSync(join(baseDir, CLUSTER_STATE_FILE)) || existsSync(join(baseDir, HA_STATE_FILE));
}

/**
 * Parses `--replicas` (default 2) strictly: digits only, 0 to {@link MAX_REPLICAS}.
 *
 * @throws InputError naming `--replicas` and what is allowed.
 * @example parseReplicas('3') // 3; parseReplicas('abc') throws
 */
export function parseReplicas(raw: unknown): number {
  if (raw === undefined) return 2;
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(n) || n > MAX_REPLICAS) {
    throw new InputError('--replicas', `must be an integer from 0 to ${MAX_REPLICAS} (got ${JSON.stringify(text)})`);
  }
  return n;
}

/**
 * Whether the config file at `path` is one `dev up` wrote (name "dev", stateDir ".pgcluster"),
 * `undefined` when there is none; a file that is not JSON counts as someone else's.
 * @example isDevConfig('/srv/app/pgcluster.config.json') // true | false | undefined
 */
export function isDevConfig(path: string): boolean | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; stateDir?: unknown };
    return raw.name === DEV_CLUSTER_NAME && raw.stateDir === DEV_STATE_DIR;
  } catch {
    return false;
  }
}

/**
 * Prints an error (message and hint, never a stack) and returns its exit code:
 * 2 for bad input and failures, 3 for refusals.
 * @example return reportError(io, 'dev up', error)
 */
export function reportError(io: DevIo, command: string, error: unknown): ExitCode {
  if (error instanceof PgClusterError) {
    io.err(`pgcluster ${command}: ${error.message}`);
    if (error.hint) io.err(`hint: ${error.hint}`);
    return error.code === 'REFUSED' ? DEV_EXIT.refused : DEV_EXIT.error;
  }
  io.err(`pgcluster ${command}: ${error instanceof Error ? error.message : String(error)}`);
  return DEV_EXIT.error;
}
