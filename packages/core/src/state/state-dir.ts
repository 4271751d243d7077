import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Makes sure a folder under the state dir exists (mode 700: audit logs and catalogues may
 * name hosts and databases) and returns its path.
 *
 * @example
 * ```ts
 * const auditDir = ensureStateSubdir(loaded.stateDir, 'audit')
 * ```
 */
export function ensureStateSubdir(stateDir: string, ...parts: string[]): string {
  const dir = join(stateDir, ...parts);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
