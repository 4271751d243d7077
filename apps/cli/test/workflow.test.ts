/**
 * `pgcluster workflow list | show | run` as a user runs it (the built CLI as a subprocess, a real
 * cluster): the listing and a step's command lines, a dry run of the whole chain that changes
 * nothing, a real safe-maintenance run that clears a table's dead rows, exit 3 without --yes for
 * a workflow with a step that needs confirmation, and exit 2 naming the nearest workflow or flag.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import { buildCli, spawnCli } from './helpers/run-cli';

describe('pgcluster workflow (built CLI, real cluster)', () => {
  const cluster = useCluster({ replicas: 0, fast: true });
  let dir: string;
  const sql = async (text: string) => withClient({ url: cluster().url() }, 'test query', async (c) => (await c.query(text)).rows);
  const deadRows = async () => Number((await sql("select n_dead_tup from pg_stat_user_tables where relname = 'wf_churn'"))[0]?.n_dead_tup ?? 0);
  const database = () => new URL(cluster().url()).pathname.slice(1);
  const cli = (...args: string[]) => spawnCli(args, { cwd: dir });

  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-workflow-'));
  }, 180_000);
  beforeEach(() => {
    const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url() }));
    writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'wf', nodes }), { mode: 0o600 });
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('list and show: every workflow, its steps as command lines and its conditions', () => {
    const list = cli('workflow', 'list', '--format', 'json');
    expect(list.code).toBe(0);
    const { workflows } = JSON.parse(list.stdout).data as { workflows: { name: string; needsYes: boolean }[] };
    expect(workflows.map((w) => [w.name, w.needsYes])).toEqual([
      ['safe-maintenance', false],
      ['slow-database', false],
      ['rotate-and-verify', true],
    ]);
    const show = cli('workflow', 'show', 'safe-maintenance');
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('4. vacuum: pgcluster maintenance-vacuum --database <database> --analyze');
    expect(show.stdout).toContain('only if: steps.health.data.findings[check=dead_tuples]');
    expect(show.stdout).toContain('pgcluster workflow run safe-maintenance --param database=<database> --dry-run');
  });

  test('run --dry-run plans every step and changes nothing; a real run clears the dead rows', async () => {
    await sql('create table public.wf_churn (id int primary key, payload text) with (autovacuum_enabled = off)');
    await sql("insert into public.wf_churn select i, repeat('x', 100) from generate_series(1, 20000) i");
    await sql('delete from public.wf_churn where id % 2 = 0');
    const before = await deadRows();
    expect(before).toBeGreaterThanOrEqual(10_000);

    const dry = cli('workflow', 'run', 'safe-maintenance', '--param', `database=${database()}`, '--dry-run', '--format', 'json');
    expect({ code: dry.code, stderr: dry.stderr }).toEqual({ code: 0, stderr: '' });
    const planned = JSON.parse(dry.stdout) as { status: string; steps: { status: string; envelope: { plan: unknown[] } }[] };
    expect(planned.status).toBe('planned');
    expect(planned.steps.map((s) => s.status)).toEqual(Array(6).fill('planned'));
    expect(await deadRows()).toBe(before);

    const human = cli('workflow', 'run', 'safe-maintenance', '--param', `database=${database()}`);
    expect(human.code).toBe(0);
    expect(human.stdout.split('\n')[0]).toBe('workflow safe-maintenance: ok, 5 of 6 steps ran');
    expect(human.stdout).toMatch(/✓ vacuum\s+ran\s+pgcluster maintenance-vacuum --database \S+ --analyze/);
    expect(human.stdout).toMatch(/- analyze\s+skipped/);
    expect(await deadRows()).toBeLessThan(100);
    // The run's own audit record, printed with the run and listed by `pgcluster audit list`.
    const auditId = /^audit: (\S+)/m.exec(human.stdout)?.[1];
    expect(auditId).toBeDefined();
    const list = cli('audit', 'list', '--format', 'json');
    const records = (JSON.parse(list.stdout) as { data: { records: { id: string; skill: string; workflow?: { steps: { name: string; auditId?: string }[]; skipped: string[] } }[] } }).data.records;
    const record = records.find((r) => r.id === auditId)!;
    expect(record).toMatchObject({ skill: 'workflow safe-maintenance', workflow: { skipped: ['analyze'] } });
    const stepIds = record.workflow!.steps.flatMap((s) => (s.auditId ? [s.auditId] : []));
    expect(stepIds).toHaveLength(5);
    expect(stepIds.every((id) => records.some((r) => r.id === id))).toBe(true);
    expect(cli('audit', 'list').stdout).toMatch(new RegExp(`${auditId}\\s+\\S+\\s+workflow safe-maintenance\\s+cli\\s+ok`));
  }, 300_000);

  test('a workflow with a step that needs confirmation: exit 3 without --yes, nothing runs', () => {
    const refused = cli('workflow', 'run', 'rotate-and-verify', '--param', 'role=pgcluster', '--format', 'json');
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'refused', failedStep: 'rotate', error: { code: 'REFUSED' } });
  });

  test('bad input: exit 2 naming the nearest workflow, the parameter or the flag', () => {
    const typo = cli('workflow', 'run', 'safe-maintenanc', '--format', 'json');
    expect(typo.code).toBe(2);
    expect(JSON.parse(typo.stdout).error.message).toContain('did you mean safe-maintenance?');
    const missing = cli('workflow', 'run', 'safe-maintenance', '--dry-run', '--format', 'json');
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--param: missing parameter database') });
    const flag = cli('workflow', 'run', 'slow-database', '--dryrun');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('dry-run');
  });
});
