import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';
import yargs from 'yargs/yargs';
import type { Argv } from 'yargs';
import { processIo, type CliIo } from './cli/cli-io';
import { GLOBAL_OPTIONS, formatOf } from './cli/global-options';
import { reportError, UsageError } from './cli/report-error';
import { withNameSuggestions } from './cli/suggest-names';
import { auditCommand } from './commands/audit';
import { devCommand } from './commands/dev';
import { skillsCommand } from './commands/skills';
import { GENERATED_COMMANDS } from './generated';
import type { GeneratedCommand } from './skill-command/generated-command';
import { skillCommand, type CommandContext } from './skill-command/skill-command';

/** Options of {@link main} beyond the arguments (for tests and embedding). */
export interface MainOptions {
  io?: CliIo;
  /** The skill commands; default: the generated ones. */
  commands?: readonly GeneratedCommand[];
}

/**
 * Runs the `pgcluster` command line and returns its exit code: 0 ok/healthy, 1 degraded or
 * needs attention, 2 error (bad input or flags, unreachable cluster, failed action),
 * 3 refused (confirmation required).
 *
 * Commands: one per skill (`pgcluster cluster-status [flags]`, generated from the skill
 * metadata), `skills list|show|install`, `audit list|show|undo`, `dev up|status|down`.
 * Skill packages are loaded only by the command that runs one, so `--help` stays fast.
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
  const commands = options.commands ?? GENERATED_COMMANDS;
  const context: CommandContext = { io, state: {}, commands };
  const commandName = commandNameOf(argv, commands);
  try {
    const output = await parse(buildParser(argv, context), argv);
    if (output) io.stdout(output.endsWith('\n') ? output : `${output}\n`);
    if (context.state.code !== undefined) return context.state.code;
    // `dev` handlers report through process.exitCode.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportError(error, commandName, formatOf(argv), io);
  }
}

function buildParser(argv: string[], context: CommandContext): Argv {
  let parser = yargs(argv)
    .scriptName('pgcluster')
    .locale('en')
    .usage(
      '$0 <command> [flags]\n\n' +
        'Operate a PostgreSQL + pgvector cluster safely. Every skill is a command; add --format json to read its result\n' +
        'as one JSON document (exit 0 ok, 1 needs attention, 2 error, 3 refused without --yes).',
    )
    .options(GLOBAL_OPTIONS)
    .group(Object.keys(GLOBAL_OPTIONS), 'Global flags:')
    .command(devCommand(context))
    .command(skillsCommand(context))
    .command(auditCommand(context));
  for (const command of context.commands) parser = parser.command(skillCommand(command, context));
  return parser
    .demandCommand(1, 'Name a command: a skill (pgcluster skills list), skills, audit or dev.')
    .strict()
    .recommendCommands()
    .help()
    .alias('help', 'h')
    .version(cliVersion())
    .wrap(Math.min(120, yargs().terminalWidth()))
    .epilog('Skills: pgcluster skills list. Guide for one skill: pgcluster skills show <skill>.')
    .exitProcess(false)
    .fail((message, error) => {
      if (error instanceof PgClusterError) throw error;
      const command = commandNameOf(argv, context.commands);
      const hint = `Run \`pgcluster ${command === 'pgcluster' ? '' : `${command} `}--help\` for the flags and commands.`;
      // yargs reports bad flags (and wraps errors thrown while coercing one) as YError.
      if (!error || error.name === 'YError') throw new UsageError(withNameSuggestions(error ? cleanYargsMessage(error.message) : message, command, context.commands), hint);
      throw error;
    });
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

/** The command the arguments name (`cluster-status`, `skills list`), for error envelopes. */
function commandNameOf(argv: readonly string[], commands: readonly GeneratedCommand[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  const first = words[0];
  if (first === undefined) return 'pgcluster';
  if (commands.some((c) => c.name === first)) return first;
  if (!['skills', 'audit', 'dev'].includes(first)) return 'pgcluster';
  return words[1] !== undefined ? `${first} ${words[1]}` : first;
}

/** yargs prefixes errors thrown in a coerce function with nothing useful; keep our own message. */
function cleanYargsMessage(message: string): string {
  return message.replace(/^.*?(--[a-z-]+: )/, '$1');
}

function cliVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
