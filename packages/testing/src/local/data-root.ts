import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

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
