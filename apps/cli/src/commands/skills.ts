import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { InputError, PgClusterError } from '@pgcluster/core';
import type { Format } from '@pgcluster/skill-kit';
import type { Argv, CommandModule } from 'yargs';
import { okEnvelope } from '../cli/report-error';
import { skillKit } from '../cli/skill-kit';
import type { CommandContext } from '../skill-command/skill-command';
import type { CommandSummary } from '../skill-command/generated-command';

/** Where `skills install` puts each skill, relative to the target folder (Claude Code looks there). */
export const CLAUDE_SKILLS_DIR = join('.claude', 'skills');

interface SkillsArgs {
  format: Format;
  name?: string;
  dir?: string;
  category?: string;
}

/**
 * `pgcluster skills list | show <name> | install [dir]`: the generated skills, from the
 * generated summaries and the SKILL.md files (no command module or domain package is loaded).
 *
 * @example
 * ```ts
 * yargs(argv).command(skillsCommand(context))
 * ```
 */
export function skillsCommand(context: CommandContext): CommandModule {
  const { io, state, commands } = context;
  const print = (format: Format, command: string, data: unknown, human: string) => {
    io.stdout(format === 'json' ? skillKit().renderJson(okEnvelope(command, data, Date.now())) : human);
  };
  const list: CommandModule<object, SkillsArgs> = {
    command: 'list',
    describe: 'List every skill with its category, risk and whether it needs confirmation',
    builder: (y) => y.option('category', { type: 'string', describe: 'Only this category' }) as Argv<SkillsArgs>,
    handler: (argv) => {
      const shown = commands.summaries.filter((c) => argv.category === undefined || c.category === argv.category);
      const data = shown.map((c) => ({
        name: c.name,
        command: `pgcluster ${c.name}`,
        category: c.category,
        risk: c.risk,
        requiresConfirmation: c.requiresConfirmation,
        autonomous: c.autonomous,
        description: c.describe,
      }));
      print(argv.format, 'skills list', { skills: data }, formatTable(shown));
      state.code = 0;
    },
  };
  const show: CommandModule<object, SkillsArgs> = {
    command: 'show <name>',
    describe: "Print a skill's SKILL.md: usage, parameters, output, decision tree, safety",
    builder: (y) => y.positional('name', { type: 'string', describe: 'A skill name, e.g. cluster-status' }) as Argv<SkillsArgs>,
    handler: (argv) => {
      const command = findCommand(commands.summaries, argv.name ?? '');
      const skillMd = readFileSync(findSkillMd(command), 'utf8');
      print(argv.format, 'skills show', { name: command.name, skillMd }, skillMd);
      state.code = 0;
    },
  };
  const install: CommandModule<object, SkillsArgs> = {
    command: 'install [dir]',
    describe: 'Write <dir>/.claude/skills/<name>/SKILL.md for every skill, so Claude Code in that project finds them',
    builder: (y) => y.positional('dir', { type: 'string', describe: 'The project folder (default: the working directory)' }) as Argv<SkillsArgs>,
    handler: (argv) => {
      const root = resolve(io.cwd, argv.dir ?? '.');
      const installed = skillMdFiles(commands.summaries).map((c) => {
        const dir = join(root, CLAUDE_SKILLS_DIR, c.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'SKILL.md'), readFileSync(c.file, 'utf8'));
        return join(dir, 'SKILL.md');
      });
      // The installed skills run `pgcluster` through Claude Code's Bash: say whether PATH has one.
      const onPath = findOnPath('pgcluster', io.env['PATH'] ?? '');
      const pathNote = onPath ? `pgcluster on PATH: ${onPath}` : PATH_HINT;
      print(
        argv.format,
        'skills install',
        { dir: join(root, CLAUDE_SKILLS_DIR), installed, pgcluster: onPath ?? null },
        `installed ${installed.length} skill(s) into ${join(root, CLAUDE_SKILLS_DIR)}\n${installed.map((p) => `  ${p}\n`).join('')}${pathNote}\n`,
      );
      state.code = 0;
    },
  };
  return {
    command: 'skills',
    describe: 'List, show or install the generated skills (SKILL.md files for Claude Code)',
    builder: (y) => y.command(list).command(show).command(install).demandCommand(1, 'Choose one: pgcluster skills list | show <name> | install [dir]'),
    handler: () => undefined,
  };
}

/** What `skills install` says when the skills' `pgcluster` is not on PATH (the SKILL.md compatibility line says the same). */
export const PATH_HINT =
  'pgcluster is not on PATH, and the skills run it: in the pgcluster repository run `bash scripts/install.sh` ' +
  '(or npm install -g the tarball from `bash scripts/pack-cli.sh`)';

/** The first executable `name` in a PATH string, or undefined. */
function findOnPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The generated command with this name.
 * @throws InputError listing the known skills.
 */
export function findCommand(commands: readonly CommandSummary[], name: string): CommandSummary {
  const found = commands.find((c) => c.name === name);
  if (found) return found;
  const nearest = skillKit().nearestName(name, commands.map((c) => c.name));
  const suggestion = nearest ? `did you mean ${nearest}? ` : '';
  throw new InputError('name', `unknown skill "${name}"; ${suggestion}the skills are: ${commands.map((c) => c.name).join(', ') || '(none)'}`, {
    hint: 'Run `pgcluster skills list`.',
  });
}

/**
 * The generated SKILL.md of a skill: `skills/<category>/<name>/SKILL.md` (or flat
 * `skills/<name>/SKILL.md`) in the skills folder (see {@link findSkillsDir}).
 *
 * @throws PgClusterError (`INTERNAL`) when no skills folder is found.
 * @example
 * ```ts
 * readFileSync(findSkillMd({ name: 'cluster-status', category: 'operations' }), 'utf8')
 * ```
 */
/**
 * Every generated SKILL.md an agent gets: one per skill command, then one per workflow
 * (`skills/workflow/<name>/`), by name.
 *
 * @example skillMdFiles(commands.summaries).map((f) => f.name) // ['cluster-backup', …, 'safe-maintenance', …]
 */
export function skillMdFiles(summaries: readonly { name: string; category: string }[]): { name: string; file: string }[] {
  const workflowsDir = join(findSkillsDir(), 'workflow');
  const workflows = existsSync(workflowsDir) ? readdirSync(workflowsDir).sort() : [];
  return [...summaries, ...workflows.map((name) => ({ name, category: 'workflow' }))].map((c) => ({ name: c.name, file: findSkillMd(c) }));
}

export function findSkillMd(skill: { name: string; category: string }, from: string = __dirname): string {
  const dir = findSkillsDir(from);
  const nested = join(dir, skill.category, skill.name, 'SKILL.md');
  return existsSync(nested) ? nested : join(dir, skill.name, 'SKILL.md');
}

/**
 * The generated skills folder: the nearest `skills/` above `from` holding `manifest.json` — the
 * workspace root's in the repository, the package's own when the skills ship inside it.
 *
 * @throws PgClusterError (`INTERNAL`) when there is none.
 * @example
 * ```ts
 * readFileSync(join(findSkillsDir(), 'manifest.json'), 'utf8')
 * ```
 */
export function findSkillsDir(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'skills', 'manifest.json'))) return join(dir, 'skills');
    if (dirname(dir) === dir) {
      throw new PgClusterError('INTERNAL', `no skills folder (skills/manifest.json) found above ${from}`, {
        hint: 'Reinstall pgcluster, or run `pnpm skillgen` in the repository.',
      });
    }
  }
}

function formatTable(commands: readonly CommandSummary[]): string {
  if (commands.length === 0) return 'no skills\n';
  const rows = [['SKILL', 'CATEGORY', 'RISK', 'CONFIRM', 'DESCRIPTION'], ...commands.map((c) => [c.name, c.category, c.risk, c.requiresConfirmation ? 'yes' : 'no', c.describe])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}
