/**
 * skillgen: reads every `@Skill` under `packages/<pkg>/src/skills/` statically (ts-morph) and
 * generates the skill surface: `skills/<category>/<name>/SKILL.md` (Agent Skills format),
 * `skills/manifest.json`, the CLI command modules in `apps/cli/src/generated/` and
 * `CAPABILITIES.md`. `skillgen --check` fails when any of them is stale.
 *
 * @example
 * ```ts
 * import { generate, syncFiles } from '@pgcluster/skillgen'
 * syncFiles(root, generate({ root }).files)
 * ```
 * @packageDocumentation
 */
export * from './cli/run-skillgen';
export * from './errors/skillgen-error';
export * from './generate/generate';
export * from './generate/sync-files';
export * from './render/render-capabilities';
export * from './render/render-command-module';
export * from './render/render-manifest';
export * from './render/render-skill-md';
export * from './render/schema-text';
export * from './render/skill-model';
export * from './scan/read-literal';
export * from './scan/scan-operations';
export * from './scan/scan-skills';
export * from './scan/workspace';
export * from './schema/derive-flags';
export * from './schema/load-schemas';
