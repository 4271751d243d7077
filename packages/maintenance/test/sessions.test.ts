import { checkHealth } from '@pgcluster/monitoring';
import { executeSkill, exitCodeFor, type ConfirmationPolicy } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { MaintenanceSessionsSkill, SessionsInput, SessionsReport } from '../src';
import { clusterHelpers, eventually } from './helpers';

const cluster = useCluster({ replicas: 0, fast: true });
const { config, loaded, sql, session, alive } = clusterHelpers(cluster);
const run = (input: unknown, options: { yes?: boolean; dryRun?: boolean; policy?: ConfirmationPolicy } = {}) =>
  executeSkill(MaintenanceSessionsSkill, input, { config: loaded(), audit: false, actor: 'library', ...options });

describe('maintenance-sessions on a real cluster', () => {
  test('a blocker holding a lock is found, refused without --yes, unchanged by a dry run, and terminated with --yes', async () => {
    await sql('create table accounts (id int primary key, balance int)');
    await sql('insert into accounts values (1, 100)');
    const blocker = await session();
    const waiter = await session();
    await blocker.client.query('begin');
    await blocker.client.query('update accounts set balance = balance - 1 where id = 1');
    const waiting = waiter.client.query('update accounts set balance = balance + 1 where id = 1');

    const listed = await eventually('the waiter to queue behind the blocker', () => run({}), (e) => (e.data as SessionsReport | null)?.chains.length === 1);
    const report = listed.data as SessionsReport;
    expect(report.chains).toEqual([expect.objectContaining({ root: blocker.pid, waiting: [waiter.pid] })]);
    expect(report.sessions.find((s) => s.pid === blocker.pid)).toMatchObject({ state: 'idle in transaction', blocking: [waiter.pid], statement: 'update accounts set balance = balance - ? where id = ?' });
    expect(listed.recommendations[0]).toMatchObject({ skill: 'maintenance-sessions', input: { pid: blocker.pid, action: 'terminate', node: 'node1' } });
    expect(SessionsInput.safeParse(report.chains[0]!.recommendation.input).error).toBeUndefined();

    // monitoring-health's references to this skill validate against its schema and name the same pid.
    const health = await checkHealth(config(), { checks: ['lock_waits', 'idle_in_transaction'], thresholds: { idle_in_transaction: { warning: 0, critical: 3600 } } });
    const refs = health.findings.map((f) => f.recommendation).filter((r) => r.skill === 'maintenance-sessions');
    expect(refs).toContainEqual(expect.objectContaining({ input: { pid: blocker.pid, action: 'terminate', node: 'node1' } }));
    for (const r of refs) expect(SessionsInput.safeParse(r.input).error).toBeUndefined();

    const dry = await run({ pid: blocker.pid, action: 'terminate' }, { dryRun: true });
    expect(dry.status).toBe('planned');
    expect(dry.plan!.map((s) => s.text)).toContainEqual(expect.stringContaining(`SELECT pg_terminate_backend(${blocker.pid}, 5000)`));
    expect(await alive(blocker.pid)).toBe(true);

    const refused = await run({ pid: blocker.pid, action: 'terminate' });
    expect(refused).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' } });
    expect(exitCodeFor(refused)).toBe(3);
    expect(await alive(blocker.pid)).toBe(true);

    const done = await run({ pid: blocker.pid, action: 'terminate' }, { yes: true });
    expect(done).toMatchObject({ ok: true, status: 'ok' });
    expect((done.data as SessionsReport).actions).toEqual([{ target: `pid ${blocker.pid}`, statement: `SELECT pg_terminate_backend(${blocker.pid}, 5000)`, done: true }]);
    expect(await alive(blocker.pid)).toBe(false);
    await waiting; // the waiter got its lock
    expect((await sql<{ balance: number }>('select balance from accounts'))[0]!.balance).toBe(101);
    await waiter.client.end();
    await blocker.client.end().catch(() => undefined);
  });

  test('a rule selects only unprotected sessions: a superuser idle in a transaction is left alone unless named', async () => {
    await sql("create role app_user login password 'app-secret-1'");
    await sql('grant select on accounts to app_user');
    const url = new URL(cluster().url());
    url.username = 'app_user';
    url.password = 'app-secret-1';
    const app = await session(url.toString());
    const admin = await session();
    await app.client.query('begin');
    await app.client.query('select * from accounts');
    await admin.client.query('begin');
    await admin.client.query('select 1');

    const cancel = await run({ state: 'idle-in-transaction', action: 'cancel' });
    expect(cancel.ok).toBe(true);
    expect((cancel.data as SessionsReport).selected).toEqual([app.pid]);
    const listed = await run({ state: 'idle-in-transaction' });
    expect((listed.data as SessionsReport).sessions.map((s) => s.pid)).toEqual([app.pid]);

    const all = await run({});
    expect((all.data as SessionsReport).sessions.find((s) => s.pid === admin.pid)).toMatchObject({ protected: 'a superuser (maintenance) session' });

    const done = await run({ state: 'idle-in-transaction', minSeconds: 0, action: 'terminate' }, { yes: true });
    expect((done.data as SessionsReport).selected).toEqual([app.pid]);
    expect(await alive(app.pid)).toBe(false);
    expect(await alive(admin.pid)).toBe(true);
    expect(JSON.stringify(done)).not.toContain('app-secret-1');
    await admin.client.end();
    await app.client.end().catch(() => undefined);
  });

  test('terminate is confirmed by the executor\'s gate: an approving policy (the agent\'s) lets it run, a refusing one does not', async () => {
    const s = await session();
    await s.client.query('begin');
    await s.client.query('select 1');
    const judged: unknown[] = [];
    const refusing: ConfirmationPolicy = (meta) => (judged.push([meta.risk, meta.requiresConfirmation]), false);
    const refused = await run({ pid: s.pid, action: 'terminate' }, { policy: refusing });
    expect(refused).toMatchObject({ status: 'refused', error: { message: 'maintenance-sessions --action terminate is a write action and requires confirmation; nothing was run' } });
    expect(refused.plan!.map((p) => p.text)).toContainEqual(expect.stringContaining(`SELECT pg_terminate_backend(${s.pid}, 5000)`));
    expect(await alive(s.pid)).toBe(true);
    // list never asks the policy: it needs no confirmation.
    expect((await run({ pid: s.pid }, { policy: refusing })).status).toBe('ok');
    expect(judged).toEqual([['write', true]]);
    const approved = await run({ pid: s.pid, action: 'terminate' }, { policy: () => true });
    expect(approved).toMatchObject({ ok: true, status: 'ok', data: { actions: [{ target: `pid ${s.pid}`, done: true }] } });
    expect(await alive(s.pid)).toBe(false);
    await s.client.end().catch(() => undefined);
  });

  test('bad input: exit 2 naming the field, nothing done', async () => {
    const s = await session();
    await s.client.query('begin');
    for (const [input, field] of [
      [{ action: 'terminate' }, 'pid'],
      [{ pid: 'abc' }, 'pid'],
      [{ pid: s.pid, state: 'idle' }, 'pid'],
      [{ minSeconds: 5 }, 'minSeconds'],
      [{ action: 'rollback' }, 'preparedTransaction'],
      [{ action: 'explode' }, 'action'],
      [{ pid: 2_000_000_000, action: 'cancel' }, 'pid'],
      [{ preparedTransaction: 'nope', action: 'rollback' }, 'preparedTransaction'],
      [{ node: 'node9' }, 'node'],
      [{ action: 'rollback', preparedTransaction: 'tx', pid: 5 }, '--pid (pid): is not a field of action rollback'],
    ] as const) {
      const e = await run(input, { yes: true });
      expect(e).toMatchObject({ ok: false, status: 'error', error: { code: 'INVALID_INPUT' } });
      expect(e.error!.message).toContain(field);
      expect(exitCodeFor(e)).toBe(2);
    }
    expect(await alive(s.pid)).toBe(true);
    await s.client.end();
  });

  test('a prepared transaction is listed and rolled back with --yes', async () => {
    const previous = await sql<{ v: string }>("select current_setting('max_prepared_transactions') as v");
    if (previous[0]!.v === '0') {
      await sql('alter system set max_prepared_transactions = 5');
      await cluster().restart('node1');
    }
    const s = await session();
    await s.client.query('begin');
    await s.client.query('insert into accounts values (2, 5)');
    await s.client.query("prepare transaction 'tx-forgotten'");
    await s.client.end();
    const listed = await run({});
    expect((listed.data as SessionsReport).preparedTransactions).toEqual([expect.objectContaining({ gid: 'tx-forgotten' })]);
    const refused = await run({ preparedTransaction: 'tx-forgotten', action: 'rollback' });
    expect(exitCodeFor(refused)).toBe(3);
    const done = await run({ preparedTransaction: 'tx-forgotten', action: 'rollback' }, { yes: true });
    expect(done.ok).toBe(true);
    expect((await sql('select gid from pg_prepared_xacts')).length).toBe(0);
    expect((await sql('select * from accounts where id = 2')).length).toBe(0);
  });
});
