// patroni-cluster.json has the shape of Patroni's `GET /cluster` (patroni/utils.py cluster_as_json
// in Patroni 3.0.2, the Debian bookworm package), written by hand to cover roles and states;
// patroni-3.0.2-captured.json was captured from a live two-node Patroni 3.0.2. The provider runs
// against a real Patroni in integration tests once the HA test cluster exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPatroniTopology, memberUrlFromTemplate, parsePatroniCluster } from './patroni-topology';

const fixture: unknown = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'patroni-cluster.json'), 'utf8'));
const template = memberUrlFromTemplate('postgresql://app:s3cret@placeholder:1/app');

describe('parsePatroniCluster', () => {
  it('maps leader, replicas, lag and unhealthy members', () => {
    const t = parsePatroniCluster(fixture, template);
    expect(t.primary?.name).toBe('node2');
    expect(t.primary?.url).toBe('postgresql://app:s3cret@127.0.0.1:5432/app');
    expect(t.members.map((m) => [m.name, m.role, m.lagBytes])).toEqual([
      ['node1', 'replica', 0],
      ['node2', 'primary', 0],
      ['node3', 'replica', 52428800],
      ['node4', 'unreachable', undefined],
    ]);
    expect(t.members[0]!.timeline).toBe(3);
    expect(t.problems).toEqual(['node4 is stopped (replica)']);
  });

  it('has no primary while the leader is not running, and prefers replay_lag', () => {
    const doc = {
      members: [
        { name: 'a', role: 'leader', state: 'stopping', host: 'h', port: 1 },
        { name: 'b', role: 'replica', state: 'streaming', host: 'h', port: 2, lag: 10, replay_lag: 99 },
        { name: 'c', role: 'standby_leader', state: 'running', host: 'h', port: 3, lag: 0 },
      ],
      pause: true,
    };
    const t = parsePatroniCluster(doc, template);
    expect(t.primary).toBeUndefined();
    expect(t.members.find((m) => m.name === 'b')!.lagBytes).toBe(99);
    expect(t.problems.join('\n')).toMatch(/paused/);
    expect(t.problems.join('\n')).toMatch(/no running leader/);
  });

  it('gives no lag (so no reads) to a replica on another timeline than the leader', () => {
    const t = parsePatroniCluster(
      {
        members: [
          { name: 'a', role: 'leader', state: 'running', host: 'h', port: 1, timeline: 4 },
          { name: 'b', role: 'replica', state: 'running', host: 'h', port: 2, timeline: 3, lag: 0 },
        ],
      },
      template,
    );
    expect(t.members[1]).toMatchObject({ role: 'replica', lagBytes: undefined });
    expect(t.problems).toEqual(['b is on timeline 3, the leader on 4']);
  });

  it('reads documents captured from a live Patroni 3.0.2', () => {
    const captured = JSON.parse(readFileSync(join(__dirname, '__fixtures__', 'patroni-3.0.2-captured.json'), 'utf8')) as Record<string, unknown>;
    const healthy = parsePatroniCluster(captured['healthy'], template);
    expect(healthy.primary?.name).toBe('node1');
    expect(healthy.members.map((m) => [m.name, m.role, m.lagBytes])).toEqual([
      ['node1', 'primary', 0],
      ['node2', 'replica', 0],
    ]);
    expect(healthy.problems).toEqual([]);
    const switching = parsePatroniCluster(captured['switching'], template);
    expect(switching.primary?.name).toBe('node2');
    expect(switching.members.find((m) => m.name === 'node1')).toMatchObject({ role: 'unreachable', lagBytes: undefined, state: 'stopping' });
  });

  it('rejects a document without members', () => {
    expect(() => parsePatroniCluster({ foo: 1 }, template)).toThrow(/no members/);
  });

  it('reports an unreachable REST API as a topology without a primary', async () => {
    const provider = createPatroniTopology({
      url: 'http://127.0.0.1:1',
      memberUrl: template,
      fetch: (async () => {
        throw new Error('connect ECONNREFUSED');
      }) as typeof fetch,
    });
    const t = await provider.resolve();
    expect(t.primary).toBeUndefined();
    expect(t.problems[0]).toMatch(/no Patroni REST API answered \(127.0.0.1:1: connect ECONNREFUSED\)/);
  });

  it('calls GET /cluster', async () => {
    const seen: string[] = [];
    const provider = createPatroniTopology({
      url: 'http://127.0.0.1:8008',
      memberUrl: template,
      fetch: (async (u: URL) => {
        seen.push(String(u));
        return new Response(JSON.stringify(fixture), { status: 200 });
      }) as unknown as typeof fetch,
    });
    expect((await provider.resolve()).primary?.name).toBe('node2');
    expect(seen).toEqual(['http://127.0.0.1:8008/cluster']);
  });

  it('falls back to the other configured APIs, then to the api_urls members reported', async () => {
    const seen: string[] = [];
    const dead = new Set<string>(['127.0.0.1:8008']);
    const provider = createPatroniTopology({
      url: ['http://127.0.0.1:8008', 'http://127.0.0.1:8009'],
      memberUrl: template,
      fetch: (async (u: URL) => {
        seen.push(u.host);
        if (dead.has(u.host)) throw new Error('connect ECONNREFUSED');
        const doc = { members: [1, 2, 3].map((i) => ({ name: `n${i}`, role: i === 1 ? 'leader' : 'replica', state: 'running', host: 'h', port: i, api_url: `http://127.0.0.1:810${i}/patroni` })) };
        return new Response(JSON.stringify(doc), { status: 200 });
      }) as unknown as typeof fetch,
    });
    expect((await provider.resolve()).source).toBe('127.0.0.1:8009');
    expect(seen).toEqual(['127.0.0.1:8008', '127.0.0.1:8009']);
    // Both configured APIs die: the members' own APIs learned from the last answer are asked.
    dead.add('127.0.0.1:8009');
    dead.add('127.0.0.1:8101');
    seen.length = 0;
    const t = await provider.resolve();
    expect(t.primary?.name).toBe('n1');
    expect(t.source).toBe('127.0.0.1:8102');
    expect(seen).toEqual(['127.0.0.1:8009', '127.0.0.1:8008', '127.0.0.1:8101', '127.0.0.1:8102']);
  });
});
