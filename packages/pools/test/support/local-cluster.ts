/**
 * A stand-in for `@pgcluster/testing`'s `startCluster` until that package lands: a primary
 * and N streaming replicas from the local PostgreSQL 15 binaries, run as the `postgres`
 * OS user when we are root, on free loopback ports, with password (scram) authentication.
 * Test-only; it mirrors the handle of `startCluster` (url, nodes, primary, replicas, kill,
 * restart, stop) so the tests switch to `useCluster` by changing one import.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalNode {
  name: string;
  port: number;
  dataDir: string;
}

export interface LocalCluster {
  nodes: LocalNode[];
  primary: LocalNode;
  replicas: LocalNode[];
  root: string;
  password: string;
  bindir: string;
  url(nodeName?: string, database?: string): string;
  kill(nodeName: string): void;
  restart(nodeName: string): void;
  stop(): void;
}

const BINDIR = (() => {
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    return '/usr/lib/postgresql/15/bin';
  }
})();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function asPostgres(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const isRoot = process.getuid?.() === 0;
  const full = isRoot ? ['-u', 'postgres', '--', 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args] : args;
  const r = spawnSync(isRoot ? 'runuser' : cmd, full, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    cwd: '/tmp',
  });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export async function startLocalCluster(options: { replicas?: number; name?: string } = {}): Promise<LocalCluster> {
  const replicas = options.replicas ?? 1;
  const password = 'pw-' + Math.random().toString(36).slice(2, 10);
  const root = mkdtempSync(join(tmpdir(), `pgc-${options.name ?? 'test'}-`));
  chmodSync(root, 0o755);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  const pwfile = join(root, 'pwfile');
  asPostgres('sh', ['-c', `umask 077 && printf '%s\\n' '${password}' > ${pwfile}`]);
  const nodes: LocalNode[] = [];
  for (let i = 0; i <= replicas; i++) nodes.push({ name: `node${i + 1}`, port: await freePort(), dataDir: join(root, `node${i + 1}`) });
  const [primary, ...reps] = nodes as [LocalNode, ...LocalNode[]];

  asPostgres(join(BINDIR, 'initdb'), ['-D', primary.dataDir, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--no-sync']);
  asPostgres('sh', [
    '-c',
    `cat >> ${primary.dataDir}/postgresql.conf <<'CONF'
listen_addresses = '127.0.0.1'
unix_socket_directories = '${root}'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = replica
max_wal_senders = 10
hot_standby = on
shared_buffers = 32MB
max_connections = 60
wal_keep_size = 64MB
CONF
echo 'host replication all 127.0.0.1/32 scram-sha-256' >> ${primary.dataDir}/pg_hba.conf`,
  ]);
  const start = (n: LocalNode) =>
    asPostgres(join(BINDIR, 'pg_ctl'), ['-D', n.dataDir, '-o', `-p ${n.port}`, '-l', join(root, `${n.name}.log`), '-w', 'start']);
  start(primary);
  for (const r of reps) {
    asPostgres(join(BINDIR, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', r.dataDir, '-R', '-X', 'stream', '--no-sync'], {
      PGPASSWORD: password,
    });
    start(r);
  }
  const url = (nodeName?: string, database = 'postgres') => {
    const n = nodeName ? nodes.find((x) => x.name === nodeName) : primary;
    if (!n) throw new Error(`no node ${nodeName}`);
    return `postgresql://postgres:${password}@127.0.0.1:${n.port}/${database}`;
  };
  const find = (name: string) => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };
  return {
    nodes,
    primary,
    replicas: reps,
    root,
    password,
    bindir: BINDIR,
    url,
    kill(name) {
      const n = find(name);
      const pidFile = join(n.dataDir, 'postmaster.pid');
      if (!existsSync(pidFile)) return;
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      // wait for the port to close
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const r = spawnSync(join(BINDIR, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(n.port), '-t', '1']);
        if (r.status === 2) break;
        spawnSync('sleep', ['0.2']);
      }
    },
    restart(name) {
      const n = find(name);
      spawnSync('runuser', ['-u', 'postgres', '--', join(BINDIR, 'pg_ctl'), '-D', n.dataDir, '-m', 'immediate', 'stop'], { cwd: '/tmp' });
      start(n);
    },
    stop() {
      for (const n of nodes) {
        spawnSync('runuser', ['-u', 'postgres', '--', join(BINDIR, 'pg_ctl'), '-D', n.dataDir, '-m', 'immediate', '-w', 'stop'], { cwd: '/tmp' });
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
