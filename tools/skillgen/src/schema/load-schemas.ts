import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import { actionSafety, actionSchemasOf, type SkillActionLike, type SkillMeta } from '@pgcluster/skill-kit';
import type { SkillProblem } from '../errors/skillgen-error';
import type { ScannedSkill } from '../scan/scan-skills';
import { listSources, relativePath, type WorkspacePackage } from '../scan/workspace';
import { unmarkedSecretFields } from './check-secret-marks';

/** A JSON Schema document (as produced by zod's `z.toJSONSchema`). */
export type JsonSchema = { readonly [key: string]: unknown };

/** Loads a package's public module (its exports by name); the default is {@link requireBuiltPackage}. */
export type PackageLoader = (pkg: WorkspacePackage) => Readonly<Record<string, unknown>>;

/** The JSON Schemas of one skill, converted by the package's own zod. */
export interface SkillSchemas {
  /** What the skill accepts (zod's `io: 'input'` view: fields with defaults are optional). */
  input: JsonSchema;
  /** The shape of `data` in the envelope. */
  output: JsonSchema;
}

/**
 * Requires `packages/<pkg>/dist/index.js`, the package's compiled public face, refusing when
 * it is missing or older than a source file (its schemas could be stale).
 *
 * @example
 * ```ts
 * const exports = requireBuiltPackage(pkg) // { ClusterStatusInput: ZodObject, ClusterStatusSkill: [class], … }
 * ```
 * @throws PgClusterError (`ACTION_FAILED`) telling how to build.
 */
export function requireBuiltPackage(pkg: WorkspacePackage): Readonly<Record<string, unknown>> {
  const entry = join(pkg.path, 'dist', 'index.js');
  const hint = 'Run `pnpm skillgen` from the workspace root (its Nx target builds the packages first), or build them with `pnpm exec nx run-many -t build`.';
  if (!existsSync(entry)) {
    throw new PgClusterError('ACTION_FAILED', `${pkg.name} is not built: ${relativeToPackages(pkg, 'dist/index.js')} is missing`, { hint });
  }
  const builtAt = statSync(join(pkg.path, 'dist', 'tsconfig.lib.tsbuildinfo'), { throwIfNoEntry: false })?.mtimeMs ?? statSync(entry).mtimeMs;
  const newer = listSources(join(pkg.path, 'src')).find((file) => statSync(file).mtimeMs > builtAt + 1);
  if (newer) {
    throw new PgClusterError('ACTION_FAILED', `${pkg.name} is built but older than ${relativeToPackages(pkg, relativePath(pkg.path, newer))}: its schemas may be stale`, { hint });
  }
  return createRequire(join(pkg.path, 'package.json'))(entry) as Record<string, unknown>;
}

/**
 * Turns a skill's `input`/`output` zod schemas into JSON Schema with zod 4's own converter
 * (`z.toJSONSchema`), using the zod the package itself resolves (so `.describe()` texts,
 * kept in zod's registry, are found). It never calls the skill.
 *
 * @returns the schemas, or the problems (a name not exported, not a zod schema, not representable).
 * @example
 * ```ts
 * const result = skillSchemas(skill, requireBuiltPackage(skill.package))
 * if ('schemas' in result) result.schemas.input.properties
 * ```
 */
export function skillSchemas(
  skill: ScannedSkill,
  exportsOfPackage: Readonly<Record<string, unknown>>,
): { schemas: SkillSchemas } | { problems: SkillProblem[] } {
  const problems: SkillProblem[] = [];
  const toJSONSchema = zodOf(skill.package).toJSONSchema;
  if (typeof exportsOfPackage[skill.className] !== 'function') {
    problems.push({
      file: skill.file,
      line: skill.line,
      rule: 'skill-export',
      message: `class ${skill.className} is not exported from ${skill.package.name} (add \`export * from './skills/…'\` to packages/${skill.package.dir}/src/index.ts): the CLI loads it by name`,
    });
  }
  const convert = (field: 'input' | 'output'): JsonSchema | undefined => {
    const exportName = skill[field];
    const line = skill.fieldLines[field] ?? skill.line;
    const schema = exportsOfPackage[exportName];
    if (!isZodSchema(schema)) {
      problems.push({
        file: skill.file,
        line,
        rule: 'schema-export',
        message: `\`${field}: ${exportName}\` must name a zod schema exported from ${skill.package.name} (packages/${skill.package.dir}/src/index.ts); ${schema === undefined ? 'it is not exported' : 'the export is not a zod schema'}`,
      });
      return undefined;
    }
    try {
      return toJSONSchema(schema, field === 'input' ? { io: 'input' } : {}) as JsonSchema;
    } catch (error) {
      problems.push({
        file: skill.file,
        line,
        rule: 'schema-json',
        message: `\`${field}: ${exportName}\` cannot be represented as JSON Schema (${(error as Error).message}); use JSON-compatible types (e.g. an ISO string instead of a Date)`,
      });
      return undefined;
    }
  };
  const input = convert('input');
  const output = convert('output');
  if (input && input['type'] !== 'object') {
    problems.push({ file: skill.file, line: skill.fieldLines['input'] ?? skill.line, rule: 'schema-json', message: `\`input: ${skill.input}\` must be a z.object(...) (its fields become CLI flags)` });
  }
  for (const field of input ? unmarkedSecretFields(input) : []) {
    problems.push({
      file: skill.file,
      line: skill.fieldLines['input'] ?? skill.line,
      rule: 'secret-mark',
      message: `input field \`${field}\` is named like a secret: mark it \`.meta({ secret: true })\` (recorded as *** in the audit log) or \`.meta({ secret: false })\`; audit records redact by the mark, not by the name`,
    });
  }
  return problems.length || !input || !output ? { problems } : { schemas: { input, output } };
}

interface ZodModule {
  toJSONSchema(schema: unknown, params?: { io?: 'input' | 'output' }): unknown;
}

function zodOf(pkg: WorkspacePackage): ZodModule {
  const required = createRequire(join(pkg.path, 'package.json'))('zod') as ZodModule & { z?: ZodModule };
  return typeof required.toJSONSchema === 'function' ? required : (required.z as ZodModule);
}

function isZodSchema(value: unknown): boolean {
  return typeof value === 'object' && value !== null && '_zod' in value;
}

function relativeToPackages(pkg: WorkspacePackage, path: string): string {
  return `packages/${pkg.dir}/${path}`;
}

/** One action of a multi-action skill, as the SKILL.md and the manifest describe it. */
export interface SkillActionModel {
  name: string;
  risk: 'read' | 'write' | 'destructive';
  requiresConfirmation: boolean;
  autonomous: boolean;
  /** The action's own default timeout (ms), when it declares one. */
  timeoutMs?: number;
  /** The action's own input JSON Schema (zod's `io: 'input'` view, without `action`). */
  input: JsonSchema;
}

/**
 * The actions of a skill whose input is made by `actionInput` and whose class declares
 * `static actions`: each action's own input JSON Schema and the safety it runs with (its own,
 * else the skill's). Empty for a single-action skill. Reads the loaded exports; runs nothing.
 *
 * @example
 * ```ts
 * const r = skillActionModels(skill, requireBuiltPackage(skill.package))
 * if ('actions' in r) r.actions.map((a) => a.name) // ['create', 'rebuild', …]
 * ```
 */
export function skillActionModels(skill: ScannedSkill, exportsOfPackage: Readonly<Record<string, unknown>>): { actions: SkillActionModel[] } | { problems: SkillProblem[] } {
  const schemas = actionSchemasOf(exportsOfPackage[skill.input]);
  const table = (exportsOfPackage[skill.className] as { actions?: Readonly<Record<string, SkillActionLike>> } | undefined)?.actions;
  const line = skill.fieldLines['input'] ?? skill.line;
  if (!schemas && !table) return { actions: [] };
  if (!schemas || !table) {
    const message = schemas
      ? `\`input: ${skill.input}\` is made by actionInput, so @Skill must decorate \`static readonly actions\` (a SkillActions table), not \`static run\``
      : `${skill.className} declares static actions, so \`input: ${skill.input}\` must be made by actionInput({...})`;
    return { problems: [{ file: skill.file, line, rule: 'schema-json', message }] };
  }
  const toJSONSchema = zodOf(skill.package).toJSONSchema;
  const meta = { risk: skill.risk, requiresConfirmation: skill.requiresConfirmation, autonomous: skill.autonomous } as SkillMeta;
  return {
    actions: actionSafety(meta, table).map((safety) => ({
      name: safety.action,
      risk: safety.risk,
      requiresConfirmation: safety.requiresConfirmation,
      autonomous: safety.autonomous,
      ...(safety.timeoutMs !== undefined ? { timeoutMs: safety.timeoutMs } : {}),
      input: toJSONSchema(schemas[safety.action], { io: 'input' }) as JsonSchema,
    })),
  };
}
