import { chownSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { forgetServer, InputError, PgClusterError, RefusedError, startDataDir, stopDataDir, withClient, type ClusterConfig } from '@pgcluster/core';
import { createTopologyProvider } from '@pgcluster/pools';
import { isLocalDataDir, NODE_CONFIG_FILES, recloneReplica, serverLog, serverRunner } from '../failover/local-node';
import { slotName, waitForStreaming } from '../failover/native-failover';
import { maintenanceUrl, type BackupContext } from './backup-context';
import { findBackup } from './backup-catalogue';
import { finishRecovery, writeRecoveryConfig, type RecoveryPoint, type RecoveryTarget } from './point-in-time';
import { RESTORE_MARK, restoreBackup, waitWritable } from './restore-backup';

/** The file a replace leaves in the primary's data directory it moved aside: only such a folder is swapped back by an undo. */
export const REPLACED_MARK = 'pgcluster.replaced.json';

/** One node of a local, static cluster, as a replace sees it. */
interface LocalNode {
  name: string;
  url: string;
  dataDir: string;
  port: number;
  /** A replica's slot on the primary (its primary_slot_name, else its name). */
  slot: string;
}

/** How one replica was rebuilt. */
export interface RebuiltReplica {
  node: string;
  /** It was re-cloned (pg_basebackup) from the primary and started. */
  rebuilt: boolean;
  /** It streams from the primary (pg_stat_replication). */
  streaming: boolean;
  error?: string;
}

/** What {@link replaceCluster} did. */
export interface ReplaceResult {
  /** The primary replaced, its data directory and port (unchanged). */
  node: string;
  dataDir: string;
  port: number;
  /** Where the replaced data directory is kept (the undo swaps it back). */
  keptDir: string;
  backupId: string;
  /** Bytes of the recovered copy. */
  bytes: number;
  recovery: RecoveryPoint;
  /** Replication slots of the old primary recreated on the new one. */
  slots: string[];
  replicas: RebuiltReplica[];
  /** From the start of the replace until the primary took writes again. */
  rtoMs: number;
  /** From stopping the old primary until the new one took writes. */
  writesDownMs: number;
  durationMs: number;
}

/**
 * Replaces a local, static cluster's data with its state at a point in time: recovers the base
 * backup `backupId` plus archived WAL into a new data directory beside the primary's and waits
 * until it paused at the target (on any failure until here nothing of the cluster changed and the
 * copy is removed); then stops the primary, moves its data directory aside (kept for the undo,
 * `<dataDir>.replaced-<time>`), moves the copy into its place with the primary's own configuration
 * files (port, archiving, hba), starts it, promotes it at the target and recreates the old
 * primary's physical replication slots (a failure here puts the old data directory back and
 * starts it); then re-clones every replica from it (pg_basebackup: they are on the old history).
 * @throws RefusedError for a Patroni cluster, or a node whose data directory is not on this machine.
 * @example await replaceCluster(ctx, { backupId, archiveDir, target: { kind: 'time', time } })
 */
export async function replaceCluster(ctx: BackupContext, options: { backupId: string; archiveDir: string; target: RecoveryTarget }): Promise<ReplaceResult> {
  const started = Date.now();
  const { primary, replicas } = await localCluster(ctx);
  const slots = await withClient({ url: maintenanceUrl(primary.url) }, `reading the replication slots of ${primary.name}`, async (c) =>
    (await c.query<{ s: string }>("select slot_name as s from pg_replication_slots where slot_type = 'physical' order by 1")).rows.map((r) => r.s),
  );
  const stamp = folderStamp();
  const copy = `${primary.dataDir}.restoring-${stamp}`;
  const keptDir = `${primary.dataDir}.replaced-${stamp}`;
  // 1. Recover beside the primary (same file system: the swap is a rename), paused at the target; a failure removes it.
  const restored = await restoreBackup(ctx, { id: options.backupId, dataDir: copy, recovery: { archiveDir: options.archiveDir, target: options.target, hold: true }, confirm: true });
  try {
    await stopDataDir(copy, serverRunner(copy, ctx.signal));
  } catch (error) {
    rmSync(copy, { recursive: true, force: true });
    throw new PgClusterError('ACTION_FAILED', `could not stop the recovered copy: ${(error as Error).message}; it was removed and the cluster is untouched`, { cause: error });
  } finally {
    forgetServer(ctx.stateDir, copy);
  }
  // 2. The swap: from here a failure puts the old data directory back.
  const run = serverRunner(primary.dataDir, ctx.signal);
  const downAt = Date.now();
  try {
    await stopDataDir(primary.dataDir, run);
  } catch (error) {
    rmSync(copy, { recursive: true, force: true });
    throw new PgClusterError('ACTION_FAILED', `could not stop ${primary.name}: ${(error as Error).message}; the recovered copy was removed`, { cause: error });
  }
  renameSync(primary.dataDir, keptDir);
  let recovery: RecoveryPoint;
  try {
    renameSync(copy, primary.dataDir);
    const auto = installNodeConfig(keptDir, primary.dataDir);
    writeRecoveryConfig(primary.dataDir, options.archiveDir, options.target);
    writeFileSync(join(keptDir, REPLACED_MARK), `${JSON.stringify({ node: primary.name, dataDir: primary.dataDir, port: primary.port, backupId: options.backupId, replacedAt: new Date().toISOString() })}\n`, { mode: 0o600 });
    const logFile = serverLog(primary.dataDir);
    await startDataDir(primary.dataDir, { run, logFile, label: primary.name, port: primary.port, timeoutS: 1800 });
    recovery = await finishRecovery(maintenanceUrl(primary.url), {
      dataDir: primary.dataDir,
      logFile,
      target: options.target,
      windowFrom: findBackup(ctx.stateDir, options.backupId).createdAt,
      timeoutMs: 1_800_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    await waitWritable(maintenanceUrl(primary.url));
    // The recovery settings did their work: postgresql.auto.conf is the old primary's again.
    writeOwned(join(primary.dataDir, 'postgresql.auto.conf'), auto, statSync(primary.dataDir));
    await createSlots(primary, [...new Set([...slots, ...replicas.map((r) => r.slot)])]);
  } catch (error) {
    // Not cancellable: a cancelled or timed-out run must still put the old data directory back.
    await swapBack(primary, keptDir, `${primary.dataDir}.failed-${stamp}`).catch((e: Error) => {
      throw new PgClusterError('ACTION_FAILED', `the replace failed (${(error as Error).message}) and putting ${keptDir} back failed too: ${e.message}`, { cause: error });
    });
    for (const dir of [copy, `${primary.dataDir}.failed-${stamp}`]) rmSync(dir, { recursive: true, force: true });
    throw new PgClusterError('ACTION_FAILED', `the replace failed after the swap: ${(error as Error).message}; the previous data directory was put back and ${primary.name} restarted on it`, { cause: error });
  }
  const writable = Date.now();
  // 3. The replicas: on the old history, so re-cloned from the new primary.
  const rebuilt = await rebuildReplicas(primary, replicas, ctx.signal);
  return {
    node: primary.name,
    dataDir: primary.dataDir,
    port: primary.port,
    keptDir,
    backupId: restored.id,
    bytes: restored.bytes,
    recovery,
    slots,
    replicas: rebuilt,
    rtoMs: writable - started,
    writesDownMs: writable - downAt,
    durationMs: Date.now() - started,
  };
}

/** What {@link undoReplace} did. */
export interface UndoReplaceResult {
  node: string;
  dataDir: string;
  port: number;
  /** The kept data directory that is the primary's again. */
  restoredFrom: string;
  /** Where the replaced-in data directory (with any writes since the replace) is kept now. */
  keptDir: string;
  replicas: RebuiltReplica[];
  rtoMs: number;
}

/**
 * Undoes a replace: stops the primary, moves its data directory aside (kept, as
 * `<dataDir>.undone-<time>`: it holds the writes made since the replace), moves the kept one
 * (`replaced`, marked by {@link REPLACED_MARK}) back, starts it, and re-clones every replica from it.
 * @throws InputError naming `replaced` when the folder holds no replaced data directory; RefusedError when it is gone (undone before).
 * @example await undoReplace(ctx, '/srv/node1/data.replaced-20261130T150102')
 */
export async function undoReplace(ctx: BackupContext, replaced: string): Promise<UndoReplaceResult> {
  const started = Date.now();
  if (!isAbsolute(replaced)) throw new InputError('replaced', 'must be an absolute path');
  if (!existsSync(replaced)) throw new RefusedError(`${replaced} is gone: that replace was already undone; nothing was changed`);
  // Security: only a folder a replace marked is swapped in, never another directory.
  const mark = join(replaced, REPLACED_MARK);
  if (!existsSync(mark)) throw new InputError('replaced', `${replaced} holds no data directory a replace kept (no ${REPLACED_MARK}); nothing was changed`);
  const { dataDir } = JSON.parse(readFileSync(mark, 'utf8')) as { dataDir: string };
  const { primary, replicas } = await localCluster(ctx);
  if (primary.dataDir !== dataDir) throw new RefusedError(`the primary runs from ${primary.dataDir}, not ${dataDir} (the replace's); nothing was changed`, { hint: 'Undo only while the replaced node is still the primary.' });
  const keptDir = `${dataDir}.undone-${folderStamp()}`;
  await swapBack(primary, replaced, keptDir, ctx.signal);
  const writable = Date.now();
  await createSlots(primary, replicas.map((r) => r.slot));
  const rebuilt = await rebuildReplicas(primary, replicas, ctx.signal);
  return { node: primary.name, dataDir, port: primary.port, restoredFrom: replaced, keptDir, replicas: rebuilt, rtoMs: writable - started };
}

/**
 * The nodes of a cluster pgcluster runs on this machine: static topology, every node answering
 * and its data directory local; replicas with their slot.
 */
async function localCluster(ctx: BackupContext): Promise<{ primary: LocalNode; replicas: LocalNode[] }> {
  refuseUnlessStatic(ctx.config);
  const topology = await (ctx.provider ?? createTopologyProvider(ctx.config)).resolve(ctx.signal);
  const down = topology.members.filter((m) => m.role === 'unreachable');
  if (!topology.primary || down.length) {
    throw new RefusedError(`${down.length ? `${down.map((m) => m.name).join(', ')} unreachable` : 'no primary'}: a replace needs every node up; nothing was changed`, { hint: 'Check the cluster with cluster-status, then retry.' });
  }
  const nodes = await Promise.all(
    topology.members.map((m) =>
      withClient({ url: maintenanceUrl(m.url) }, `reading ${m.name}'s data directory`, async (c) => {
        const { rows } = await c.query<{ d: string; p: string; s: string }>("select current_setting('data_directory') as d, current_setting('port') as p, current_setting('primary_slot_name') as s");
        return { name: m.name, url: m.url, role: m.role, dataDir: rows[0]!.d, port: Number(rows[0]!.p), slot: rows[0]!.s || slotName(m.name) };
      }),
    ),
  );
  const remote = nodes.filter((n) => !isLocalDataDir(n.dataDir));
  if (remote.length) {
    throw new RefusedError(`the data directories of ${remote.map((n) => n.name).join(', ')} are not on this machine: pgcluster can replace only a cluster it runs locally; nothing was changed`, {
      hint: 'Restore to the point as a new node (leave out --replace) and move the data over by hand.',
    });
  }
  const primary = nodes.find((n) => n.name === topology.primary!.name)!;
  return { primary, replicas: nodes.filter((n) => n.role === 'replica') };
}

/** The time in a kept folder's name (`<dataDir>.replaced-20261130T150102`): UTC, to the second. */
function folderStamp(): string {
  return new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15);
}

/**
 * Refuses a replace (or its undo) of a cluster pgcluster does not run itself: Patroni's.
 * @throws RefusedError saying what to do instead.
 * @example refuseUnlessStatic(config)
 */
export function refuseUnlessStatic(config: ClusterConfig): void {
  if (config.patroni || !config.nodes) {
    throw new RefusedError('Patroni manages this cluster: replacing it from a point in time is not supported yet; nothing was changed', {
      hint: 'Restore to the point as a new node (leave out --replace), or rebuild the cluster through Patroni (patronictl reinit) from a restored primary.',
    });
  }
}

/**
 * Puts the node's own configuration files (from its previous data directory) into the recovered
 * one, whose files are the backup's; drops the restore's mark and log. Returns postgresql.auto.conf's text.
 */
function installNodeConfig(from: string, to: string): Buffer {
  const owner = statSync(to);
  for (const file of NODE_CONFIG_FILES) if (existsSync(join(from, file))) writeOwned(join(to, file), readFileSync(join(from, file)), owner);
  for (const file of [RESTORE_MARK, 'restore-start.log', 'current_logfiles']) rmSync(join(to, file), { force: true });
  return existsSync(join(from, 'postgresql.auto.conf')) ? readFileSync(join(from, 'postgresql.auto.conf')) : Buffer.from('');
}

function writeOwned(file: string, content: Buffer, owner: { uid: number; gid: number }): void {
  writeFileSync(file, content, { mode: 0o600 });
  chownSync(file, owner.uid, owner.gid);
}

async function createSlots(primary: LocalNode, slots: readonly string[]): Promise<void> {
  await withClient({ url: maintenanceUrl(primary.url) }, `creating replication slots on ${primary.name}`, async (c) => {
    for (const slot of slots) await c.query('select pg_create_physical_replication_slot($1) where not exists (select 1 from pg_replication_slots where slot_name = $1)', [slot]);
  });
}

/** Stops the primary, moves its data directory to `aside` and `kept` into its place (mark removed), and starts it. */
async function swapBack(primary: LocalNode, kept: string, aside: string, signal?: AbortSignal): Promise<void> {
  if (dirname(kept) !== dirname(primary.dataDir)) throw new PgClusterError('INTERNAL', `${kept} is not beside ${primary.dataDir}`);
  if (existsSync(primary.dataDir)) {
    await stopDataDir(primary.dataDir, serverRunner(primary.dataDir, signal));
    renameSync(primary.dataDir, aside);
  }
  renameSync(kept, primary.dataDir);
  rmSync(join(primary.dataDir, REPLACED_MARK), { force: true });
  await startDataDir(primary.dataDir, { run: serverRunner(primary.dataDir, signal), logFile: serverLog(primary.dataDir), label: primary.name, port: primary.port, timeoutS: 120 });
  await waitWritable(maintenanceUrl(primary.url));
}

async function rebuildReplicas(primary: LocalNode, replicas: readonly LocalNode[], signal?: AbortSignal): Promise<RebuiltReplica[]> {
  const out: RebuiltReplica[] = [];
  for (const r of replicas) {
    try {
      await recloneReplica(r, primary.url, r.slot, signal);
      out.push({ node: r.name, rebuilt: true, streaming: await waitForStreaming(primary, r.name, 60_000) });
    } catch (error) {
      out.push({ node: r.name, rebuilt: false, streaming: false, error: (error as Error).message });
    }
  }
  return out;
}
