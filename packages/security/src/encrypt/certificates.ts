import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { PgClusterError } from '@pgcluster/core';

/** Runs openssl (argv only: no secret is involved, the keys are written to files by openssl itself). */
function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 60_000 }, (error, _stdout, stderr) => {
      if (error) reject(new PgClusterError('ACTION_FAILED', `openssl ${args[0]} failed: ${String(stderr).trim().split('\n').slice(-2).join(' ') || error.message}`, { cause: error }));
      else resolve();
    });
  });
}

/**
 * A CA for the cluster in `dir` (mode 700): `ca.crt` and `ca.key` (mode 600). An existing CA
 * there is reused, so certificates issued earlier stay valid.
 * @example const { crt, key } = await ensureCa('/srv/app/.pgcluster/tls', 'dev', 825)
 */
export async function ensureCa(dir: string, cluster: string, days: number): Promise<{ crt: string; key: string; created: boolean }> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const crt = join(dir, 'ca.crt');
  const key = join(dir, 'ca.key');
  if (existsSync(crt) && existsSync(key)) return { crt, key, created: false };
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', String(days), '-subj', `/CN=pgcluster ${cluster} CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { crt, key, created: true };
}

/**
 * The subject alternative names of a node's certificate: its host from the URL, plus localhost
 * and 127.0.0.1 when it is a loopback address.
 * @example nodeSans('127.0.0.1') // ['IP:127.0.0.1', 'DNS:localhost']
 */
export function nodeSans(host: string): string[] {
  const own = isIP(host) ? `IP:${host}` : `DNS:${host}`;
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  return [...new Set([own, ...(loopback ? ['IP:127.0.0.1', 'DNS:localhost'] : [])])];
}

/**
 * Issues a server certificate signed by the CA, for `sans`, into `crt` and `key` (mode 600),
 * working in `workDir` (the CSR and extension file are deleted afterwards).
 * @example await issueServerCertificate(ca, workDir, 'node1', ['IP:127.0.0.1'], crtPath, keyPath, 825)
 */
export async function issueServerCertificate(ca: { crt: string; key: string }, workDir: string, name: string, sans: readonly string[], crt: string, key: string, days: number): Promise<void> {
  const csr = join(workDir, `${name}.csr`);
  const ext = join(workDir, `${name}.ext`);
  writeFileSync(ext, `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.join(',')}\n`, { mode: 0o600 });
  try {
    await openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${sans[0]!.replace(/^(IP|DNS):/, '')}`]);
    await openssl(['x509', '-req', '-in', csr, '-CA', ca.crt, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-days', String(days), '-extfile', ext, '-out', crt]);
  } finally {
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
  }
}
