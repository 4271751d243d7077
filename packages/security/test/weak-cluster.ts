import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Runs a server program (pg_checksums …) as the data directory's owner: the server's OS user
 * (`postgres` when the tests run as root).
 */
export function runAsServerUser(dataDir: string, program: string, args: string[]): string {
  const { uid } = statSync(dataDir);
  const bin = join(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim(), program);
  if (process.getuid?.() === 0 && uid !== 0) {
    const user = execFileSync('id', ['-nu', String(uid)], { encoding: 'utf8' }).trim();
    return execFileSync('runuser', ['-u', user, '--', bin, ...args], { encoding: 'utf8' });
  }
  return execFileSync(bin, args, { encoding: 'utf8' });
}

/**
 * Writes a self-signed certificate and key for 127.0.0.1 into the data directory (key mode 600,
 * both owned by the data directory's owner), as `ssl = on` needs.
 */
export function writeSelfSignedCertificate(dataDir: string): void {
  const key = join(dataDir, 'server.key');
  const crt = join(dataDir, 'server.crt');
  execFileSync('openssl', ['req', '-new', '-x509', '-days', '2', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-newkey', 'rsa:2048', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  const { uid, gid } = statSync(dataDir);
  for (const f of [key, crt]) chownSync(f, uid, gid);
  execFileSync('chmod', ['0600', key]);
}

/** Appends lines to a node's pg_hba.conf; returns the previous content. */
export function appendHba(dataDir: string, lines: string[]): string {
  const path = join(dataDir, 'pg_hba.conf');
  const before = readFileSync(path, 'utf8');
  writeFileSync(path, `${before}${lines.join('\n')}\n`);
  return before;
}

/** Puts back pg_hba.conf content saved by {@link appendHba}. */
export function restoreHba(dataDir: string, content: string): void {
  writeFileSync(join(dataDir, 'pg_hba.conf'), content);
}

/** Where Debian's pgaudit library would be; the clean audit needs it preloaded. */
export function pgauditInstalled(): boolean {
  const lib = execFileSync('pg_config', ['--pkglibdir'], { encoding: 'utf8' }).trim();
  return existsSync(join(lib, 'pgaudit.so'));
}
