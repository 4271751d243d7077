import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuditLog } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { readAgentStateFile, readAgentStatus, readOutcomes, runAgent, setAgentPaused, summarizeOutcomes, writeAgentStateFile, actionKey, type AgentTickSummary } from '../src';
import { agentHarness } from './helpers';

const cluster = useCluster({ replicas: 1, fast: true });
const { sql, session, agent, deadRows, deadTable } = agentHarness(cluster);

describe('the agent on a real cluster', () => {
  // A failed test must not leave its fault behind for the next one's agent to find.
  afterEach(async () => {
    await sql("set lock_timeout = '10s'; drop table if exists public.observed, public.churn, public.paused_t, public.docs, public.accounts, public.stuck, public.restarted, public.locked, public.late");
  });

  test('observe mode never acts, recommend mode records what it would run; neither changes the table', async () => {
    await deadTable('observed');
    const before = await deadRows('observed');
    expect(before).toBeGreaterThan(10_000);

    const observer = agent({ mode: 'observe' });
    await observer.tick();
    const observed = (await readOutcomes({ stateDir: observer.stateDir })).filter((o) => o.object === 'public.observed');
    expect(observed.length).toBeGreaterThan(0);
    expect(observed.every((o) => o.decision === 'observed' && o.result === null && o.auditIds.length === 0)).toBe(true);
    expect(observed.find((o) => o.check === 'dead_tuples')?.action).toMatchObject({ skill: 'maintenance-vacuum', input: { table: 'public.observed' } });
    // Observing twice records nothing new for a finding that did not change.
    await observer.tick();
    expect((await readOutcomes({ stateDir: observer.stateDir })).filter((o) => o.object === 'public.observed')).toHaveLength(observed.length);

    const recommender = agent({ mode: 'recommend' });
    await recommender.tick();
    const recommended = (await readOutcomes({ stateDir: recommender.stateDir })).find((o) => o.check === 'dead_tuples' && o.object === 'public.observed');
    expect(recommended).toMatchObject({ decision: 'recommended', result: null, action: { skill: 'maintenance-vacuum' } });
    expect(await deadRows('observed')).toBe(before);
    // Nothing of the agent reached the audit log but reads.
    expect(new AuditLog({ stateDir: observer.stateDir }).list({ limit: 1000 }).filter((r) => r.skill !== 'monitoring-health' && r.skill !== 'monitoring-performance' && r.skill !== 'cluster-status')).toEqual([]);
    await sql('drop table if exists public.observed');
  });

  test('a table with most rows dead is vacuumed, verified, audited as the agent, and reported with its MTTR', async () => {
    await deadTable('churn');
    const a = agent({ mode: 'act' });
    const [summary] = await a.tick();
    expect(await deadRows('churn')).toBeLessThan(100);
    const acted = summary!.outcomes.find((o) => o.check === 'dead_tuples' && o.object === 'public.churn');
    expect(acted).toMatchObject({ decision: 'acted', result: 'verified', action: { skill: 'maintenance-vacuum', input: { table: 'public.churn' } } });
    expect(acted!.recoverSeconds).toBeGreaterThanOrEqual(0);
    const audit = new AuditLog({ stateDir: a.stateDir }).get(acted!.auditIds[0]!);
    expect(audit).toMatchObject({ skill: 'maintenance-vacuum', actor: 'agent', outcome: { status: 'ok' } });
    const report = summarizeOutcomes(await readOutcomes({ stateDir: a.stateDir }));
    expect(report.perCheck.find((c) => c.check === 'dead_tuples')).toMatchObject({ attempts: 1, verified: 1, successRate: 1 });
    expect(readAgentStateFile(a.stateDir).inFlight).toBeUndefined();
    expect(a.escalations()).toEqual([]);
    await sql('drop table if exists public.churn');
  });

  test('pause stops all action from the next round; resume lets it act again', async () => {
    await deadTable('paused_t');
    const a = agent({ mode: 'act' });
    await setAgentPaused({ stateDir: a.stateDir, paused: true, by: 'alice', reason: 'migration' });
    expect((await readAgentStatus({ stateDir: a.stateDir })).pause).toMatchObject({ by: 'alice' });
    const [paused] = await a.tick();
    expect(paused!.paused).toBe(true);
    expect(paused!.outcomes.filter((o) => o.decision === 'acted')).toEqual([]);
    expect(paused!.outcomes.find((o) => o.check === 'dead_tuples' && o.object === 'public.paused_t')).toMatchObject({ decision: 'skipped', reason: 'a person paused the agent' });
    expect(await deadRows('paused_t')).toBeGreaterThan(10_000);

    await setAgentPaused({ stateDir: a.stateDir, paused: false, by: 'alice' });
    const [resumed] = await a.tick();
    expect(resumed!.outcomes.find((o) => o.check === 'dead_tuples' && o.object === 'public.paused_t')).toMatchObject({ decision: 'acted', result: 'verified' });
    await sql('drop table if exists public.paused_t');
  });

  test('a pause while the loop runs: no action from then on, though the fault is seen', async () => {
    const a = agent({ mode: 'act' });
    const summaries: AgentTickSummary[] = [];
    const stop = new AbortController();
    const loop = runAgent({ loaded: a.loaded(), policy: a.policy, maxTicks: 60, intervalSeconds: 1, signal: stop.signal, stderr: () => undefined, onTick: (s) => void summaries.push(s) });
    const rounds = async (n: number) => {
      while (summaries.length < n) await new Promise((r) => setTimeout(r, 100));
    };
    await rounds(1);
    await setAgentPaused({ stateDir: a.stateDir, paused: true, by: 'bob' });
    await deadTable('late');
    // Two more rounds after the fault exists: each sees it, neither acts.
    await rounds(summaries.length + 2);
    stop.abort();
    await loop;
    const late = summaries.flatMap((s) => s.outcomes).filter((o) => o.object === 'public.late');
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((o) => o.decision === 'acted')).toEqual([]);
    expect(late.find((o) => o.check === 'dead_tuples')).toMatchObject({ decision: 'skipped', reason: 'a person paused the agent' });
    expect(await deadRows('late')).toBeGreaterThan(10_000);
  });

  test('an HNSW index left invalid by a cancelled CREATE INDEX CONCURRENTLY is rebuilt', async () => {
    await sql('create table public.docs (id int primary key, embedding vector(3))');
    await sql("insert into public.docs select g, ('[' || g || ',1,2]')::vector from generate_series(1, 300) g");
    // A writer's open transaction makes the concurrent build wait; its statement timeout cancels it half-way.
    const writer = await session();
    await writer.client.query('begin');
    await writer.client.query("insert into public.docs values (100000, '[1,1,1]')");
    const builder = await session();
    await builder.client.query("set statement_timeout = '1s'");
    await expect(builder.client.query('create index concurrently docs_embedding_hnsw on docs using hnsw (embedding vector_l2_ops)')).rejects.toThrow(/statement timeout/);
    await builder.client.end();
    await writer.client.query('rollback');
    await writer.client.end();
    const valid = async () => (await sql<{ v: boolean }>("select indisvalid as v from pg_index where indexrelid = 'public.docs_embedding_hnsw'::regclass"))[0]!.v;
    expect(await valid()).toBe(false);

    const a = agent({ mode: 'act' });
    const [summary] = await a.tick();
    const tries = summary!.outcomes.filter((o) => o.check === 'vector_index_invalid');
    // The finding's own recommendation rebuilds the index; when its input does not fit (nothing
    // runs), the decision tree's schema-qualified index is next.
    expect(tries.at(-1)).toMatchObject({ decision: 'acted', result: 'verified', action: { skill: 'vector-index', input: { action: 'rebuild', index: expect.stringMatching(/^(public\.)?docs_embedding_hnsw$/) } } });
    for (const t of tries.slice(0, -1)) expect(t).toMatchObject({ result: 'failed', message: expect.stringContaining('INVALID_INPUT') });
    expect(a.escalations()).toEqual([]);
    expect(await valid()).toBe(true);
    await sql('drop table if exists public.docs');
  });

  test('an idle-in-transaction session holding a lock: the approving policy confirms terminate, the session ends, the lock is released, the finding is gone', async () => {
    await sql('create table public.accounts (id int primary key, balance int)');
    await sql('insert into public.accounts values (1, 100)');
    const holder = await session();
    await holder.client.query('begin');
    await holder.client.query('update accounts set balance = balance - 1 where id = 1');
    try {
      await new Promise((r) => setTimeout(r, 2_500));
      const alive = async () => (await sql<{ n: number }>('select count(*)::int as n from pg_stat_activity where pid = $1', [holder.pid]))[0]!.n === 1;
      const locks = async () => (await sql<{ n: number }>('select count(*)::int as n from pg_locks where pid = $1', [holder.pid]))[0]!.n;
      expect(await locks()).toBeGreaterThan(0);

      const a = agent({ mode: 'act', approve: ['maintenance-sessions'], thresholds: { idle_in_transaction: { warning: 1, critical: 3600 } } });
      const [summary] = await a.tick();
      const o = summary!.outcomes.find((x) => x.check === 'idle_in_transaction' && x.object.includes(String(holder.pid)));
      // The executor let the approving policy confirm the terminate action (as --yes would).
      expect(o).toMatchObject({ decision: 'acted', result: 'verified', action: { skill: 'maintenance-sessions', input: { pid: holder.pid, action: 'terminate' } } });
      expect(o!.auditIds).toHaveLength(1);
      expect(await alive()).toBe(false);
      expect(await locks()).toBe(0);
      // The row lock is released: another writer updates the row at once (lock_timeout would fail it otherwise).
      await sql("set lock_timeout = '2s'; update public.accounts set balance = balance + 1 where id = 1");
      expect(a.escalations()).toEqual([]);
      // The next round no longer sees the finding.
      const [next] = await a.tick();
      expect(next!.outcomes.filter((x) => x.check === 'idle_in_transaction' && x.object.includes(String(holder.pid)))).toEqual([]);
      const audit = new AuditLog({ stateDir: a.stateDir }).list({ limit: 1000 }).find((r) => r.id === o!.auditIds[0]);
      expect(audit).toMatchObject({ skill: 'maintenance-sessions', actor: 'agent' });
    } finally {
      await holder.client.end().catch(() => undefined);
    }
    await sql('drop table if exists public.accounts');
  });

  test('a slow frequent statement missing an index: maintenance-optimize --apply creates it, keeps it measured faster (verified); the next window no longer sees it', async () => {
    await sql('create extension if not exists pg_stat_statements');
    await sql('create extension if not exists hypopg');
    await sql('create table public.late (id int primary key, customer_id int not null, amount int)');
    await sql('insert into public.late select g, g % 10000, g % 1000 from generate_series(1, 200000) g');
    await sql('analyze public.late');
    const indexes = async () => (await sql<{ def: string }>("select indexdef as def from pg_indexes where schemaname = 'public' and tablename = 'late' and indexname <> 'late_pkey'")).map((r) => r.def);
    expect(await indexes()).toEqual([]);
    // Only this workload counts: the statement is frequent (30 calls) and slow (a sequential scan each).
    await sql('select pg_stat_statements_reset()');
    const client = await session();
    const workload = async () => {
      for (let i = 0; i < 30; i += 1) await client.client.query('select * from public.late where customer_id = $1', [(i * 37) % 10_000]);
    };
    try {
      await workload();
      const a = agent({ mode: 'act', slowStatements: { meanMs: 1, minCalls: 20 } });
      const [summary] = await a.tick();
      const o = summary!.outcomes.find((x) => x.check === 'slow_statement' && x.decision === 'acted');
      expect(o).toMatchObject({ result: 'verified', action: { skill: 'maintenance-optimize', input: { apply: true, database: expect.any(String), queryId: expect.any(String) } } });
      expect(o!.message).toContain('kept');
      expect(await indexes()).toEqual([expect.stringMatching(/\(customer_id\)/)]);
      // The statement now uses the index: the next window of the same workload is not slow.
      await workload();
      const [next] = await a.tick();
      expect(next!.outcomes.filter((x) => x.check === 'slow_statement' && x.object === o!.object)).toEqual([]);
      const audit = new AuditLog({ stateDir: a.stateDir }).list({ limit: 1000 }).find((r) => r.id === o!.auditIds[0]);
      expect(audit).toMatchObject({ skill: 'maintenance-optimize', actor: 'agent' });
    } finally {
      await client.client.end().catch(() => undefined);
    }
    await sql('drop table if exists public.late');
  });

  test('a remediation that does not help is reverted and escalated (webhook and stderr); after two failures it is not tried there again', async () => {
    const received: Record<string, unknown>[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(JSON.parse(body) as Record<string, unknown>);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      await deadTable('stuck');
      const reloptions = async () => (await sql<{ o: string[] | null }>("select reloptions as o from pg_class where relname = 'stuck'"))[0]!.o;
      // Tuning autovacuum does not remove the dead rows that are already there: verification fails.
      const a = agent({
        mode: 'act',
        rateLimit: { sameActionCooldownMinutes: 0 },
        remediations: { dead_tuples: [{ skill: 'maintenance-vacuum', input: { table: '<object>', autovacuumSettings: { autovacuum_vacuum_scale_factor: 0.01 } } }] },
        observeOnly: ['recently_restarted', 'autovacuum_overdue', 'stale_statistics'],
        escalate: { channels: [{ type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` }] },
      });
      const [first] = await a.tick();
      const o = first!.outcomes.find((x) => x.check === 'dead_tuples' && x.object === 'public.stuck');
      expect(o).toMatchObject({ decision: 'acted', result: 'reverted', message: expect.stringContaining('reverted with maintenance-vacuum') });
      expect(o!.auditIds).toHaveLength(2);
      expect(await reloptions()).toEqual(['autovacuum_enabled=off']);
      const hook = received.find((r) => r['check'] === 'dead_tuples');
      expect(hook).toMatchObject({ source: 'pgcluster-agent', object: 'public.stuck', tried: [o!.action], auditIds: o!.auditIds });
      expect(a.escalations()).toContainEqual(expect.objectContaining({ check: 'dead_tuples', auditIds: o!.auditIds }));

      const [second] = await a.tick();
      expect(second!.outcomes.find((x) => x.check === 'dead_tuples' && x.object === 'public.stuck')).toMatchObject({ decision: 'acted', result: 'reverted' });
      const [third] = await a.tick();
      expect(third!.outcomes.find((x) => x.check === 'dead_tuples' && x.object === 'public.stuck')).toMatchObject({ decision: 'escalated', reason: expect.stringContaining('already failed 2 times') });
      expect(summarizeOutcomes(await readOutcomes({ stateDir: a.stateDir })).perCheck.find((c) => c.check === 'dead_tuples')).toMatchObject({ attempts: 2, verified: 0, reverted: 2, successRate: 0 });
      await sql('drop table if exists public.stuck');
    } finally {
      server.close();
    }
  });

  test('an action in flight when the agent stopped is never run again after its restart', async () => {
    await deadTable('restarted');
    const a = agent({ mode: 'act' });
    const action = { skill: 'maintenance-vacuum', input: { table: 'public.restarted' } };
    // The state a crash leaves: the in-flight marker written, the action maybe begun, the process gone.
    const marker = { outcomeId: 'crashed-1', key: actionKey(action), check: 'dead_tuples', node: 'node1', object: 'public.restarted', action, at: new Date().toISOString() };
    writeAgentStateFile(a.stateDir, { pid: 999_999_999, actions: [marker], inFlight: marker });
    const [summary] = await a.tick();
    expect(summary!.outcomes.find((o) => o.id === 'crashed-1')).toMatchObject({ result: 'escalated', message: expect.stringContaining('not run again') });
    expect(summary!.outcomes.find((o) => o.check === 'dead_tuples' && o.object === 'public.restarted' && o.id !== 'crashed-1')).toMatchObject({ decision: 'skipped', reason: expect.stringContaining('cooldown') });
    expect(await deadRows('restarted')).toBeGreaterThan(10_000);
    expect(new AuditLog({ stateDir: a.stateDir }).list({ limit: 1000, skill: 'maintenance-vacuum' })).toEqual([]);
    expect(readAgentStateFile(a.stateDir).inFlight).toBeUndefined();
    await sql('drop table if exists public.restarted');
  });

  test('a remediation that times out is stopped and escalated, and the loop goes on', async () => {
    await deadTable('locked');
    // A lock VACUUM waits for: the vacuum cannot finish within the policy's timeout.
    const holder = await session();
    await holder.client.query('begin');
    await holder.client.query('lock table public.locked in share update exclusive mode');
    try {
      const a = agent({ mode: 'act', skillTimeoutSeconds: 2, observeOnly: ['recently_restarted', 'stale_statistics', 'autovacuum_overdue'] });
      const rounds = await a.tick({ maxTicks: 2 });
      expect(rounds).toHaveLength(2);
      const of = (i: number) => rounds[i]!.outcomes.find((o) => o.check === 'dead_tuples' && o.object === 'public.locked');
      expect(of(0)).toMatchObject({ decision: 'acted', result: 'failed', message: expect.stringContaining('TIMEOUT') });
      expect(of(1)).toMatchObject({ decision: 'skipped', reason: expect.stringContaining('cooldown') });
      expect(a.escalations()).toContainEqual(expect.objectContaining({ check: 'dead_tuples', object: 'public.locked', auditIds: of(0)!.auditIds }));
      // The run was stopped on the server too: no VACUUM is left waiting for the lock.
      expect(await sql<{ n: number }>("select count(*)::int as n from pg_stat_activity where query ilike 'vacuum%locked%'")).toEqual([{ n: 0 }]);
      expect(await deadRows('locked')).toBeGreaterThan(10_000);
    } finally {
      await holder.client.end().catch(() => undefined);
    }
  });

  test('a replica down is escalated, not acted on', async () => {
    await cluster().kill('node2');
    const a = agent({ mode: 'act', approve: ['cluster-failover'] });
    const [summary] = await a.tick();
    const down = summary!.outcomes.find((o) => o.check === 'node_down' && o.object === 'node2');
    expect(down).toMatchObject({ decision: 'escalated', severity: 'critical', auditIds: [], action: { skill: 'cluster-status' } });
    expect(summary!.outcomes.filter((o) => o.decision === 'acted')).toEqual([]);
    expect(a.escalations()).toContainEqual(expect.objectContaining({ check: 'node_down', object: 'node2', severity: 'critical' }));
    // Escalated once, not every round.
    await a.tick();
    expect(a.escalations().filter((e) => e['check'] === 'node_down')).toHaveLength(1);
  });
});
