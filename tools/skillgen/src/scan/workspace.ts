import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Project, ts } from 'ts-morph';

/** One package of the workspace that may hold skills (`packages/<dir>`). */
export interface WorkspacePackage {
  /** The folder name under `packages/`, e.g. `operations`. */
  dir: string;
  /** The npm name from its package.json, e.g. `@pgcluster/operations`. */
  name: string;
  /** Its absolute path. */
  path: string;
}

/**
 * Lists `packages/*` folders that have a package.json, sorted by folder name.
 *
 * @example
 * ```ts
 * listPackages('/work/main').map((p) => p.name) // ['@pgcluster/core', '@pgcluster/maintenance', …]
 * ```
 */
export function listPackages(root: string): WorkspacePackage[] {
  const packagesDir = join(root, 'packages');
  if (!existsSync(packagesDir)) return [];
  return readdirSync(packagesDir)
    .sort()
    .filter((dir) => existsSync(join(packagesDir, dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as { name?: string };
      return { dir, name: pkg.name ?? dir, path: join(packagesDir, dir) };
    });
}

/** Every `.ts` source under `dir` (recursively, sorted), leaving out tests and declarations. */
export function listSources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listSources(path));
    else if (entry.endsWith('.ts') && !/\.(spec|test|d)\.ts$/.test(entry)) out.push(path);
  }
  return out;
}

/** A path relative to the workspace root with `/` separators, for messages and generated files. */
export function relativePath(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}

/**
 * A ts-morph project holding the sources of every workspace package, for static reading.
 * No file is emitted and nothing is executed.
 */
export function createSourceProject(packages: readonly WorkspacePackage[]): Project {
  const project = new Project({
    skipAddingFilesFromTsConfig: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
      noEmit: true,
      // Only export chains are resolved (for the coverage report): no lib or @types needed.
      noLib: true,
      types: [],
    },
  });
  for (const pkg of packages) project.addSourceFilesAtPaths(listSources(join(pkg.path, 'src')));
  return project;
}
