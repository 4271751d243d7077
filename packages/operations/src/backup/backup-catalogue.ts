import { existsSync, openSync, closeSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStateSubdir, InputError, PgClusterError } from '@pgcluster/core';
import { z } from 'zod';

/** Kinds of backup; one tuple yields the type, the schema and the CLI choices. */
export const BACKUP_KINDS = ['logical', 'physical'] as const;
/** One of {@link BACKUP_KINDS}. */
export type BackupKind = (typeof BACKUP_KINDS)[number];

/** The shape of a backup id: `20261124T071502Z-logical-k3x9`. */
export const BACKUP_ID_PATTERN = /^[0-9]{8}T[0-9]{6}Z-(logical|physical)-[a-z0-9]{4}$/;

/** One file of a backup, with its checksum. */
export const BackupFile = z.object({
  name: z.string().describe('Path relative to the backup folder.'),
  size: z.number().int().nonnegative().describe('Bytes.'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 of the file, hex.'),
  database: z.string().optional().describe('The database a logical dump holds.'),
});
/** One file of a backup. */
export type BackupFile = z.infer<typeof BackupFile>;

/** The latest check of a backup's soundness. */
export const BackupVerification = z.object({
  ok: z.boolean().describe('Every check passed.'),
  at: z.string().describe('ISO time of the check.'),
  by: z.enum(['backup', 'verify']).describe('backup: the checks run when it was taken (pg_restore --list / pg_verifybackup); verify: the verify action.'),
});
/** The latest check of a backup. */
export type BackupVerification = z.infer<typeof BackupVerification>;

/** One catalogue entry. */
export const BackupRecord = z.object({
  id: z.string().regex(BACKUP_ID_PATTERN).describe('Backup id, e.g. 20261124T071502Z-logical-k3x9.'),
  kind: z.enum(BACKUP_KINDS).describe('logical (pg_dump -Fc per database) or physical (pg_basebackup with WAL).'),
  createdAt: z.string().describe('ISO time the backup started.'),
  node: z.string().describe('The node it was taken from.'),
  databases: z.array(z.string()).describe('Databases it holds (a physical backup holds all of them).'),
  size: z.number().int().nonnegative().describe('Total bytes on disk.'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 over the sorted "name sha256" lines of its files.'),
  lsn: z.string().describe('pg_current_wal_lsn() when it started.'),
  durationMs: z.number().int().nonnegative().describe('How long it took.'),
  path: z.string().describe('Its folder, relative to the backups folder.'),
  files: z.array(BackupFile).describe('Every file checked by verify (for physical: backup_manifest, which covers the rest).'),
  serverVersion: z.string().describe('server_version of the node.'),
  verification: BackupVerification.optional().describe('The latest check: when it was taken, or by verify. Absent: never checked (an older catalogue).'),
});
/** One catalogue entry. */
export type BackupRecord = z.infer<typeof BackupRecord>;

const Catalogue = z.object({ version: z.literal(1), backups: z.array(BackupRecord) });
type Catalogue = z.infer<typeof Catalogue>;

/** The catalogue's file name inside the backups folder. */
export const CATALOGUE_FILE = 'catalogue.json';

/**
 * The backups folder under the state dir (created, mode 700).
 * @example
 * ```ts
 * backupsDir('/srv/app/.pgcluster') // '/srv/app/.pgcluster/backups'
 * ```
 */
export function backupsDir(stateDir: string): string {
  return ensureStateSubdir(stateDir, 'backups');
}

/**
 * Reads the catalogue; an absent file is an empty catalogue.
 * @throws PgClusterError when the file exists but is not a valid catalogue.
 * @example
 * ```ts
 * const records = readCatalogue(stateDir) // newest last
 * ```
 */
export function readCatalogue(stateDir: string): BackupRecord[] {
  const file = join(backupsDir(stateDir), CATALOGUE_FILE);
  if (!existsSync(file)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new PgClusterError('ACTION_FAILED', `the backup catalogue ${file} is not valid JSON`, { hint: 'Restore it from a copy, or move it away to start a new one.' });
  }
  const result = Catalogue.safeParse(parsed);
  if (!result.success) throw new PgClusterError('ACTION_FAILED', `the backup catalogue ${file} is not in the expected shape`);
  return result.data.backups;
}

/**
 * Changes the catalogue under a lock file (so two runs never lose each other's entries) and
 * writes it atomically (temp file + rename).
 * @example
 * ```ts
 * await updateCatalogue(stateDir, (backups) => [...backups, record])
 * ```
 */
export async function updateCatalogue(stateDir: string, change: (backups: BackupRecord[]) => BackupRecord[]): Promise<BackupRecord[]> {
  const dir = backupsDir(stateDir);
  return withFileLock(join(dir, 'catalogue.lock'), () => {
    const next = change(readCatalogue(stateDir));
    writeJsonAtomic(join(dir, CATALOGUE_FILE), { version: 1, backups: next } satisfies Catalogue);
    return next;
  });
}

/**
 * Runs `fn` holding a lock file (created exclusively; one older than 10 minutes is taken as
 * left by a crashed run).
 * @throws PgClusterError `TIMEOUT` when the lock stays taken for 30 s.
 * @example
 * ```ts
 * await withFileLock('/state/backups/catalogue.lock', () => write())
 * ```
 */
export async function withFileLock<T>(lock: string, fn: () => T | Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch {
      try {
        if (Date.now() - statSync(lock).mtimeMs > 600_000) unlinkSync(lock);
      } catch {
        /* gone meanwhile */
      }
      if (Date.now() > deadline) throw new PgClusterError('TIMEOUT', `${lock} stays locked`, { hint: 'Another backup or restore run holds it; retry when it ends.' });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Writes JSON atomically (a temp file renamed over the target), mode 600.
 * @example
 * ```ts
 * writeJsonAtomic('/state/backups/catalogue.json', { version: 1, backups: [] })
 * ```
 */
export function writeJsonAtomic(file: string, value: unknown): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * Finds one backup by id.
 * @throws InputError when the id is malformed or unknown (naming the field `id`).
 * @example
 * ```ts
 * const record = findBackup(stateDir, '20261124T071502Z-logical-k3x9')
 * ```
 */
export function findBackup(stateDir: string, id: string): BackupRecord {
  // Security: the id becomes part of a path; only the generated shape is accepted, so no
  // "../" can walk out of the backups folder.
  if (!BACKUP_ID_PATTERN.test(id)) throw new InputError('id', 'must be a backup id like 20261124T071502Z-logical-k3x9 (see the list action)');
  const record = readCatalogue(stateDir).find((b) => b.id === id);
  if (!record) throw new InputError('id', `no backup ${id} in the catalogue (see the list action)`);
  return record;
}
