import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the CLI reads of its own package.json. */
export interface CliPackage {
  version: string;
  license?: string;
  homepage?: string;
  repository?: string | { url?: string };
}

/**
 * The CLI's own package.json (beside `dist/` in the repository and in the installed package).
 * @example
 * ```ts
 * cliPackage().version // '0.1.0'
 * ```
 */
export function cliPackage(): CliPackage {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as CliPackage;
}
