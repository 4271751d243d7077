import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { createTopologyProvider } from '@pgcluster/pools';
import { InputError, PgClusterError, RefusedError, withClient, type TopologyMember } from '@pgcluster/core';
import { z } from 'zod';
import { backupsDir, withFileLock, writeJsonAtomic } from './backup-catalogue';
import { maintenanceUrl, resolvePrimary, type BackupContext } from './backup-context';
import { isLocalDataDir, restartLocalNode } from '../failover/local-node';
import { BACKUP_BACKENDS, pgbackrest, pgbackrestArchiveCommand, pgbackrestSettings, pgbackrestStanzaCreate, writePgbackrestConfig, type BackupBackend, type PgbackrestSettings } from './pgbackrest';

/** Paths that reach `archive_command` and `restore_command`: plain characters only, so no quoting can break. */
const SAFE_PATH = /^\/[A-Za-z0-9_./-]+$/;

/** The archiving settings of one node before pgcluster changed them (what undo puts back). */
export const ArchivingNode = z.object({
  name: z.string(),
  dataDir: z.string(),
  previous: z.object({ archive_mode: z.string(), archive_command: z.string() }),
});
/** One node's previous archiving settings. */
export type ArchivingNode = z.infer<typeof ArchivingNode>;

/** `<stateDir>/backups/archiving.json`: where WAL goes, and what the nodes had before. */
export const ArchivingState = z.object({
  version: z.literal(1),
  enabled: z.boolean(),
  archiveDir: z.string().describe('The repository: the script in bin/, segments in wal/ (native), or pgBackRest\'s configuration and repository.'),
  backend: z.enum(BACKUP_BACKENDS).default('native').describe('Who archives and restores WAL.'),
  enabledAt: z.string(),
  nodes: z.array(ArchivingNode),
});
/** The archiving state file. */
export type ArchivingState = z.infer<typeof ArchivingState>;

/** The shipped archive script's file name under `<archiveDir>/bin`. */
export const ARCHIVE_SCRIPT = 'pgcluster-archive-wal';

/**
 * The archive script: copies one WAL file into the archive under a temporary name, flushes it,
 * and links it into place, which fails when the name exists. An existing segment with the same
 * content is success (a replica with `archive_mode = always` archives what the primary did); one
 * with different content is never overwritten: the script fails and the server retries and logs it.
 */
const ARCHIVE_SCRIPT_TEXT = `#!/bin/sh
# pgcluster WAL archive script: archive_command = '<this> %p <archive>/wal %f'
# Never overwrites an archived segment with different content.
set -u
src="$1"; dir="$2"; name="$3"
dest="$dir/$name"
if [ -f "$dest" ]; then
  if cmp -s "$src" "$dest"; then exit 0; fi
  echo "pgcluster-archive-wal: $dest exists with different content; refusing to overwrite it" >&2
  exit 1
fi
tmp="$dir/.$name.tmp.$$"
cp "$src" "$tmp" || { rm -f "$tmp"; exit 1; }
sync "$tmp" 2>/dev/null || true
if ln "$tmp" "$dest" 2>/dev/null; then rm -f "$tmp"; sync "$dir" 2>/dev/null || true; exit 0; fi
rm -f "$tmp"
# Another archiver linked it first: fine when the content is the same.
cmp -s "$src" "$dest" && exit 0
echo "pgcluster-archive-wal: could not archive $name into $dir" >&2
exit 1
`;

/**
 * The archiving state file's path.
 * @example archivingStateFile(stateDir) // '<stateDir>/backups/archiving.json'
 */
export function archivingStateFile(stateDir: string): string {
  return join(backupsDir(stateDir), 'archiving.json');
}

/**
 * The archiving state, or undefined when pgcluster never enabled archiving.
 * @example readArchivingState(stateDir)?.archiveDir
 */
export function readArchivingState(stateDir: string): ArchivingState | undefined {
  const file = archivingStateFile(stateDir);
  if (!existsSync(file)) return undefined;
  const parsed = ArchivingState.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new PgClusterError('ACTION_FAILED', `${file} is not in the expected shape`);
  return parsed.data;
}

/**
 * The WAL folder of an archive repository.
 * @example walDir('/var/lib/postgresql/pgcluster-archive') // '/var/lib/postgresql/pgcluster-archive/wal'
 */
export function walDir(archiveDir: string): string {
  return join(archiveDir, 'wal');
}

/**
 * The `archive_command` that ships WAL into `archiveDir` through the shipped script.
 * @example archiveCommand('/srv/arch') // "'/srv/arch/bin/pgcluster-archive-wal' %p '/srv/arch/wal' %f"
 */
export function archiveCommand(archiveDir: string): string {
  return `'${join(archiveDir, 'bin', ARCHIVE_SCRIPT)}' %p '${walDir(archiveDir)}' %f`;
}

/**
 * The `restore_command` that reads WAL back from `archiveDir`.
 * @example restoreCommand('/srv/arch') // "cp '/srv/arch/wal/%f' %p"
 */
export function restoreCommand(archiveDir: string): string {
  return `cp '${walDir(archiveDir)}/%f' %p`;
}

/**
 * The archive folder to use: the one given, else the one archiving was enabled with, else
 * `<stateDir>/backups/archive`. Checked: absolute, plain characters.
 * @throws InputError naming `archiveDir`.
 * @example resolveArchiveDir(stateDir, '/var/lib/postgresql/archive')
 */
export function resolveArchiveDir(stateDir: string, given: string | undefined): string {
  const dir = given ?? readArchivingState(stateDir)?.archiveDir ?? join(backupsDir(stateDir), 'archive');
  if (!isAbsolute(dir) || !SAFE_PATH.test(dir)) {
    throw new InputError('archiveDir', 'must be an absolute path of letters, digits and _ . / - (it is written into archive_command)');
  }
  return dir;
}

/** What {@link enableArchiving} changed on one node. */
export interface ArchivingChange {
  node: string;
  role: string;
  from: { archive_mode: string; archive_command: string };
  to: { archive_mode: string; archive_command: string };
  restarted: boolean;
}

/** What {@link enableArchiving} and {@link disableArchiving} did. */
export interface ArchivingResult {
  archiveDir: string;
  backend: BackupBackend;
  nodes: ArchivingChange[];
  /** The first WAL segment archived after the change (enable only), proving the command works. */
  firstArchived?: string;
}

interface NodeArchiving {
  member: TopologyMember;
  dataDir: string;
  mode: string;
  command: string;
}

async function readNodeArchiving(member: TopologyMember): Promise<NodeArchiving> {
  return withClient({ url: maintenanceUrl(member.url) }, `reading archiving settings of ${member.name}`, async (c) => {
    const { rows } = await c.query<{ d: string; m: string; c: string }>(
      // archive_command shows '(disabled)' while archive_mode is off; reset_val is the configured value.
      "select current_setting('data_directory') as d, current_setting('archive_mode') as m, (select reset_val from pg_settings where name = 'archive_command') as c",
    );
    return { member, dataDir: rows[0]!.d, mode: rows[0]!.m, command: rows[0]!.c };
  });
}

async function clusterNodes(ctx: BackupContext): Promise<TopologyMember[]> {
  const topology = await (ctx.provider ?? createTopologyProvider(ctx.config)).resolve(ctx.signal);
  if (!topology.primary) throw new PgClusterError('UNREACHABLE', `no primary: ${topology.problems.join('; ') || 'none found'}`, { hint: 'Check the cluster with pgcluster cluster-status.' });
  const down = topology.members.filter((m) => m.role === 'unreachable');
  if (down.length) {
    throw new RefusedError(`${down.map((m) => m.name).join(', ')} unreachable: archiving settings must change on every node; nothing was changed`, {
      hint: 'Bring the node back (cluster-status), then retry.',
    });
  }
  // Replicas first, the primary last: writes stop only for the primary's own restart.
  return [...topology.members.filter((m) => m.role === 'replica'), topology.primary];
}

/**
 * Writes the archive repository: `<archiveDir>/bin/pgcluster-archive-wal` and `<archiveDir>/wal`,
 * owned by the server's OS user (postgres) when we are root, mode 700.
 * @throws InputError naming `archiveDir` when the postgres OS user cannot reach it.
 * @example prepareArchiveRepository('/var/lib/postgresql/pgcluster-archive')
 */
export function prepareArchiveRepository(archiveDir: string): void {
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !postgresCanReach(dirname(archiveDir))) {
    throw new InputError('archiveDir', `the postgres OS user (which runs archive_command) cannot reach ${dirname(archiveDir)}; name a folder it can traverse, e.g. /var/lib/postgresql/pgcluster-archive`);
  }
  mkdirSync(join(archiveDir, 'bin'), { recursive: true, mode: 0o700 });
  mkdirSync(walDir(archiveDir), { recursive: true, mode: 0o700 });
  const script = join(archiveDir, 'bin', ARCHIVE_SCRIPT);
  writeFileSync(script, ARCHIVE_SCRIPT_TEXT, { mode: 0o700 });
  chmodSync(script, 0o700);
  chmodSync(archiveDir, 0o700);
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', archiveDir]);
}

/**
 * Sets `archive_mode` and `archive_command` on one node with ALTER SYSTEM (postgresql.auto.conf).
 * Kept apart from other configuration edits: it touches these two settings only.
 * @example await setArchivingSettings(member, 'always', archiveCommand(dir))
 */
export async function setArchivingSettings(member: TopologyMember, mode: string, command: string | undefined): Promise<void> {
  await withClient({ url: maintenanceUrl(member.url) }, `setting archiving on ${member.name}`, async (c) => {
    await c.query(`alter system set archive_mode = ${c.escapeLiteral(mode)}`);
    // Security: ALTER SYSTEM takes no bind parameters; the value is quoted as a literal by the driver.
    await c.query(command === undefined ? 'alter system reset archive_command' : `alter system set archive_command = ${c.escapeLiteral(command)}`);
  });
}

function restartNode(ctx: BackupContext, node: NodeArchiving): Promise<void> {
  return restartLocalNode(node.member.name, node.dataDir, Number(new URL(node.member.url).port || 5432), ctx.signal);
}

/**
 * Enables WAL archiving on every node into `archiveDir` (native: `archive_mode = always`, so a replica
 * archives too and a failover leaves no gap, the shipped script making the duplicate harmless;
 * pgBackRest: `on`, which is all it supports),
 * restarting each node (replicas first). Refused without `confirm` (the restart interrupts
 * sessions) and when a node's data directory is not on this machine. Records the previous
 * settings so {@link disableArchiving} can put them back; then switches WAL on the primary
 * and waits until that segment is archived, proving the command works.
 * @example await enableArchiving(ctx, { archiveDir: '/var/lib/postgresql/archive', confirm: true })
 */
export async function enableArchiving(
  ctx: BackupContext,
  options: { archiveDir?: string; confirm: boolean; backend?: BackupBackend; processMax?: number; compress?: PgbackrestSettings['compress'] },
): Promise<ArchivingResult> {
  const backend = options.backend ?? 'native';
  const archiveDir = resolveArchiveDir(ctx.stateDir, options.archiveDir);
  const nodes = await Promise.all((await clusterNodes(ctx)).map(readNodeArchiving));
  const remote = nodes.filter((n) => !isLocalDataDir(n.dataDir));
  if (remote.length) {
    throw new RefusedError(`the data directories of ${remote.map((n) => n.member.name).join(', ')} are not on this machine: pgcluster cannot restart them; nothing was changed`, {
      hint: `Set archive_mode = always and archive_command there by hand, then restart them.`,
    });
  }
  const command = backend === 'pgbackrest' ? pgbackrestArchiveCommand(archiveDir) : archiveCommand(archiveDir);
  if (!options.confirm) {
    throw new RefusedError(`enabling archiving restarts ${nodes.map((n) => n.member.name).join(', ')} (sessions are cut); nothing was changed`, {
      hint: 'Check the plan with --dry-run, then pass --yes.',
    });
  }
  prepareArchiveRepository(archiveDir);
  if (backend === 'pgbackrest') {
    // pgBackRest's configuration (no secrets: it connects over the primary's unix socket) and its stanza, before WAL points at it.
    writePgbackrestConfig(archiveDir, await pgbackrestSettings(nodes.at(-1)!.member, { processMax: options.processMax ?? 2, compress: options.compress ?? 'lz4' }));
    await pgbackrestStanzaCreate(ctx, archiveDir);
  }
  const previous = readArchivingState(ctx.stateDir);
  const state: ArchivingState = {
    version: 1,
    enabled: true,
    archiveDir,
    backend,
    enabledAt: new Date().toISOString(),
    // Re-enabling keeps the settings from before the first enable, so undo goes back to them.
    nodes: nodes.map((n) => previous?.nodes.find((p) => p.name === n.member.name) ?? { name: n.member.name, dataDir: n.dataDir, previous: { archive_mode: n.mode, archive_command: n.command } }),
  };
  await withFileLock(join(backupsDir(ctx.stateDir), 'archiving.lock'), () => writeJsonAtomic(archivingStateFile(ctx.stateDir), state));
  // pgBackRest refuses archive_mode = always (it archives from the primary only).
  const mode = backend === 'pgbackrest' ? 'on' : 'always';
  const changes: ArchivingChange[] = [];
  for (const node of nodes) {
    await setArchivingSettings(node.member, mode, command);
    const restarted = node.mode !== mode;
    if (restarted) await restartNode(ctx, node);
    else await reload(node.member);
    changes.push({ node: node.member.name, role: node.member.role, from: { archive_mode: node.mode, archive_command: node.command }, to: { archive_mode: mode, archive_command: command }, restarted });
  }
  const primary = nodes.at(-1)!.member;
  const firstArchived = await switchAndWaitArchived(primary, 60_000, ctx.signal);
  if (backend === 'pgbackrest') await pgbackrest(ctx, archiveDir, ['check']);
  return { archiveDir, backend, nodes: changes, firstArchived };
}

/**
 * Puts back the archiving settings every node had before {@link enableArchiving} (restarting
 * the nodes whose `archive_mode` changes). The archive itself is kept.
 * @throws RefusedError when archiving was not enabled by pgcluster, or without `confirm`.
 * @example await disableArchiving(ctx, { confirm: true })
 */
export async function disableArchiving(ctx: BackupContext, options: { confirm: boolean }): Promise<ArchivingResult> {
  const state = readArchivingState(ctx.stateDir);
  if (!state?.enabled) throw new RefusedError('archiving was not enabled by pgcluster (no enabled archiving.json); nothing was changed');
  const nodes = await Promise.all((await clusterNodes(ctx)).map(readNodeArchiving));
  if (!options.confirm) {
    throw new RefusedError(`disabling archiving restarts ${nodes.map((n) => n.member.name).join(', ')}; nothing was changed`, { hint: 'Check the plan with --dry-run, then pass --yes.' });
  }
  const changes: ArchivingChange[] = [];
  for (const node of nodes) {
    const before = state.nodes.find((p) => p.name === node.member.name)?.previous ?? { archive_mode: 'off', archive_command: '' };
    await setArchivingSettings(node.member, before.archive_mode, before.archive_command || undefined);
    const restarted = before.archive_mode !== node.mode;
    if (restarted) await restartNode(ctx, node);
    else await reload(node.member);
    changes.push({ node: node.member.name, role: node.member.role, from: { archive_mode: node.mode, archive_command: node.command }, to: before, restarted });
  }
  writeJsonAtomic(archivingStateFile(ctx.stateDir), { ...state, enabled: false });
  return { archiveDir: state.archiveDir, backend: state.backend, nodes: changes };
}

async function reload(member: TopologyMember): Promise<void> {
  await withClient({ url: maintenanceUrl(member.url) }, `reloading ${member.name}`, (c) => c.query('select pg_reload_conf()'));
}

/**
 * Switches to a new WAL segment on the primary and waits until the one it closed is archived
 * (`pg_stat_archiver.last_archived_wal`), so everything written before is in the archive.
 * @returns the archived segment's name.
 * @throws PgClusterError `TIMEOUT` naming the archiver's last failure.
 * @example await switchAndWaitArchived(primary, 60_000)
 */
export async function switchAndWaitArchived(primary: TopologyMember, timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return withClient({ url: maintenanceUrl(primary.url) }, `switching WAL on ${primary.name}`, async (c) => {
    // A switch on an idle segment is a no-op; a logged no-op record makes sure there is something to close.
    await c.query("select pg_logical_emit_message(false, 'pgcluster', 'archive')");
    const { rows } = await c.query<{ seg: string }>('select pg_walfile_name(pg_switch_wal()) as seg');
    const wanted = rows[0]!.seg;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = (await c.query<{ last: string | null; failed: string | null; failedAt: Date | null }>('select last_archived_wal as last, last_failed_wal as failed, last_failed_time as "failedAt" from pg_stat_archiver')).rows[0]!;
      // Segment names sort in WAL order within a timeline; history and backup files are not segments.
      if (s.last && /^[0-9A-F]{24}$/.test(s.last) && s.last.slice(8) >= wanted.slice(8)) return wanted;
      if (signal?.aborted) throw new PgClusterError('ABORTED', 'cancelled while waiting for the archiver');
      if (Date.now() > deadline) {
        throw new PgClusterError('TIMEOUT', `WAL segment ${wanted} was not archived within ${timeoutMs / 1000} s (last archived ${s.last ?? 'none'}, last failed ${s.failed ?? 'none'})`, {
          hint: 'See the server log for archive command failures (monitoring-logs), and monitoring-health --checks archiving_failing.',
        });
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });
}

/**
 * The archive's segments, sorted (for the data window a restore can reach).
 * @example archivedSegments('/srv/arch').at(-1)
 */
export function archivedSegments(archiveDir: string): string[] {
  const dir = walDir(archiveDir);
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort() : [];
}

/**
 * The archive state of a running primary, for plans and reports.
 * @example await archiverStatus(ctx)
 */
export async function archiverStatus(ctx: BackupContext): Promise<{ mode: string; command: string; lastArchived: string | null; lastFailed: string | null }> {
  const primary = await resolvePrimary(ctx);
  return withClient({ url: maintenanceUrl(primary.url) }, 'reading pg_stat_archiver', async (c) => {
    const { rows } = await c.query<{ mode: string; command: string; last: string | null; failed: string | null }>(
      "select current_setting('archive_mode') as mode, current_setting('archive_command') as command, last_archived_wal as last, last_failed_wal as failed from pg_stat_archiver",
    );
    return { mode: rows[0]!.mode, command: rows[0]!.command, lastArchived: rows[0]!.last, lastFailed: rows[0]!.failed };
  });
}

/** Whether the postgres OS user can traverse every folder down to `dir` (the nearest existing one). */
export function postgresCanReach(dir: string): boolean {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  return spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-x', probe], { cwd: '/tmp' }).status === 0;
}
