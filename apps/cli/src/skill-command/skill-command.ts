import type { SkillClass } from '@pgcluster/skill-kit';
import type { Argv, CommandModule, Options } from 'yargs';
import type { CliIo } from '../cli/cli-io';
import type { GlobalArgs } from '../cli/global-options';
import { interruptSignal } from '../cli/interrupt-signal';
import { skillKit } from '../cli/skill-kit';
import { collectInput } from './collect-input';
import type { CommandCatalog, GeneratedCommand, GeneratedFlag } from './generated-command';

/** What a command handler reports back to `main` (one per run: no module-level state). */
export interface RunState {
  /** The exit code, once a handler has finished. */
  code?: number;
}

/** Shared by every command of one `main` run. */
export interface CommandContext {
  io: CliIo;
  state: RunState;
  /** Every generated skill command (for `resolveSkill`, `skills`, undo). */
  commands: CommandCatalog;
}

/**
 * The yargs command for a generated skill: a flag per input field, `--input`, help text,
 * examples and an epilog from the metadata; its handler runs the skill through the executor.
 *
 * @example
 * ```ts
 * yargs(argv).command(skillCommand(clusterStatusCommand, context))
 * ```
 */
export function skillCommand(command: GeneratedCommand, context: CommandContext): CommandModule<object, Record<string, unknown>> {
  return {
    command: command.name,
    describe: command.describe,
    builder: (y: Argv) => {
      let built = y.usage(`$0 ${command.name} [flags]\n\n${command.description}`);
      for (const flag of command.flags) built = built.option(flag.name, flagOption(flag));
      built = built.option('input', {
        type: 'string',
        group: 'Skill input:',
        describe: 'The whole input as JSON, exactly the input schema in skills/manifest.json (- reads it from stdin); flags override its fields',
      });
      for (const example of command.examples) built = built.example(example.command, example.title);
      const safety = [
        `Risk: ${command.risk}.`,
        command.requiresConfirmation ? 'Requires confirmation: refuses (exit 3) without --yes.' : '',
        command.risk === 'read' ? '' : 'Try --dry-run first; `pgcluster audit undo <id>` reverts a run where it can.',
        `Full guide: pgcluster skills show ${command.name}`,
      ].filter(Boolean);
      return built.epilog(safety.join(' '));
    },
    handler: async (argv) => {
      context.state.code = await runSkill(command, argv as unknown as Record<string, unknown> & GlobalArgs, context);
    },
  };
}

function flagOption(flag: GeneratedFlag): Options {
  const notes = [flag.description, flag.required ? '(required)' : '', flag.default !== undefined ? `[default: ${JSON.stringify(flag.default)}]` : ''];
  const option: Options = { group: 'Skill input:', describe: notes.filter(Boolean).join(' ') };
  switch (flag.type) {
    case 'boolean':
      option.type = 'boolean';
      break;
    case 'number':
    case 'integer':
      option.type = 'number';
      break;
    case 'array':
      // Strings, converted by collectInput: accepts `--v 1 2 3`, `--v 1 --v 2` and `--v '[1,2,3]'`.
      option.array = true;
      option.type = 'string';
      break;
    default:
      option.type = 'string';
  }
  if (flag.choices) option.choices = [...flag.choices];
  return option;
}

/**
 * Runs one skill command: collects the input, loads the skill's package, runs it through
 * `executeSkill` (actor `cli`), prints the rendered envelope on stdout and returns its exit code.
 * SIGINT or SIGTERM stops the run as a timeout does (queries cancelled, programs killed) and
 * still prints its envelope (`ABORTED`, exit 2); a second signal exits at once.
 */
export async function runSkill(command: GeneratedCommand, argv: Record<string, unknown> & GlobalArgs, context: CommandContext): Promise<number> {
  const { io } = context;
  const input = await collectInput(command, argv, io.readStdin);
  const kit = skillKit();
  const skillClass = command.load();
  // Progress goes to this process's stderr: a bar on a terminal, plain lines otherwise.
  const log = kit.createStderrLogger({ prefix: command.name, env: io.env, write: io.stderr, tty: io.stderrIsTTY === true });
  const interrupt = interruptSignal(io, command.name);
  const envelope = await kit.executeSkill(skillClass, input, { ...executeOptions(argv, context, interrupt.signal), log }).finally(interrupt.dispose);
  log.endProgress();
  const color = io.stdoutIsTTY === true && !io.env['NO_COLOR'];
  const text = await kit.renderEnvelope(envelope, argv.format, kit.getSkillMeta(skillClass), { color, ...(io.columns ? { width: io.columns } : {}) });
  io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  return kit.exitCodeFor(envelope);
}

/**
 * The executor options of a CLI run (skill or `audit undo`) from its global flags, stopped by `signal`.
 * @example
 * ```ts
 * await executeSkill(skillClass, input, executeOptions(argv, context, interrupt.signal))
 * ```
 */
export function executeOptions(argv: GlobalArgs, context: CommandContext, signal: AbortSignal) {
  const { io, commands } = context;
  return {
    actor: 'cli' as const,
    dryRun: argv.dryRun,
    yes: argv.yes,
    ...(argv.timeout !== undefined ? { timeoutMs: argv.timeout } : {}),
    signal,
    loadConfig: { ...(argv.config !== undefined ? { path: argv.config } : {}), cwd: io.cwd, env: io.env },
    resolveSkill: (name: string) => resolveSkill(commands, name),
  };
}

/** The skill class with this name, loading only its own command module and package. */
export function resolveSkill(commands: CommandCatalog, name: string): SkillClass | undefined {
  return commands.load(name)?.load();
}
