import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PackageLoader } from '../../src';

/** The fixture workspace: two packages with one skill each (see its README). */
export const FIXTURE_ROOT = join(__dirname, '..', 'fixtures', 'workspace');

/** Loads a fixture package's stand-in for dist (`lib/index.js`) with Node's own require, as skillgen loads dist. */
export const loadFixturePackage: PackageLoader = (pkg) =>
  createRequire(join(pkg.path, 'package.json'))(join(pkg.path, 'lib', 'index.js')) as Record<string, unknown>;

/**
 * A temporary workspace holding `files` (path → content), with `node_modules/zod` linked to
 * the real zod so its `lib/index.js` files can require it. `copyFixture` starts from the fixture.
 */
export function makeWorkspace(files: Record<string, string>, options: { copyFixture?: boolean } = {}): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'skillgen-test-'));
  if (options.copyFixture) cpSync(FIXTURE_ROOT, root, { recursive: true });
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  symlinkSync(dirname(require.resolve('zod/package.json')), join(root, 'node_modules', 'zod'), 'dir');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
