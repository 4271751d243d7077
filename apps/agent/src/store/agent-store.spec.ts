import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentStatePaths } from './agent-state-paths';
import { writeAgentStateFile } from './agent-state-file';
import { readAgentStatus, setAgentPaused } from './agent-status';
import { appendOutcome, readOutcomes, type AgentOutcome } from './outcome-store';
import { summarizeOutcomes } from './summarize-outcomes';
import { loadAgentPolicy } from '../policy/agent-policy';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'agent-store-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function outcome(over: Partial<AgentOutcome>): AgentOutcome {
  return {
    id: 'o1',
    at: '2026-01-01T00:00:00.000Z',
    check: 'dead_tuples',
    node: 'node1',
    object: 'public.t',
    severity: 'warning',
    action: { skill: 'maintenance-vacuum', input: { table: 'public.t' } },
    decision: 'acted',
    result: 'pending',
    auditIds: [],
    detectedAt: '2026-01-01T00:00:00.000Z',
    message: 'vacuum',
    ...over,
  };
}

describe('agent policy', () => {
  it('defaults when no file: observe, destructive needs a person, recently_restarted observe only', () => {
    const policy = loadAgentPolicy(undefined, { cwd: tempDir(), env: {} });
    expect(policy.mode).toBe('observe');
    expect(policy.needsPerson.risks).toEqual(['destructive']);
    expect(policy.observeOnly).toContain('recently_restarted');
    expect(policy.intervalSeconds).toBe(30);
  });

  it('names the bad key of an invalid policy', () => {
    const dir = tempDir();
    const file = join(dir, 'pgcluster.agent.json');
    writeFileSync(file, JSON.stringify({ mode: 'act', rateLimit: { maxActionsPerHour: -1 } }));
    expect(() => loadAgentPolicy(undefined, { cwd: dir, env: {} })).toThrow(/rateLimit\.maxActionsPerHour/);
    writeFileSync(file, JSON.stringify({ mode: 'yolo' }));
    expect(() => loadAgentPolicy(file)).toThrow(/mode/);
    writeFileSync(file, JSON.stringify({ mdoe: 'act' }));
    expect(() => loadAgentPolicy(file)).toThrow(/mdoe/);
  });
});

describe('agent store', () => {
  it('pauses and resumes, and says who paused it', async () => {
    const stateDir = tempDir();
    const paused = await setAgentPaused({ stateDir, paused: true, by: 'alice', reason: 'migration' });
    expect(paused).toMatchObject({ paused: true, pause: { by: 'alice', reason: 'migration' }, running: false });
    const resumed = await setAgentPaused({ stateDir, paused: false, by: 'alice' });
    expect(resumed.paused).toBe(false);
    expect(resumed.pause).toBeUndefined();
  });

  it('reports a live loop as running and a stopped one as not', async () => {
    const stateDir = tempDir();
    writeAgentStateFile(stateDir, { pid: process.pid, lastTickAt: '2026-01-01T00:00:00.000Z', actions: [] });
    expect(await readAgentStatus({ stateDir })).toMatchObject({ running: true, pid: process.pid, lastTickAt: '2026-01-01T00:00:00.000Z' });
    writeAgentStateFile(stateDir, { pid: process.pid, stoppedAt: '2026-01-01T00:01:00.000Z', actions: [] });
    expect((await readAgentStatus({ stateDir })).running).toBe(false);
  });

  it('keeps the latest record per id, newest first, filtered and limited', async () => {
    const stateDir = tempDir();
    appendOutcome(stateDir, outcome({ id: 'a', at: '2026-01-01T00:00:00.000Z' }));
    appendOutcome(stateDir, outcome({ id: 'b', at: '2026-01-01T00:01:00.000Z', check: 'invalid_index' }));
    appendOutcome(stateDir, outcome({ id: 'a', at: '2026-01-01T00:02:00.000Z', result: 'verified', recoverSeconds: 10 }));
    writeFileSync(agentStatePaths(stateDir).outcomesFile, '{"truncated', { flag: 'a' });
    const all = await readOutcomes({ stateDir });
    expect(all.map((o) => [o.id, o.result])).toEqual([
      ['a', 'verified'],
      ['b', 'pending'],
    ]);
    expect(await readOutcomes({ stateDir, limit: 1 })).toHaveLength(1);
    expect((await readOutcomes({ stateDir, until: new Date('2026-01-01T00:01:30.000Z') })).map((o) => o.id)).toEqual(['b']);
    expect(await readOutcomes({ stateDir: tempDir() })).toEqual([]);
  });

  it('summarizes success rate and MTTR per check', () => {
    const report = summarizeOutcomes([
      outcome({ id: '1', result: 'verified', recoverSeconds: 10 }),
      outcome({ id: '2', result: 'verified', recoverSeconds: 20 }),
      outcome({ id: '3', result: 'reverted' }),
      outcome({ id: '4', check: 'replica_down', decision: 'escalated', result: null, action: null }),
    ]);
    expect(report.perCheck).toEqual([
      { check: 'dead_tuples', attempts: 3, verified: 2, reverted: 1, escalated: 1, successRate: 0.6667, mttrSeconds: 15 },
      { check: 'replica_down', attempts: 0, verified: 0, reverted: 0, escalated: 1, successRate: null, mttrSeconds: null },
    ]);
    expect(report.overall).toEqual({ attempts: 3, verified: 2, successRate: 0.6667, mttrSeconds: 15 });
  });
});
