import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ReferenceInputSchema } from '@pgcluster/skill-kit';
import { SkillRuleError, type SkillProblem } from '../errors/skillgen-error';
import { checkListingBudget, type ListingReport } from '../listing/listing-budget';
import { renderCapabilities } from '../render/render-capabilities';
import { COMMANDS_DIR, renderCommandIndex, renderCommandModule } from '../render/render-command-module';
import { renderManifest, workflowSafety } from '../render/render-manifest';
import { renderSkillMd } from '../render/render-skill-md';
import { skillMdPath, type SkillModel } from '../render/skill-model';
import { scanOperations, type ExportedOperation } from '../scan/scan-operations';
import { scanSkills } from '../scan/scan-skills';
import { scanWorkflows, type ScannedWorkflow } from '../scan/scan-workflows';
import { checkWorkflowReferences } from '../schema/check-workflow-references';
import { renderWorkflowMd, workflowMdPath } from '../render/render-workflow-md';
import { createSourceProject, listPackages, type WorkspacePackage } from '../scan/workspace';
import { checkMetrics } from '../schema/check-metrics';
import { checkReferences } from '../schema/check-references';
import { deriveFlags } from '../schema/derive-flags';
import { requireBuiltPackage, skillActionModels, skillSchemas, type PackageLoader } from '../schema/load-schemas';

/** Options of {@link generate}. */
export interface GenerateConfig {
  /** The workspace root (holds `packages/`); outputs are paths relative to it. */
  root: string;
  /** How a package's exports are loaded for its schemas; default: its built `dist/index.js`. */
  loadPackage?: PackageLoader;
}

/** What {@link generate} produced: file contents by root-relative path, and what they describe. */
export interface GenerateResult {
  /** Every generated file, sorted by path. */
  files: Map<string, string>;
  skills: SkillModel[];
  /** The workflows (`defineWorkflow` literals in `packages/<pkg>/src/workflows/`). */
  workflows: ScannedWorkflow[];
  operations: ExportedOperation[];
  /** What the listing costs (estimate, reserved slots, the last measurement). */
  listing: ListingReport;
  /** Things worth knowing that do not fail the run (e.g. a decision tree naming an unknown skill). */
  warnings: string[];
}

/** The files and folders skillgen owns: anything else in them is stale and removed. */
export const OWNED_OUTPUTS = {
  /** `skills/<category>/<name>/SKILL.md` and `skills/manifest.json`. */
  skillsDir: 'skills',
  commandsDir: COMMANDS_DIR,
  capabilities: 'CAPABILITIES.md',
} as const;

/**
 * Generates everything from the `@Skill` declarations, in memory: SKILL.md files, the
 * manifest, the CLI command modules and CAPABILITIES.md; and a SKILL.md per workflow
 * (`defineWorkflow` literals, each step checked against its target's input schema). Reads the metadata statically
 * (ts-morph); loads each skill package only to turn its zod schemas into JSON Schema.
 * Deterministic: the same sources give byte-identical files.
 *
 * @throws SkillRuleError listing every broken rule as `file:line: [rule] message`.
 * @example
 * ```ts
 * const { files } = generate({ root: '/work/main' })
 * files.get('skills/manifest.json')
 * ```
 */
export function generate(config: GenerateConfig): GenerateResult {
  const { root } = config;
  const loadPackage = config.loadPackage ?? requireBuiltPackage;
  const packages = listPackages(root);
  const project = createSourceProject(packages);
  const { skills: scanned, problems } = scanSkills(root, project, packages);
  const { workflows, problems: workflowProblems } = scanWorkflows(root, project, packages);
  problems.push(...workflowProblems);
  const models: SkillModel[] = [];
  const loaded = new Map<WorkspacePackage, Readonly<Record<string, unknown>>>();
  const schemaProblems: SkillProblem[] = [];
  const warnings: string[] = [];
  if (problems.length === 0) {
    for (const skill of scanned) {
      let exported = loaded.get(skill.package);
      if (!exported) {
        exported = loadPackage(skill.package);
        loaded.set(skill.package, exported);
      }
      const result = skillSchemas(skill, exported);
      if ('problems' in result) {
        schemaProblems.push(...result.problems);
        continue;
      }
      const actions = skillActionModels(skill, exported);
      if ('problems' in actions) {
        schemaProblems.push(...actions.problems);
        continue;
      }
      const { flags, inputOnly, warnings: flagWarnings, problems: flagProblems } = deriveFlags(skill, result.schemas.input);
      schemaProblems.push(...flagProblems, ...checkMetrics(skill, result.schemas.output));
      warnings.push(...flagWarnings);
      models.push({ ...skill, schemas: result.schemas, flags, inputOnly, actions: actions.actions });
    }
  }
  if (problems.length === 0 && schemaProblems.length === 0) {
    const byName = new Map(models.map((m) => [m.name, m]));
    const references = checkReferences(models, (name) => {
      const target = byName.get(name);
      return target && (loaded.get(target.package)?.[target.input] as ReferenceInputSchema | undefined);
    });
    schemaProblems.push(...references.problems);
    warnings.push(...references.warnings);
    schemaProblems.push(
      ...checkWorkflowReferences(workflows, [...byName.keys()], (name) => {
        const target = byName.get(name);
        return target && (loaded.get(target.package)?.[target.input] as ReferenceInputSchema | undefined);
      }),
    );
  }
  // Workflows are listed in every session like skills: they count in the budget.
  const listing = checkListingBudget(root, [...scanned, ...workflows]);
  if (problems.length || schemaProblems.length || listing.problems.length) throw new SkillRuleError([...problems, ...schemaProblems, ...listing.problems]);

  const skillNames = new Set(models.map((m) => m.name));
  const license = workspaceLicense(root);
  const files = new Map<string, string>();
  for (const model of models) {
    files.set(skillMdPath(model), renderSkillMd(model, { skillNames, ...(license ? { license } : {}) }));
    files.set(`${COMMANDS_DIR}/commands/${model.name}.ts`, renderCommandModule(model));
  }
  for (const workflow of workflows) {
    const needsYes = workflowSafety(workflow, models).requiresConfirmation;
    files.set(workflowMdPath(workflow), renderWorkflowMd(workflow, { needsYes, ...(license ? { license } : {}) }));
  }
  files.set(`${OWNED_OUTPUTS.skillsDir}/manifest.json`, renderManifest(models, workflows));
  files.set(`${COMMANDS_DIR}/index.ts`, renderCommandIndex(models));
  const operations = scanOperations(root, project, packages, models);
  files.set(OWNED_OUTPUTS.capabilities, renderCapabilities(models, operations, listing.report));
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { files: sorted, skills: models, workflows, operations, listing: listing.report, warnings };
}

function workspaceLicense(root: string): string | undefined {
  const path = join(root, 'package.json');
  if (!existsSync(path)) return undefined;
  const license = (JSON.parse(readFileSync(path, 'utf8')) as { license?: unknown }).license;
  return typeof license === 'string' && license ? license : undefined;
}
