import { join } from 'node:path';
import { Node, type Project } from 'ts-morph';
import type { ScannedSkill } from './scan-skills';
import { relativePath, type WorkspacePackage } from './workspace';

/** The domain packages whose exported functions are the operations skills should cover. */
export const DOMAIN_PACKAGES = ['pools', 'vector', 'operations', 'maintenance', 'monitoring', 'security'] as const;

/** A function exported from a domain package's public face, and the skills that call it. */
export interface ExportedOperation {
  /** The package's npm name. */
  package: string;
  /** The exported name. */
  name: string;
  /** The declaring file, relative to the root. */
  file: string;
  /** Names of the skills whose `run` body calls it, sorted. */
  coveredBy: string[];
}

/**
 * Lists the functions exported from `packages/{pools,vector,operations,maintenance,monitoring,security}/src/index.ts`
 * (function declarations and `const f = (…) => …`), and which skills' `run` bodies call each.
 *
 * @example
 * ```ts
 * const ops = scanOperations(root, project, packages, skills)
 * ops.filter((o) => o.coveredBy.length === 0) // operations without a skill
 * ```
 */
export function scanOperations(
  root: string,
  project: Project,
  packages: readonly WorkspacePackage[],
  skills: readonly ScannedSkill[],
): ExportedOperation[] {
  const operations: ExportedOperation[] = [];
  for (const pkg of packages) {
    if (!(DOMAIN_PACKAGES as readonly string[]).includes(pkg.dir)) continue;
    const index = project.getSourceFile(join(pkg.path, 'src', 'index.ts'));
    if (!index) continue;
    for (const [exportName, declarations] of index.getExportedDeclarations()) {
      const declaration = declarations.find(isFunctionLike);
      if (!declaration) continue;
      const file = relativePath(root, declaration.getSourceFile().getFilePath());
      const declaredName = Node.isFunctionDeclaration(declaration) || Node.isVariableDeclaration(declaration) ? (declaration.getName() ?? exportName) : exportName;
      const coveredBy = skills
        .filter((s) => s.calls.some((c) => (c.name === declaredName || c.name === exportName) && c.declaredIn.startsWith(`packages/${pkg.dir}/`)))
        .map((s) => s.name);
      operations.push({ package: pkg.name, name: exportName, file, coveredBy: [...new Set(coveredBy)].sort() });
    }
  }
  return operations.sort((a, b) => (a.package + '\0' + a.name < b.package + '\0' + b.name ? -1 : 1));
}

function isFunctionLike(node: Node): boolean {
  if (Node.isFunctionDeclaration(node)) return true;
  if (Node.isVariableDeclaration(node)) {
    const init = node.getInitializer();
    return init !== undefined && (Node.isArrowFunction(init) || Node.isFunctionExpression(init));
  }
  return false;
}
