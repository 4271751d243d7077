import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import { SkillRuleError, formatProblem } from '../errors/skillgen-error';
import { generate, type GenerateConfig } from '../generate/generate';
import { syncFiles } from '../generate/sync-files';
import { MEASURED_LISTING_FILE } from '../listing/listing-budget';
import { measureListing } from '../listing/measure-listing';
import { workflowMdPath } from '../render/render-workflow-md';
import { skillMdPath } from '../render/skill-model';

/** Where skillgen writes its messages (everything goes to stderr; stdout stays empty). */
export interface SkillgenIo {
  stderr: (text: string) => void;
  cwd: string;
}

/** Exit codes of `skillgen`: 0 done / up to date, 1 stale (`--check`) or a rule broken, 2 usage or build error. */
export const SKILLGEN_EXIT = { ok: 0, failed: 1, error: 2 } as const;

const USAGE = `usage: skillgen [--check | --measure-listing [--claude <bin>]] [--root <dir>]

Generates, from every @Skill under packages/*/src/skills/:
  skills/<category>/<name>/SKILL.md, skills/manifest.json,
  apps/cli/src/generated/**, CAPABILITIES.md

  --check       change nothing; exit 1 when a generated file is stale
  --measure-listing  measure the always-on cost of the skill listing with
                Claude Code (claude plugin details), record it in
                ${MEASURED_LISTING_FILE}, then generate
  --claude <bin>  the Claude Code executable (default: claude on PATH)
  --root <dir>  the workspace root (default: the nearest folder above the
                working directory holding pnpm-workspace.yaml)
`;

/**
 * The `skillgen` command line: generate (or `--check`) the skill surface. Problems are printed
 * as `file:line: [rule] message`.
 *
 * @example
 * ```ts
 * process.exitCode = runSkillgen(process.argv.slice(2), { stderr: (t) => process.stderr.write(t), cwd: process.cwd() })
 * ```
 */
export function runSkillgen(argv: readonly string[], io: SkillgenIo, overrides: Partial<GenerateConfig> = {}): number {
  let check = false;
  let measure = false;
  let claude = 'claude';
  let root: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') check = true;
    else if (arg === '--measure-listing') measure = true;
    else if (arg === '--claude' && argv[i + 1] !== undefined) claude = argv[++i]!;
    else if (arg === '--root' && argv[i + 1] !== undefined) root = resolve(io.cwd, argv[++i]!);
    else if (arg.startsWith('--root=')) root = resolve(io.cwd, arg.slice('--root='.length));
    else if (arg === '--help' || arg === '-h') {
      io.stderr(USAGE);
      return SKILLGEN_EXIT.ok;
    } else {
      io.stderr(`skillgen: unknown argument "${arg}"\n${USAGE}`);
      return SKILLGEN_EXIT.error;
    }
  }
  root ??= findWorkspaceRoot(io.cwd);
  try {
    if (measure && !check) {
      const before = generate({ ...overrides, root });
      // Workflows are listed like skills: the measurement wraps both.
      const skillMds = new Map([
        ...before.skills.map((s) => [s.name, before.files.get(skillMdPath(s))!] as const),
        ...before.workflows.map((w) => [w.name, before.files.get(workflowMdPath(w))!] as const),
      ]);
      const measured = measureListing([...before.skills, ...before.workflows], skillMds, claude, new Date());
      writeFileSync(join(root, MEASURED_LISTING_FILE), `${JSON.stringify(measured, null, 2)}\n`);
      io.stderr(`skillgen: Claude Code ${measured.claudeCode} projects ~${measured.alwaysOnTokens} tokens always-on for ${measured.skills} skills (${MEASURED_LISTING_FILE})\n`);
    }
    const result = generate({ ...overrides, root });
    for (const warning of result.warnings) io.stderr(`skillgen: warning: ${warning}\n`);
    const report = syncFiles(root, result.files, { check });
    const stale = [...report.changed.map((p) => `  ${check ? 'stale' : 'wrote'}: ${p}`), ...report.removed.map((p) => `  ${check ? 'obsolete' : 'removed'}: ${p}`)];
    if (check) {
      if (stale.length === 0) {
        io.stderr(`skillgen --check: ${result.skills.length} skill(s), ${result.workflows.length} workflow(s), ${result.files.size} generated files up to date\n`);
        return SKILLGEN_EXIT.ok;
      }
      io.stderr(`skillgen --check: generated files are stale:\n${stale.join('\n')}\nRun \`pnpm skillgen\` and commit the result.\n`);
      return SKILLGEN_EXIT.failed;
    }
    io.stderr(`skillgen: ${result.skills.length} skill(s), ${result.workflows.length} workflow(s), ${result.files.size} files, ${stale.length} changed\n${stale.length ? `${stale.join('\n')}\n` : ''}`);
    return SKILLGEN_EXIT.ok;
  } catch (error) {
    if (error instanceof SkillRuleError) {
      io.stderr(`skillgen: ${error.problems.length} problem(s) in @Skill declarations:\n${error.problems.map(formatProblem).join('\n')}\n`);
      return SKILLGEN_EXIT.failed;
    }
    if (error instanceof PgClusterError) {
      io.stderr(`skillgen: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return SKILLGEN_EXIT.error;
    }
    throw error;
  }
}

/** The nearest folder at or above `cwd` holding `pnpm-workspace.yaml`, else `cwd`. */
export function findWorkspaceRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}
