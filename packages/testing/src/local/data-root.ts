import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import type { PgRunner } from './pg-runner';

/** Where data dirs go when the server's OS user cannot enter the requested folder. */
export const FALLBACK_DATA_PARENT = '/var/tmp';

/**
 * The data folder used instead of `requestedDir` when the server's OS user (`postgres`)
 * cannot enter it, e.g. under a mode-700 `/root`: `/var/tmp/pgcluster-<12 hex of its hash>`.
 * The same requested folder always maps to the same data folder.
 *
 * @example
 * ```ts
 * fallbackDataRoot('/root/project/.pgcluster/dev') // '/var/tmp/pgcluster-3f1c…'
 * ```
 */
export function fallbackDataRoot(requestedDir: string, parent: string = FALLBACK_DATA_PARENT): string {
  const hash = createHash('sha256').update(resolve(requestedDir)).digest('hex').slice(0, 12);
  return join(parent, `pgcluster-${hash}`);
}

/**
 * The folder a cluster's data dirs go in: `baseDir` itself when the server's OS user can enter
 * it, else {@link fallbackDataRoot} (created, owned by that user, and reported through `log`,
 * naming `stateFile` in `baseDir` as the pointer to it).
 *
 * @throws PgClusterError `ACTION_FAILED` when the fallback folder holds an earlier cluster's data.
 * @example
 * ```ts
 * const dataRoot = chooseDataRoot(pg, '/root/app/.pgcluster/dev', 'cluster.json', console.error)
 * ```
 */
export function chooseDataRoot(pg: PgRunner, baseDir: string, stateFile: string, log: (line: string) => void): string {
  if (pg.canEnter(baseDir)) return baseDir;
  const root = fallbackDataRoot(baseDir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new PgClusterError('ACTION_FAILED', `${root} (the data folder for ${baseDir}) is not empty`, {
      hint: `It is left from an earlier cluster for the same folder; remove it (rm -rf ${root}) and try again.`,
    });
  }
  mkdirSync(root, { recursive: true, mode: 0o700 });
  pg.own(root);
  log(
    `the postgres OS user (PostgreSQL refuses to run as root) cannot enter ${baseDir} (it or a folder above it is private); ` +
      `data lives in ${root} instead, and ${join(baseDir, stateFile)} points to it`,
  );
  return root;
}

/** Quotes an SQL identifier. @example quoteIdent('my db') // '"my db"' */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The last `lines` lines of a (server log) file, or a note that there is none yet. @example tailFile(node.logFile, 50) */
export function tailFile(path: string, lines: number): string {
  if (!existsSync(path)) return '(no log yet)';
  return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
