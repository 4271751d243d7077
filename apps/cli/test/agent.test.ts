import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from '@pgcluster/core';
import { agentStatePaths } from '@pgcluster/agent';
import { useCluster } from '@pgcluster/testing';
import { runCli } from './helpers/run-cli';

const cluster = useCluster({ replicas: 0, fast: true });

describe('pgcluster agent', () => {
  let cwd: string;
  const sql = (text: string) => withClient({ url: cluster().url() }, 'test', (c) => c.query(text));
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'pgcluster-agent-cli-'));
    writeFileSync(join(cwd, 'pgcluster.config.json'), JSON.stringify({ name: 'itest', nodes: [{ name: 'node1', url: cluster().url() }], stateDir: 'state' }));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test('a bad policy or flag: exit 2 naming the key or flag, and nothing ran', async () => {
    writeFileSync(join(cwd, 'bad.json'), JSON.stringify({ mode: 'act', rateLimit: { sameActionCooldownMinutes: 'ten' } }));
    const bad = await runCli(['agent', '--once', '--policy', 'bad.json'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('rateLimit.sameActionCooldownMinutes');
    const interval = await runCli(['agent', 'run', '--interval', '-5', '--format', 'json'], { cwd });
    expect(interval.code).toBe(2);
    expect(JSON.parse(interval.stdout)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', message: expect.stringContaining('--interval') } });
    expect(existsSync(agentStatePaths(join(cwd, 'state')).outcomesFile)).toBe(false);
  });

  test('pause, status and resume; a paused --once round acts on nothing', async () => {
    await sql('create table public.churn (id int primary key, payload text) with (autovacuum_enabled = off)');
    await sql("insert into public.churn select i, repeat('x', 50) from generate_series(1, 20000) i");
    await sql('delete from public.churn where id % 5 <> 0');
    writeFileSync(join(cwd, 'pgcluster.agent.json'), JSON.stringify({ mode: 'act', verify: { delaySeconds: 0.5 } }));

    const paused = await runCli(['agent', 'pause', '--reason', 'migration', '--format', 'json'], { cwd, env: { USER: 'alice' } });
    expect(JSON.parse(paused.stdout).data).toMatchObject({ mode: 'act', paused: true, pause: { by: 'alice', reason: 'migration' } });
    const once = await runCli(['agent', '--once'], { cwd });
    expect(once.stdout).toMatch(/, paused\n/);
    expect(once.stdout).toContain('skipped dead_tuples on node1/public.churn');
    expect(once.stdout).not.toContain('acted');

    await runCli(['agent', 'resume'], { cwd });
    const status = await runCli(['agent', 'status'], { cwd });
    expect(status.stdout).toContain('paused: no');
    expect(status.stdout).toContain(`policy: ${join(cwd, 'pgcluster.agent.json')}`);
  });

  test('--once in act mode vacuums the table, and report shows the success rate and MTTR per check', async () => {
    const once = await runCli(['agent', '--once', '--format', 'json'], { cwd });
    const rounds = JSON.parse(once.stdout).data.rounds as { outcomes: { check: string; decision: string; result: string | null }[] }[];
    expect(rounds[0]!.outcomes).toContainEqual(expect.objectContaining({ check: 'dead_tuples', decision: 'acted', result: 'verified' }));
    const report = await runCli(['agent', 'report', '--format', 'json'], { cwd });
    expect(report.code).toBe(0);
    const data = JSON.parse(report.stdout).data;
    expect(data.perCheck).toContainEqual(expect.objectContaining({ check: 'dead_tuples', attempts: 1, verified: 1, successRate: 1, mttrSeconds: expect.any(Number) }));
    const human = await runCli(['agent', 'report'], { cwd });
    expect(human.stdout).toMatch(/dead_tuples\s+1\s+1\s+0\s+0\s+100%/);
  });
});
