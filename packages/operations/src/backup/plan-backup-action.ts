import { join } from 'node:path';
import { SERVER_INVENTORY_FILE, type ClusterConfig } from '@pgcluster/core';
import type { ActionInput, ActionName, PlanStep } from '@pgcluster/skill-kit';
import { backupsDir, findBackup } from './backup-catalogue';
import type { ClusterBackupInput, ClusterRestoreInput } from './backup-skill-schema';
import { pruneBackups } from './prune-backups';
import { RESTORE_MARK } from './restore-backup';
import { pgbackrestArchiveCommand } from './pgbackrest';
import { archiveCommand, ARCHIVE_SCRIPT, readArchivingState, resolveArchiveDir, restoreCommand, walDir } from './wal-archive';
import { chooseBaseBackup, type RecoveryTarget } from './point-in-time';
import { REPLACED_MARK } from './replace-cluster';

const ON_PRIMARY = 'the primary (resolved when it runs)';
const CREDENTIALS = 'PGHOST/PGPORT/PGUSER of the primary, PGPASSWORD=*** (environment, never argv)';

/** The input of one `cluster-backup` action. */
type BackupIn<K extends ActionName<typeof ClusterBackupInput>> = ActionInput<typeof ClusterBackupInput, K>;
/** The input of one `cluster-restore` action. */
type RestoreIn<K extends ActionName<typeof ClusterRestoreInput>> = ActionInput<typeof ClusterRestoreInput, K>;

/**
 * What a `cluster-backup` action would do through pgBackRest (`--backend pgbackrest`): its command line.
 * @example
 * ```ts
 * planPgbackrest(stateDir, 'info --output=json')
 * ```
 */
export function planPgbackrest(stateDir: string, args: string): PlanStep[] {
  const archive = readArchivingState(stateDir);
  const conf = archive?.backend === 'pgbackrest' ? join(archive.archiveDir, 'pgbackrest.conf') : '<not set up: refused; run enable-archiving --backend pgbackrest>';
  return [{ kind: 'command', target: 'local', text: `as the postgres OS user: pgbackrest --config=${conf} --stanza=pgcluster ${args}` }];
}

/**
 * What each `cluster-backup` action would do, without connecting anywhere: statements and
 * command lines (credentials by name only). verify and prune read the local catalogue.
 * @example
 * ```ts
 * backupPlans.backup(config, stateDir, { action: 'backup', databases: ['project'] })
 * ```
 */
export const backupPlans = {
  backup(config: ClusterConfig, stateDir: string, input: BackupIn<'backup'>): PlanStep[] {
    if (input.backend === 'pgbackrest') return planPgbackrest(stateDir, `backup --type=${input.type ?? 'incr (full when there is none)'}`);
    const dir = join(backupsDir(stateDir), '<new id>');
    const steps: PlanStep[] = [{ kind: 'sql', target: ON_PRIMARY, text: "select pg_current_wal_lsn(), current_setting('server_version')" }];
    if (input.kind === 'physical') {
      steps.push({ kind: 'command', target: ON_PRIMARY, text: `${CREDENTIALS}: pg_basebackup --pgdata ${join(dir, 'base')} --wal-method=stream --checkpoint=fast --manifest-checksums=CRC32C --no-password` });
      steps.push({ kind: 'command', target: 'local', text: `pg_verifybackup --quiet ${join(dir, 'base')}` });
    } else {
      const dbs = input.databases?.map((d) => config.databases[d] ?? d) ?? (Object.values(config.databases).length ? Object.values(config.databases) : ["<the node URL's database>"]);
      for (const db of dbs) {
        steps.push({ kind: 'command', target: ON_PRIMARY, text: `${CREDENTIALS}, PGDATABASE=${db}: pg_dump --format=custom --no-password --file ${join(dir, `${db}.dump`)}` });
        steps.push({ kind: 'command', target: 'local', text: `pg_restore --list ${join(dir, `${db}.dump`)}` });
      }
    }
    steps.push({ kind: 'file', target: join(backupsDir(stateDir), 'catalogue.json'), text: 'append the entry: id, kind, databases, size, sha256, LSN, duration, path' });
    return steps;
  },
  list(stateDir: string, input: BackupIn<'list'>): PlanStep[] {
    if (input.backend === 'pgbackrest') return planPgbackrest(stateDir, 'info --output=json');
    return [{ kind: 'file', target: join(backupsDir(stateDir), 'catalogue.json'), text: 'read the catalogue; changes nothing' }];
  },
  verify(stateDir: string, id: string): PlanStep[] {
    const record = findBackup(stateDir, id);
    const folder = join(backupsDir(stateDir), record.path);
    const steps: PlanStep[] = record.files.map((f) => ({ kind: 'file', target: join(folder, f.name), text: `compare size and sha256 with the catalogue (${f.sha256.slice(0, 12)}…)` }));
    if (record.kind === 'logical') for (const f of record.files) steps.push({ kind: 'command', target: 'local', text: `pg_restore --list ${join(folder, f.name)}` });
    else steps.push({ kind: 'command', target: 'local', text: `pg_verifybackup --quiet ${join(folder, 'base')}` });
    return steps;
  },
  async prune(stateDir: string, input: BackupIn<'prune'>): Promise<PlanStep[]> {
    const dry = await pruneBackups({ stateDir }, { keep: input.keep, kind: input.kind, dryRun: true });
    const steps: PlanStep[] = dry.removed.map((r) => ({
      kind: 'file',
      target: join(backupsDir(stateDir), r.id),
      text: `delete backup ${r.id} (${r.size} bytes, ${r.soundness}: ${r.reason}) and its catalogue entry`,
    }));
    steps.push({ kind: 'note', target: 'catalogue', text: `keep ${dry.kept.length}: ${dry.kept.join(', ') || 'none'}; frees ${dry.freedBytes} bytes` });
    if (dry.removed.some((r) => r.soundness !== 'failed')) steps.push({ kind: 'note', target: 'confirmation', text: 'deleting a verified or never-checked backup needs --yes' });
    return steps;
  },
  enableArchiving(stateDir: string, input: BackupIn<'enable-archiving'>): PlanStep[] {
    const dir = resolveArchiveDir(stateDir, input.archiveDir);
    const pgbr = input.backend === 'pgbackrest';
    const command = pgbr ? pgbackrestArchiveCommand(dir) : archiveCommand(dir);
    return [
      pgbr
        ? { kind: 'file', target: join(dir, 'pgbackrest.conf'), text: `write pgBackRest's configuration (repository ${join(dir, 'pgbackrest')}, the primary's data directory and unix socket, process-max ${input.processMax ?? 2}, compress ${input.compress ?? 'lz4'}; no password); owner postgres, mode 600; then pgbackrest stanza-create as postgres` }
        : { kind: 'file', target: join(dir, 'bin', ARCHIVE_SCRIPT), text: `write the archive script (copies a WAL file into ${walDir(dir)}, never overwrites a segment with different content); owner postgres, mode 700` },
      { kind: 'note', target: 'every node (replicas first, then the primary)', text: 'read data_directory, archive_mode, archive_command; refused when a node is unreachable or its data directory is not on this machine' },
      { kind: 'file', target: join(backupsDir(stateDir), 'archiving.json'), text: "record every node's archive_mode and archive_command before the change (disable-archiving puts them back)" },
      { kind: 'sql', target: 'every node', text: `alter system set archive_mode = '${pgbr ? 'on' : 'always'}';\nalter system set archive_command = '${command.replace(/'/g, "''")}'` },
      { kind: 'command', target: 'every node whose archive_mode changes', text: 'pg_ctl stop -m fast, then pg_ctl start -w (a restart: sessions are cut); a node already set is reloaded instead' },
      { kind: 'sql', target: ON_PRIMARY, text: `select pg_switch_wal() -- then wait until pg_stat_archiver.last_archived_wal reaches that segment${pgbr ? '; then pgbackrest check' : ''}` },
    ];
  },
  disableArchiving(stateDir: string): PlanStep[] {
    const state = readArchivingState(stateDir);
    if (!state?.enabled) return [{ kind: 'note', target: 'archiving', text: 'archiving was not enabled by pgcluster: refused, nothing changes' }];
    return [
      ...state.nodes.map((n) => ({ kind: 'sql' as const, target: n.name, text: `alter system set archive_mode = '${n.previous.archive_mode}'; ${n.previous.archive_command ? `alter system set archive_command = '${n.previous.archive_command.replace(/'/g, "''")}'` : 'alter system reset archive_command'} -- then a restart when archive_mode changes` })),
      { kind: 'note', target: state.archiveDir, text: 'the archive is kept' },
    ];
  },
  restorePoint(stateDir: string, input: BackupIn<'restore-point'>): PlanStep[] {
    return [
      { kind: 'sql', target: ON_PRIMARY, text: `select pg_create_restore_point('${input.name}')` },
      { kind: 'file', target: join(backupsDir(stateDir), 'restore-points.json'), text: 'record its name, LSN and time' },
    ];
  },
  drill(input: BackupIn<'drill'>): PlanStep[] {
    return [
      { kind: 'note', target: 'backup', text: `${input.id ?? 'the latest physical backup'}: verify it (sizes, checksums, pg_verifybackup); a damaged one fails the drill here` },
      { kind: 'sql', target: ON_PRIMARY, text: "begin isolation level repeatable read read only (one per database, held); select pg_create_restore_point('drill-<time>'); sum every table's rows; select pg_switch_wal()" },
      { kind: 'command', target: 'local', text: `copy the backup into ${input.dataDir ?? '<temp dir>/pgcluster-drill-<random>'}, recover it with WAL from the archive to that restore point on a free port, promote it` },
      { kind: 'sql', target: 'the throwaway copy', text: "sum every table's rows the same way and compare" },
      { kind: 'command', target: 'local', text: 'stop the copy and delete its folder' },
    ];
  },
};

/**
 * What each `cluster-restore` action would do, without connecting anywhere.
 * @example
 * ```ts
 * restorePlans.backup(stateDir, { action: 'restore', id, target: 'app_check', keepPrevious: true, start: false }, id)
 * ```
 */
export const restorePlans = {
  undo(stateDir: string, input: RestoreIn<'undo'>): PlanStep[] {
    if (input.replaced) {
      return [
        { kind: 'file', target: input.replaced, text: `check that it holds a data directory a replace kept (${REPLACED_MARK}) and that the primary runs from the data directory it names; refused otherwise` },
        { kind: 'command', target: ON_PRIMARY, text: `pg_ctl stop -m fast; rename its data directory to <dataDir>.undone-<time> (kept: the writes since the replace); rename ${input.replaced} to <dataDir>; pg_ctl start` },
        { kind: 'command', target: 'every replica', text: 'pg_ctl stop; pg_basebackup from the primary into its place (its own configuration kept); pg_ctl start' },
      ];
    }
    if (input.dataDir) {
      return [
        { kind: 'file', target: input.dataDir, text: `check that it holds a physical restore (${RESTORE_MARK}); refused otherwise` },
        { kind: 'command', target: input.dataDir, text: `pg_ctl stop -D ${input.dataDir} -m fast (when a node runs from it; as the postgres OS user under root), then forget it in ${join(stateDir, SERVER_INVENTORY_FILE)}` },
        { kind: 'file', target: input.dataDir, text: `delete ${input.dataDir}` },
      ];
    }
    return [
      {
        kind: 'file',
        target: join(backupsDir(stateDir), 'restores.json'),
        text: `find ${input.restore ? `restore ${input.restore}` : 'the latest restore'} into ${input.target} (refused when already undone); later restores into it are undone with it, the databases they kept are left in place`,
      },
      { kind: 'sql', target: ON_PRIMARY, text: `drop database if exists "${input.target}" with (force) -- then, if the restore replaced it: alter database "<previous>" rename to "${input.target}"` },
    ];
  },
  /** A point-in-time restore (`--to-time`, `--to-lsn`, `--to-restore-point`). */
  toPoint(stateDir: string, input: RestoreIn<'restore'>, target: RecoveryTarget): PlanStep[] {
    const state = readArchivingState(stateDir);
    const archive = state?.archiveDir;
    if (input.backend === 'pgbackrest') {
      const dataDir = input.dataDir ?? join(stateDir, 'restores', 'pgbackrest-<time>');
      return [
        { kind: 'sql', target: ON_PRIMARY, text: 'select pg_switch_wal() -- then wait until it is archived (skipped when the primary is unreachable)' },
        { kind: 'command', target: 'local', text: `as the postgres OS user: pgbackrest --config=${archive ?? '<archive>'}/pgbackrest.conf --stanza=pgcluster restore --pg1-path=${dataDir} --type=${target.kind} --target=<target> --target-action=pause --archive-mode=off` },
        { kind: 'command', target: 'local', text: `start it on port ${input.port ?? '<a free one>'}, wait until recovery pauses at the target, read the LSN and last transaction time, then pg_promote()` },
      ];
    }
    if (!archive) return [{ kind: 'note', target: 'archiving', text: 'WAL archiving was never enabled: a point-in-time restore is refused, nothing changes' }];
    const chosen = chooseBaseBackup(stateDir, target, input.id);
    const dataDir = input.dataDir ?? join(stateDir, 'restores', `${chosen.id}-<suffix>`);
    return [
      { kind: 'sql', target: ON_PRIMARY, text: 'select pg_switch_wal() -- then wait until it is archived (skipped when the primary is unreachable)' },
      { kind: 'note', target: join(backupsDir(stateDir), chosen.path), text: `base backup ${chosen.id} (the newest that finished before the target); verify it first` },
      { kind: 'file', target: dataDir, text: `copy it here (owner postgres, mode 700); postgresql.auto.conf: port ${input.port ?? '<a free one>'}, archive_mode off, restore_command = '${restoreCommand(archive)}', ${recoveryLine(target)}, recovery_target_action = 'pause'; recovery.signal` },
      { kind: 'command', target: 'local', text: `pg_ctl --pgdata ${dataDir} --wait start, wait until recovery pauses at the target, read pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp(), then pg_promote()` },
    ];
  },
  /** A point-in-time restore that replaces the cluster (`--replace`). */
  replace(loaded: { config: ClusterConfig; stateDir: string }, input: RestoreIn<'restore'>, target: RecoveryTarget): PlanStep[] {
    if (loaded.config.patroni || !loaded.config.nodes) return [{ kind: 'note', target: 'cluster', text: 'Patroni manages this cluster: --replace is refused (not supported yet), nothing changes' }];
    const archive = readArchivingState(loaded.stateDir)?.archiveDir;
    if (!archive) return [{ kind: 'note', target: 'archiving', text: 'WAL archiving was never enabled: a point-in-time restore is refused, nothing changes' }];
    const chosen = chooseBaseBackup(loaded.stateDir, target, input.id);
    const names = loaded.config.nodes.map((n) => n.name).join(', ');
    const point = recoveryLine(target);
    return [
      { kind: 'note', target: names, text: 'every node must answer and run from a data directory on this machine (static topology); read the primary\'s data_directory, port and physical replication slots, each replica\'s primary_slot_name; refused otherwise, nothing changes' },
      { kind: 'sql', target: ON_PRIMARY, text: 'select pg_switch_wal() -- then wait until it is archived' },
      { kind: 'note', target: join(backupsDir(loaded.stateDir), chosen.path), text: `base backup ${chosen.id} (the newest that finished before the target); verify it first` },
      { kind: 'file', target: '<primary dataDir>.restoring-<time>', text: `copy it beside the primary's data directory (owner postgres, mode 700); restore_command = '${restoreCommand(archive)}', ${point}, recovery_target_action = 'pause'; recovery.signal; start it on a free port until recovery pauses at the target, then stop it. A failure until here removes it; the cluster is untouched` },
      { kind: 'command', target: ON_PRIMARY, text: 'pg_ctl stop -m fast (writes stop here)' },
      { kind: 'file', target: '<primary dataDir>', text: `rename it to <dataDir>.replaced-<time> (kept for undo, marked with ${REPLACED_MARK}); rename the recovered copy to <dataDir>; copy the primary's postgresql.conf, postgresql.auto.conf, pg_hba.conf, pg_ident.conf into it (port, archiving, access) plus the recovery settings` },
      { kind: 'command', target: ON_PRIMARY, text: 'pg_ctl start on its port; wait until recovery pauses at the target, read pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp(), pg_promote() (a new timeline, archived); postgresql.auto.conf back to the primary\'s' },
      { kind: 'sql', target: ON_PRIMARY, text: "select pg_create_physical_replication_slot(<each slot the old primary had, and each replica's>)" },
      { kind: 'note', target: 'on failure after the swap', text: 'stop it, put <dataDir>.replaced-<time> back as <dataDir>, start it: the cluster is as before' },
      { kind: 'command', target: 'every replica', text: 'pg_ctl stop; move its data directory aside; pg_basebackup -X stream -S <its slot> from the primary (password from its passfile); its own configuration files back, primary_conninfo and standby.signal; pg_ctl start; the old folder is deleted once it started' },
      { kind: 'note', target: 'undo', text: 'cluster-restore --action undo --replaced <dataDir>.replaced-<time> --yes (the rollback): stop the primary, keep its data directory as <dataDir>.undone-<time>, swap the kept one back, start it, re-clone the replicas' },
    ];
  },
  /** A restore of one backup (`--id`). */
  backup(stateDir: string, input: RestoreIn<'restore'>, id: string): PlanStep[] {
    const record = findBackup(stateDir, id);
    const folder = join(backupsDir(stateDir), record.path);
    const steps: PlanStep[] = [{ kind: 'note', target: folder, text: 'verify the backup first (sizes, sha256, pg_restore --list / pg_verifybackup); a damaged backup is not restored' }];
    if (record.kind === 'logical') {
      const db = input.database ?? record.databases[0] ?? '<database>';
      const target = input.target ?? `${db}_restored_<time>`;
      steps.push(
        { kind: 'sql', target: ON_PRIMARY, text: `create database "${target}" template template0 -- or "${target}_rs_<suffix>" when ${target} exists` },
        { kind: 'command', target: ON_PRIMARY, text: `${CREDENTIALS}: pg_restore --no-password --exit-on-error --dbname <that database> ${join(folder, `${db}.dump`)}` },
        {
          kind: 'sql',
          target: ON_PRIMARY,
          text: `-- only when ${target} exists: end its sessions, then\nalter database "${target}" rename to "${target}_pre_<suffix>";\nalter database "${target}_rs_<suffix>" rename to "${target}"${input.keepPrevious ? '' : `;\ndrop database "${target}_pre_<suffix>" with (force)`}`,
        },
      );
    } else {
      const dataDir = input.dataDir ?? join(stateDir, 'restores', `${record.id}-<suffix>`);
      steps.push({ kind: 'file', target: dataDir, text: `copy ${join(folder, 'base')} here (owner postgres, mode 700)` });
      if (input.start) steps.push({ kind: 'command', target: 'local', text: `pg_ctl --pgdata ${dataDir} --wait start (port ${input.port ?? '<a free one>'}, as the postgres OS user when we are root)` });
    }
    return steps;
  },
};

/** The recovery_target_* setting of a target, as a plan shows it. */
function recoveryLine(target: RecoveryTarget): string {
  return `recovery_target_${target.kind} = '${target.kind === 'time' ? target.time : target.kind === 'lsn' ? target.lsn : target.name}'`;
}
