/**
 * Timeouts and cancels stop the work, on a real cluster: the CLI as a subprocess (as Claude
 * Code runs it) with --timeout or SIGTERM, and a library caller's AbortSignal. After each
 * stopped run: the process has exited by itself, no backend of ours is left on the server,
 * no program of ours is left running, and no half-made object (an invalid index, a partial
 * backup) is left behind. Slow steps are made to wait on purpose (a lock, an old snapshot),
 * so every stop happens mid-work whatever the machine's speed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient } from '@pgcluster/core';
import { executeSkill } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { VectorIndexSkill } from '@pgcluster/vector';
import { BIN, buildCli } from './helpers/run-cli';

const cluster = useCluster({ replicas: 0, fast: true, extensions: ['vector'] });
/** How long a stopped CLI may take to exit before the test kills it and fails: generous, not a speed goal. */
const KILL_GUARD_MS = 60_000;
const TEST_APP = 'cancel-test';

interface Exit {
  code: number | null;
  /** True when the guard had to kill it: the process did not end by itself. */
  guarded: boolean;
  stdout: string;
  stderr: string;
}

describe('timeouts and cancels stop the work', () => {
  let dir: string;
  const url = () => cluster().url();
  const sql = async <T = Record<string, unknown>>(text: string, params: unknown[] = []) =>
    withClient({ url: url(), applicationName: TEST_APP }, 'test query', async (c) => (await c.query(text, params)).rows as T[]);

  beforeAll(async () => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-cancel-'));
    writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'cancel', nodes: [{ name: 'node1', url: url() }] }), { mode: 0o600 });
    await sql('create extension if not exists vector');
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts the built CLI; `done` resolves when it exits (or when the guard killed it). */
  function startCli(args: string[]) {
    const child = spawn(process.execPath, [BIN, ...args, '--format', 'json'], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let guarded = false;
    const guard = setTimeout(() => {
      guarded = true;
      child.kill('SIGKILL');
    }, KILL_GUARD_MS);
    const done = new Promise<Exit>((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(guard);
        // 'exit' can come before the last of stdout; 'close' follows once the streams end.
        child.on('close', () => resolve({ code, guarded, stdout, stderr }));
      }),
    );
    return { child, done };
  }

  const envelopeOf = (exit: Exit) => JSON.parse(exit.stdout) as { ok: boolean; status: string; alerts: string[]; error?: { code: string; message: string; hint?: string } };

  /** Waits until `check` holds (polling); fails the test when it never does. */
  async function waitFor(what: string, check: () => Promise<boolean>, boundMs = 60_000): Promise<void> {
    const until = Date.now() + boundMs;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Backends of pgcluster (any application_name it uses) still on the server, ours excluded. */
  const ourBackends = () =>
    sql<{ pid: number; application_name: string; query: string }>(
      "select pid, application_name, query from pg_stat_activity where pid <> pg_backend_pid() and application_name like 'pgcluster%'",
    );
  /** A backend ends moments after its client's socket closes; wait for that, then report what is left. */
  async function backendsLeft() {
    await waitFor('the stopped run\'s backends to end', async () => (await ourBackends()).length === 0, 10_000).catch(() => undefined);
    return ourBackends();
  }
  /** Programs whose command line names the test's folder (pg_dump writes its file there). */
  const programsLeft = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .flatMap((pid) => {
        try {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
          return cmd.includes(dir) ? [`${pid} ${cmd}`] : [];
        } catch {
          return [];
        }
      });
  const invalidIndexes = () => sql<{ name: string }>('select indexrelid::regclass::text as name from pg_index where not indisvalid');
  /** Backup folders in the state dir, and catalogue entries. */
  const backupsOnDisk = () => {
    const folder = join(dir, '.pgcluster', 'backups');
    const entries = existsSync(folder) ? readdirSync(folder).filter((n) => /^\d{8}T/.test(n)) : [];
    const catalogue = join(folder, 'catalogue.json');
    const catalogued = existsSync(catalogue) ? (JSON.parse(readFileSync(catalogue, 'utf8')) as { backups: unknown[] }).backups.length : 0;
    return { folders: entries, catalogued };
  };

  /** Runs `statements` in a transaction that stays open until `release()` (which rolls it back). */
  async function holdTransaction(statements: string[]): Promise<{ release(): Promise<void> }> {
    let release = () => undefined as void;
    const released = new Promise<void>((r) => (release = r));
    let ready = () => undefined as void;
    const started = new Promise<void>((r) => (ready = r));
    const held = withClient({ url: url(), applicationName: TEST_APP }, 'holding a transaction', async (c) => {
      for (const s of statements) await c.query(s);
      ready();
      await released;
      await c.query('rollback');
    });
    await Promise.race([started, held]);
    return {
      release: async () => {
        release();
        await held;
      },
    };
  }
  /** Holds an ACCESS EXCLUSIVE lock on a table, so that pg_dump waits for it. */
  async function lockTable(table: string) {
    await sql(`create table if not exists ${table} (id int)`);
    return holdTransaction(['begin', `lock table ${table} in access exclusive mode`]);
  }
  const dumpWaitingOnLock = async () =>
    (await sql<{ n: number }>("select count(*)::int as n from pg_stat_activity where application_name = 'pgcluster-backup' and wait_event_type = 'Lock'"))[0]!.n > 0;

  it('SIGTERM stops a backup: the CLI exits, pg_dump and its backend are gone, no partial backup is left', async () => {
    const blocker = await lockTable('locked_for_sigterm');
    try {
      const run = startCli(['cluster-backup', '--action', 'backup']);
      await waitFor('pg_dump to wait on the locked table', dumpWaitingOnLock);
      run.child.kill('SIGTERM');
      const exit = await run.done;
      expect(exit.guarded).toBe(false);
      expect(exit.code).toBe(2);
      const envelope = envelopeOf(exit);
      expect(envelope.error).toMatchObject({ code: 'ABORTED', message: 'cluster-backup was interrupted (SIGTERM)' });
      expect(envelope.alerts.join('\n')).toMatch(/the partial backup \S+ was removed and nothing was added to the catalogue/);
    } finally {
      await blocker.release();
    }
    expect(programsLeft()).toEqual([]);
    expect(await backendsLeft()).toEqual([]);
    expect(backupsOnDisk()).toEqual({ folders: [], catalogued: 0 });
  }, 120_000);

  it('--timeout stops a backup the same way (TIMEOUT, exit 2), and the next backup works', async () => {
    const blocker = await lockTable('locked_for_timeout');
    let exit: Exit;
    try {
      const run = startCli(['cluster-backup', '--action', 'backup', '--timeout', '5000']);
      exit = await run.done;
    } finally {
      await blocker.release();
    }
    expect(exit.guarded).toBe(false);
    expect(exit.code).toBe(2);
    expect(envelopeOf(exit).error).toMatchObject({ code: 'TIMEOUT', message: 'cluster-backup did not finish within 5 s' });
    expect(programsLeft()).toEqual([]);
    expect(await backendsLeft()).toEqual([]);
    expect(backupsOnDisk()).toEqual({ folders: [], catalogued: 0 });

    const again = await startCli(['cluster-backup', '--action', 'backup']).done;
    expect(envelopeOf(again)).toMatchObject({ ok: true, status: 'ok' });
    expect(backupsOnDisk()).toMatchObject({ catalogued: 1 });
  }, 120_000);

  it('--timeout stops CREATE INDEX CONCURRENTLY on the server and drops the invalid index it left', async () => {
    expect((await startCli(['vector-index', '--action', 'create-collection', '--collection', 'waits', '--dimension', '8']).done).code).toBe(0);
    await sql("insert into waits (key, embedding) select g::text, array(select random() from generate_series(1, 8) where g > 0)::vector(8) from generate_series(1, 2000) g");
    // A transaction with an older snapshot: the concurrent build, its index already in the
    // catalogue (invalid), waits for it at its last phase until the timeout.
    const blocker = await holdTransaction(['begin isolation level repeatable read', 'select 1']);
    let sawWaiting = false;
    let exit: Exit;
    try {
      const run = startCli(['vector-index', '--action', 'create', '--collection', 'waits', '--timeout', '10000']);
      const watch = waitFor('the build to wait for old snapshots', async () => {
        const rows = await sql<{ phase: string }>('select phase from pg_stat_progress_create_index');
        sawWaiting ||= rows.some((r) => r.phase === 'waiting for old snapshots');
        return sawWaiting;
      }).catch(() => undefined);
      exit = await run.done;
      await watch;
    } finally {
      await blocker.release();
    }
    expect(sawWaiting).toBe(true);
    expect(exit.guarded).toBe(false);
    expect(exit.code).toBe(2);
    const envelope = envelopeOf(exit);
    expect(envelope.error).toMatchObject({ code: 'TIMEOUT', message: 'vector-index did not finish within 10 s' });
    const alerts = envelope.alerts.join('\n');
    expect(alerts).toMatch(/cancelled \d+ server backend\(s\) of the run \(pg_cancel_backend\)/);
    expect(alerts).toContain('the invalid index waits_embedding_hnsw it left was dropped');
    expect(await invalidIndexes()).toEqual([]);
    expect(await sql("select to_regclass('waits_embedding_hnsw') as r")).toEqual([{ r: null }]);
    expect(await backendsLeft()).toEqual([]);
  }, 120_000);

  it('vector-benchmark --timeout 2000: the process ends by itself and leaves no backend', async () => {
    const exit = await startCli(['vector-benchmark', '--collection', 'waits', '--operations', '100000', '--sample-size', '5', '--timeout', '2000']).done;
    expect(exit.guarded).toBe(false);
    expect(exit.code).toBe(2);
    expect(envelopeOf(exit).error).toMatchObject({ code: 'TIMEOUT' });
    expect(await backendsLeft()).toEqual([]);
  }, 120_000);

  it("a library caller's AbortSignal stops a real HNSW build mid-way: no backend, no invalid index", async () => {
    const config = ClusterConfig.parse({ name: 'cancel', nodes: [{ name: 'node1', url: url() }] });
    const loaded = { config, source: 'test', stateDir: join(dir, '.pgcluster') };
    expect((await executeSkill(VectorIndexSkill, { action: 'create-collection', collection: 'big', dimension: 32 }, { config: loaded, audit: false })).ok).toBe(true);
    await sql("insert into big (key, embedding) select g::text, array(select random() from generate_series(1, 32) where g > 0)::vector(32) from generate_series(1, 50000) g");
    const controller = new AbortController();
    const building = waitFor('the HNSW build to be under way', async () =>
      (await sql<{ phase: string }>('select phase from pg_stat_progress_create_index')).some((r) => r.phase.startsWith('building index')),
    ).then(() => controller.abort());
    const envelope = await executeSkill(VectorIndexSkill, { action: 'create', collection: 'big', efConstruction: 200, parallelWorkers: 0 }, { config: loaded, audit: false, signal: controller.signal, timeoutMs: 600_000 });
    await building;
    expect(envelope.error).toMatchObject({ code: 'ABORTED', message: 'vector-index was cancelled by the caller' });
    expect(envelope.alerts.join('\n')).toContain('the invalid index big_embedding_hnsw it left was dropped');
    expect(await invalidIndexes()).toEqual([]);
    expect(await sql('select count(*)::int as n from pg_stat_progress_create_index')).toEqual([{ n: 0 }]);
    expect(await backendsLeft()).toEqual([]);
  }, 300_000);
});
