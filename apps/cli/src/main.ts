import type { Argv, CommandModule } from 'yargs';
import { processIo, type CliIo } from './cli/cli-io';
import { cliPackage } from './cli/cli-package';
import { GLOBAL_OPTIONS, formatOf } from './cli/global-options';
import { GENERATED_COMMANDS } from './generated';
import type { CommandCatalog } from './skill-command/generated-command';
import { parseSkillArgs } from './skill-command/parse-skill-args';
import type { CommandContext } from './skill-command/skill-command';

/** Options of {@link main} beyond the arguments (for tests and embedding). */
export interface MainOptions {
  io?: CliIo;
  /** The skill commands; default: the generated ones. */
  commands?: CommandCatalog;
}

/**
 * The built-in commands besides the skills: their one-line help for command lists, their
 * subcommands (to name the command in errors), and their module, required only when the command runs.
 */
const BUILTINS: Readonly<Record<string, { command: string; subcommands: readonly string[]; describe: string; load: (context: CommandContext) => CommandModule }>> = {
  skills: {
    command: 'skills',
    subcommands: ['list', 'show', 'install'],
    describe: 'List, show or install the generated skills (SKILL.md files for Claude Code)',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/skills') as typeof import('./commands/skills')).skillsCommand(context),
  },
  audit: {
    command: 'audit',
    subcommands: ['list', 'show', 'undo'],
    describe: 'The audit log: list runs, show one, undo one',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/audit') as typeof import('./commands/audit')).auditCommand(context),
  },
  workflow: {
    command: 'workflow',
    subcommands: ['list', 'show', 'run'],
    describe: 'Workflows: named chains of skills with conditions, a dry run of the whole chain and rollbacks (list, show, run)',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/workflow') as typeof import('./commands/workflow')).workflowCommand(context),
  },
  mcp: {
    command: 'mcp',
    subcommands: [],
    describe: 'Serve every skill and workflow as a tool to MCP clients (Model Context Protocol over stdio)',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/mcp') as typeof import('./commands/mcp')).mcpCommand(context) as CommandModule,
  },
  plugin: {
    command: 'plugin',
    subcommands: ['build'],
    describe: 'Build a Claude Code plugin holding every skill, a DBA subagent and the MCP server',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/plugin') as typeof import('./commands/plugin')).pluginCommand(context),
  },
  dashboard: {
    command: 'dashboard',
    subcommands: [],
    describe: 'Serve the operations dashboard: cluster, skill analytics, agent and vector collections on one local web page',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/dashboard') as typeof import('./commands/dashboard')).dashboardCommand(context) as CommandModule,
  },
  agent: {
    command: 'agent',
    subcommands: ['run', 'pause', 'resume', 'status', 'report'],
    describe: 'The autonomous DBA: run it, pause or resume it, its status and its report',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/agent') as typeof import('./commands/agent')).agentCommand(context),
  },
  dev: {
    command: 'dev',
    subcommands: ['up', 'status', 'down', 'rejoin'],
    describe: 'Run a local development cluster (PostgreSQL 15 + pgvector, a primary and streaming replicas)',
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: (context) => (require('./commands/dev') as typeof import('./commands/dev')).devCommand(context),
  },
};

/**
 * Runs the `pgcluster` command line and returns its exit code: 0 ok/healthy, 1 degraded or
 * needs attention, 2 error (bad input or flags, unreachable cluster, failed action),
 * 3 refused (confirmation required).
 *
 * Commands: one per skill (`pgcluster cluster-status [flags]`, generated from the skill
 * metadata), `skills list|show|install`, `audit list|show|undo`, `workflow list|show|run`, `mcp`, `plugin build`, `agent`, `dashboard`, `dev up|status|down`.
 * Only the command that runs is registered and loaded (with its skill's package); `--help`,
 * `--version` and an unknown command list every command from the generated summaries and load
 * no command module, no domain package, not even `@pgcluster/core`.
 * With `--format json`, stdout carries exactly one JSON document, errors included.
 *
 * @example
 * ```ts
 * process.exitCode = await main(['cluster-status', '--format', 'json'])
 * ```
 */
export async function main(rawArgv: string[], options: MainOptions = {}): Promise<number> {
  const argv = joinStdinDash(rawArgv);
  const io = options.io ?? processIo();
  if (argv.length === 1 && argv[0] === '--version') {
    // Answered before yargs loads: the same text yargs prints, in a fraction of the time.
    io.stdout(`${cliVersion()}\n`);
    return 0;
  }
  const commands = options.commands ?? GENERATED_COMMANDS;
  const context: CommandContext = { io, state: {}, commands };
  const commandName = commandNameOf(argv, commands);
  try {
    const fast = fastSkillArgs(argv, commands);
    if (fast) {
      // A skill with well-formed, known flags runs without yargs; anything else (help, a typo) goes through it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runSkill } = require('./skill-command/skill-command') as typeof import('./skill-command/skill-command');
      return await runSkill(fast.command, fast.args, context);
    }
    const output = await parse(buildParser(argv, context), argv);
    if (output) io.stdout(output.endsWith('\n') ? output : `${output}\n`);
    if (context.state.code !== undefined) return context.state.code;
    // `dev` handlers report through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reporting().reportError(error, commandName, formatOf(argv), io);
  }
}

function buildParser(argv: string[], context: CommandContext): Argv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const yargs = require('yargs/yargs') as typeof import('yargs/yargs');
  let parser = yargs(argv)
    .scriptName('pgcluster')
    .locale('en')
    .usage(
      '$0 <command> [flags]\n\n' +
        'Operate a PostgreSQL + pgvector cluster safely. Every skill is a command; add --format json to read its result\n' +
        'as one JSON document (exit 0 ok, 1 needs attention, 2 error, 3 refused without --yes).',
    )
    .options(GLOBAL_OPTIONS)
    .group(Object.keys(GLOBAL_OPTIONS), 'Global flags:');
  for (const command of commandsToRegister(argv, context)) parser = parser.command(command);
  return parser
    .demandCommand(1, 'Name a command: a skill (pgcluster skills list), skills, audit, workflow, mcp, plugin, agent, dashboard or dev.')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(cliVersion())
    .wrap(Math.min(120, yargs().terminalWidth()))
    .epilog('Skills: pgcluster skills list. Guide for one skill: pgcluster skills show <skill>.')
    .exitProcess(false)
    .fail((message, error) => {
      const { UsageError, isPgClusterError, withNameSuggestions } = reporting();
      if (isPgClusterError(error)) throw error;
      const command = commandNameOf(argv, context.commands);
      const hint = `Run \`pgcluster ${command === 'pgcluster' ? '' : `${command} `}--help\` for the flags and commands.`;
      // yargs reports bad flags (and wraps errors thrown while coercing one) as YError.
      if (!error || error.name === 'YError') throw new UsageError(withNameSuggestions(error ? cleanYargsMessage(error.message) : message, command, context.commands, argv), hint);
      throw error;
    });
}

/**
 * The command modules this run needs: only the one the arguments name (a skill, `skills`,
 * `audit` or `dev`), loaded; else (help, version, a typo) every command as a name and a line of
 * help, so yargs can list them and suggest the nearest, without loading any.
 */
function commandsToRegister(argv: readonly string[], context: CommandContext): CommandModule[] {
  const first = positionalWords(argv, context.commands)[0];
  const named = first !== undefined && (Object.hasOwn(BUILTINS, first) || context.commands.summaries.some((c) => c.name === first)) ? first : undefined;
  if (named !== undefined) {
    if (Object.hasOwn(BUILTINS, named)) return [BUILTINS[named]!.load(context)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { skillCommand } = require('./skill-command/skill-command') as typeof import('./skill-command/skill-command');
    return [skillCommand(context.commands.load(named)!, context)];
  }
  const listed = [...Object.values(BUILTINS), ...context.commands.summaries.map((c) => ({ command: c.name, describe: c.describe }))];
  return listed.map(({ command, describe }) => ({ command, describe, handler: () => undefined }));
}

/** The skill command and its parsed flags when `parseSkillArgs` can take them without yargs. */
function fastSkillArgs(argv: readonly string[], commands: CommandCatalog) {
  const name = argv[0];
  if (name === undefined || !commands.summaries.some((c) => c.name === name)) return undefined;
  const command = commands.load(name);
  const args = command && parseSkillArgs(command, argv);
  return command && args ? { command, args } : undefined;
}

/** Error reporting, loaded when something fails (it needs @pgcluster/core and the renderers). */
function reporting() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PgClusterError } = require('@pgcluster/core') as typeof import('@pgcluster/core');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { reportError, UsageError } = require('./cli/report-error') as typeof import('./cli/report-error');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { withNameSuggestions } = require('./cli/suggest-names') as typeof import('./cli/suggest-names');
  return { reportError, UsageError, withNameSuggestions, isPgClusterError: (error: unknown) => error instanceof PgClusterError };
}

/** Parses, resolving with the help/version text yargs produced (if any), after async handlers finish. */
function parse(parser: Argv, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    parser
      .parseAsync(argv, {}, (error, _args, text) => {
        output = text ?? '';
        if (error) reject(error);
      })
      .then(() => resolve(output), reject);
  });
}

/** yargs reads a lone `-` as a positional argument: `--input -` becomes `--input=-`. */
function joinStdinDash(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--input' && argv[i + 1] === '-') {
      out.push('--input=-');
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

/**
 * The positional words of the arguments: flags left out with their values (`--format json`),
 * so a flag's value is never taken for a command. A flag other than the boolean globals takes
 * the next word as its value — unless that word names a command.
 */
function positionalWords(argv: readonly string[], commands: CommandCatalog): string[] {
  const isCommand = (word: string) => Object.hasOwn(BUILTINS, word) || commands.summaries.some((c) => c.name === word);
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...words, ...argv.slice(i + 1)];
    if (!arg.startsWith('-') || arg === '-') {
      words.push(arg);
      continue;
    }
    if (arg.includes('=') || GLOBAL_OPTIONS[arg.replace(/^--?(no-)?/, '')]?.type === 'boolean') continue;
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('-') && !(words.length === 0 && isCommand(next))) i++;
  }
  return words;
}

/** The command the arguments name (`cluster-status`, `skills list`), for error envelopes. */
function commandNameOf(argv: readonly string[], commands: CommandCatalog): string {
  const words = positionalWords(argv, commands);
  const first = words[0];
  if (first === undefined) return 'pgcluster';
  if (commands.summaries.some((c) => c.name === first)) return first;
  if (!Object.hasOwn(BUILTINS, first)) return 'pgcluster';
  const sub = words[1];
  return sub !== undefined && BUILTINS[first]!.subcommands.includes(sub) ? `${first} ${sub}` : first;
}

/** yargs prefixes errors thrown in a coerce function with nothing useful; keep our own message. */
function cleanYargsMessage(message: string): string {
  return message.replace(/^.*?(--[a-z-]+: )/, '$1');
}

function cliVersion(): string {
  try {
    return cliPackage().version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
