import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { relativePath } from '../scan/workspace';
import { OWNED_OUTPUTS } from './generate';

/** What {@link syncFiles} did (or, with `check`, would do). */
export interface SyncReport {
  /** Files written, or (check) missing or different. */
  changed: string[];
  /** Owned files no longer generated: removed, or (check) that would be. */
  removed: string[];
}

/**
 * Makes the generated files on disk equal `files` (root-relative path → content): writes
 * what differs and removes owned files that are no longer generated (a deleted skill's
 * SKILL.md and command module). With `check`, changes nothing and reports what is stale.
 *
 * @example
 * ```ts
 * const { changed, removed } = syncFiles(root, generate({ root }).files, { check: true })
 * if (changed.length || removed.length) process.exitCode = 1
 * ```
 */
export function syncFiles(root: string, files: ReadonlyMap<string, string>, options: { check?: boolean } = {}): SyncReport {
  const changed: string[] = [];
  for (const [path, content] of files) {
    const absolute = join(root, path);
    if (existsSync(absolute) && readFileSync(absolute, 'utf8') === content) continue;
    changed.push(path);
    if (!options.check) {
      mkdirSync(dirname(absolute), { recursive: true });
      writeFileSync(absolute, content);
    }
  }
  const removed = ownedFiles(root).filter((path) => !files.has(path));
  if (!options.check) {
    for (const path of removed) {
      unlinkSync(join(root, path));
      pruneEmptyDirs(root, dirname(path));
    }
  }
  return { changed, removed };
}

/** The files on disk that skillgen owns: SKILL.md files and the manifest under skills/, the command modules, CAPABILITIES.md. */
export function ownedFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, keep: (name: string) => boolean) => {
    const absolute = join(root, dir);
    if (!existsSync(absolute)) return;
    for (const entry of readdirSync(absolute).sort()) {
      const path = join(absolute, entry);
      if (statSync(path).isDirectory()) walk(`${dir}/${entry}`, keep);
      else if (keep(entry)) out.push(relativePath(root, path));
    }
  };
  walk(OWNED_OUTPUTS.skillsDir, (name) => name === 'SKILL.md' || name === 'manifest.json');
  walk(OWNED_OUTPUTS.commandsDir, (name) => name.endsWith('.ts'));
  if (existsSync(join(root, OWNED_OUTPUTS.capabilities))) out.push(OWNED_OUTPUTS.capabilities);
  return out.sort();
}

function pruneEmptyDirs(root: string, dir: string): void {
  for (let current = dir; current && current !== '.' && current !== OWNED_OUTPUTS.skillsDir && current !== OWNED_OUTPUTS.commandsDir; current = dirname(current)) {
    const absolute = join(root, current);
    if (!existsSync(absolute) || readdirSync(absolute).length > 0) return;
    rmdirSync(absolute);
  }
}
