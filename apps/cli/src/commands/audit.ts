import { InputError, loadConfig } from '@pgcluster/core';
import type { AuditRecord, Format } from '@pgcluster/skill-kit';
import type { Argv, CommandModule } from 'yargs';
import type { GlobalArgs } from '../cli/global-options';
import { interruptSignal } from '../cli/interrupt-signal';
import { okEnvelope } from '../cli/report-error';
import { skillKit } from '../cli/skill-kit';
import { executeOptions, type CommandContext } from '../skill-command/skill-command';

interface AuditArgs extends GlobalArgs {
  id?: string;
  skill?: string;
  limit?: number;
}

/**
 * `pgcluster audit list | show <id> | undo <id>`: the audit log of the configured cluster
 * (`<stateDir>/audit/audit.jsonl`). `undo` runs the recorded rollback through the executor,
 * so it is validated, confirmable (`--yes`), can be dry-run and is audited itself.
 *
 * @example
 * ```ts
 * yargs(argv).command(auditCommand(context))
 * ```
 */
export function auditCommand(context: CommandContext): CommandModule {
  const { io, state } = context;
  const auditLog = (argv: AuditArgs) => {
    const loaded = loadConfig({ ...(argv.config !== undefined ? { path: argv.config } : {}), cwd: io.cwd, env: io.env });
    return skillKit().AuditLog.fromConfig(loaded);
  };
  const print = (format: Format, command: string, data: unknown, human: string) => {
    io.stdout(format === 'json' ? skillKit().renderJson(okEnvelope(command, data, Date.now())) : human);
  };
  const list: CommandModule<object, AuditArgs> = {
    command: 'list',
    describe: 'The newest audited runs first: id, time, skill, actor, status, and whether it can be undone (or was: "undone by <id>")',
    builder: (y) =>
      y
        .option('skill', { type: 'string', describe: "Only this skill's runs" })
        .option('limit', { type: 'number', default: 20, describe: 'At most this many' }) as unknown as Argv<AuditArgs>,
    handler: (argv) => {
      if (!Number.isInteger(argv.limit) || (argv.limit ?? 0) < 1) throw new InputError('--limit', `must be a positive integer (got ${JSON.stringify(argv.limit)})`);
      const log = auditLog(argv);
      // Undone-ness is read from every record: the run that undid one may be of another skill.
      const undone = skillKit().undoneRuns(log.list({ limit: Number.MAX_SAFE_INTEGER }));
      const records = log
        .list({ limit: argv.limit, ...(argv.skill !== undefined ? { skill: argv.skill } : {}) })
        .map((r) => (undone.has(r.id) ? { ...r, undoneBy: undone.get(r.id)! } : r));
      print(argv.format, 'audit list', { records }, formatRecords(records));
      state.code = 0;
    },
  };
  const show: CommandModule<object, AuditArgs> = {
    command: 'show <id>',
    describe: 'One audited run in full (a unique prefix of its id is enough)',
    builder: (y) => y.positional('id', { type: 'string', describe: 'The audit id (auditId in a JSON result)' }) as unknown as Argv<AuditArgs>,
    handler: (argv) => {
      const record = auditLog(argv).get(argv.id ?? '');
      if (!record) throw new InputError('id', `no audit record has the id "${argv.id}"`, { hint: 'Run `pgcluster audit list`.' });
      print(argv.format, 'audit show', record, formatRecord(record));
      state.code = 0;
    },
  };
  const undo: CommandModule<object, AuditArgs> = {
    command: 'undo <id>',
    describe: "Undo an audited run with its recorded rollback (through the executor: --dry-run shows the plan, --yes confirms)",
    builder: (y) => y.positional('id', { type: 'string', describe: 'The audit id of the run to undo' }) as unknown as Argv<AuditArgs>,
    handler: async (argv) => {
      const kit = skillKit();
      const interrupt = interruptSignal(io, 'audit undo');
      const envelope = await kit.undoAudit(argv.id ?? '', executeOptions(argv, context, interrupt.signal)).finally(interrupt.dispose);
      const text = await kit.renderEnvelope(envelope, argv.format);
      io.stdout(text.endsWith('\n') ? text : `${text}\n`);
      state.code = kit.exitCodeFor(envelope);
    },
  };
  return {
    command: 'audit',
    describe: 'The audit log: list runs, show one, undo one',
    builder: (y) => y.command(list).command(show).command(undo).demandCommand(1, 'Choose one: pgcluster audit list | show <id> | undo <id>'),
    handler: () => undefined,
  };
}

/** One record for a person: a verdict line, then its fields (empty ones left out). */
function formatRecord(record: AuditRecord): string {
  const verdict = `${record.id}: ${record.skill} ${record.outcome.status}${record.dryRun ? ' (dry run)' : ''} by ${record.actor} at ${record.time}`;
  const { id: _id, skill: _skill, ...rest } = record;
  return `${[verdict, '', ...skillKit().formatHumanValue(rest)].join('\n')}\n`;
}

function formatRecords(records: readonly (AuditRecord & { undoneBy?: string })[]): string {
  if (records.length === 0) return 'no audited runs\n';
  const rows = [
    ['ID', 'TIME', 'SKILL', 'ACTOR', 'STATUS', 'UNDO'],
    ...records.map((r) => [r.id, r.time, r.skill, r.actor, `${r.outcome.status}${r.dryRun ? ' (dry run)' : ''}`, undoColumn(r)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

function undoColumn(r: AuditRecord & { undoneBy?: string }): string {
  if (r.undoneBy) return `undone by ${r.undoneBy}`;
  if (r.undoOf) return `undid ${r.undoOf}`;
  return r.rollback ? 'yes' : '-';
}
