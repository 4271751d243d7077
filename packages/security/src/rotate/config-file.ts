import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { PgClusterError, RefusedError, type LoadedConfig } from '@pgcluster/core';

/**
 * The config file a rotation switches: the loaded one, which must be a file (not `PGCLUSTER_*`).
 * @throws PgClusterError `NOT_SUPPORTED` when the config came from the environment.
 * @example configFileOf(loadConfig()) // '/srv/app/pgcluster.config.json'
 */
export function configFileOf(loaded: LoadedConfig): string {
  if (!isAbsolute(loaded.source) || !existsSync(loaded.source)) {
    throw new PgClusterError('NOT_SUPPORTED', `the configuration came from ${loaded.source}, not a file: security-rotate switches pgcluster.config.json`, {
      hint: 'Run it with a pgcluster.config.json (--config), which it rewrites with the new login (mode 600).',
    });
  }
  return loaded.source;
}

/**
 * Writes a file atomically (a temporary file in the same folder, then rename) with mode 600:
 * a reader sees the old or the new content, never half of it, and never a readable secret.
 * @example writeSecretFile('/srv/app/pgcluster.config.json', JSON.stringify(config, null, 2))
 */
export function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
  chmodSync(path, 0o600);
}

/**
 * The config text with every server URL whose user is `from` switched to `to` with `password`:
 * nodes[].url and patroni.memberUrl. pgbouncer.adminUrl is left alone: its console user is
 * PgBouncer's own (the rotation writes the new login into PgBouncer's auth file). Other fields are kept.
 * @example switchConfigLogin(text, 'app', 'app_alt', password)
 */
export function switchConfigLogin(text: string, from: string, to: string, password: string): { text: string; switched: number } {
  const raw = JSON.parse(text) as { nodes?: Array<{ url?: string }>; patroni?: { memberUrl?: string } };
  let switched = 0;
  const swap = (url: string | undefined): string | undefined => {
    if (!url) return url;
    const u = new URL(url);
    if (decodeURIComponent(u.username) !== from) return url;
    u.username = encodeURIComponent(to);
    u.password = encodeURIComponent(password);
    switched += 1;
    return u.toString();
  };
  for (const node of raw.nodes ?? []) node.url = swap(node.url);
  if (raw.patroni?.memberUrl) raw.patroni.memberUrl = swap(raw.patroni.memberUrl);
  return { text: `${JSON.stringify(raw, null, 2)}\n`, switched };
}

/**
 * The sha256 of a text (a config file as a run wrote it), to notice later changes.
 * @example sha256(readFileSync(configFile, 'utf8'))
 */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Refuses an undo when the config file changed after the run being undone (another rotation or
 * TLS change came later): restoring it would throw that later change away. Undo the later one first.
 * @throws RefusedError naming the file.
 * @example assertConfigUnchanged(configFile, backup.writtenConfigSha256, 'the rotation')
 */
export function assertConfigUnchanged(configFile: string, writtenSha256: string | undefined, what: string): void {
  if (writtenSha256 && sha256(readFileSync(configFile, 'utf8')) !== writtenSha256) {
    throw new RefusedError(`${configFile} changed after ${what}; undoing it now would throw the later change away; nothing was changed`, {
      hint: 'Undo the later run first (pgcluster audit list), then this one.',
    });
  }
}
