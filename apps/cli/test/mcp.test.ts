/**
 * `pgcluster mcp` driven by the official MCP SDK's client over stdio, as Claude Code runs it:
 * the built CLI as a subprocess against a real cluster. The client itself checks every
 * structured result against the tool's output schema; the test checks it against the
 * manifest's too, and that refused, dry-run and invalid calls change nothing. Then
 * `pgcluster plugin build`, checked by Claude Code's own `claude plugin validate`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { withClient } from '@pgcluster/core';
import { useCluster } from '@pgcluster/testing';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { unfenceUntrusted } from '../src/mcp/mcp-tools';
import { BIN, ROOT, buildCli, spawnCli } from './helpers/run-cli';

interface ManifestSkill {
  name: string;
  risk: 'read' | 'write' | 'destructive';
  idempotent: boolean;
  output: object;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'skills', 'manifest.json'), 'utf8')) as { skills: ManifestSkill[] };
/** The workflows' generated SKILL.md folders: the plugin ships them beside the skills'. */
const workflows = readdirSync(join(ROOT, 'skills', 'workflow'));
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const COLLECTION = 'mcp_docs';

describe('pgcluster mcp, driven by the MCP SDK client', () => {
  const cluster = useCluster({ replicas: 0, fast: true, extensions: ['vector'] });
  let dir: string;
  const clients: Client[] = [];

  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-mcp-'));
    writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'mcp', nodes: [{ name: 'node1', url: cluster().url() }] }), { mode: 0o600 });
  }, 180_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `pgcluster mcp [flags]` and connects the SDK client to it. */
  async function connect(...flags: string[]): Promise<Client> {
    const client = new Client({ name: 'pgcluster-mcp-test', version: '1.0.0' });
    const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', ...flags], cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stderr: 'pipe' });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  let client: Client;
  let tools: Tool[];
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as CallToolResult;
  const envelopeOf = (result: CallToolResult) => JSON.parse(unfenceUntrusted((result.content[0] as { text: string }).text)) as { ok: boolean; status: string; plan?: unknown[]; auditId?: string; error?: { code: string; message: string; hint?: string } };
  const vectorIndexes = () =>
    withClient({ url: cluster().url() }, 'list indexes', async (c) => (await c.query<{ indexname: string }>('select indexname from pg_indexes where tablename = $1 and indexdef ~ $2', [COLLECTION, 'hnsw|ivfflat'])).rows.map((r) => r.indexname));

  beforeAll(async () => {
    client = await connect();
    tools = (await client.listTools()).tools;
  }, 60_000);

  test('lists one tool per manifest skill, with honest annotations and object schemas', async () => {
    expect(tools.map((t) => t.name).sort()).toEqual(manifest.skills.map((s) => s.name).sort());
    for (const skill of manifest.skills) {
      const tool = tools.find((t) => t.name === skill.name)!;
      expect({ name: tool.name, annotations: tool.annotations }).toEqual({
        name: skill.name,
        annotations: {
          title: skill.name,
          readOnlyHint: skill.risk === 'read',
          destructiveHint: skill.risk === 'destructive',
          idempotentHint: skill.idempotent,
          openWorldHint: false,
        },
      });
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.inputSchema.properties).toMatchObject({ confirm: { type: 'boolean' }, dryRun: { type: 'boolean' } });
      expect(tool.outputSchema?.type).toBe('object');
    }
    expect(client.getInstructions()).toMatch(/dryRun: true/);
  });

  test('cluster-status: structured content is the data, valid against the manifest output schema', async () => {
    const result = await call('cluster-status', {});
    expect(result.isError).toBeFalsy();
    const data = result.structuredContent as { status: string; components: object; cluster: { name: string } };
    expect(data.status).toBe('healthy');
    expect(data.cluster.name).toBe('mcp');
    expect(typeof data.components).toBe('object');
    const validate = ajv.compile(manifest.skills.find((s) => s.name === 'cluster-status')!.output);
    expect(validate(data) ? null : validate.errors).toBeNull();
    expect(envelopeOf(result)).toMatchObject({ ok: true, status: 'healthy' });
  });

  test('vector-drop: refused without confirm (nothing dropped), planned with dryRun, done with confirm', async () => {
    expect((await call('vector-index', { action: 'create-collection', collection: COLLECTION, dimension: 3 })).isError).toBeFalsy();
    expect((await call('vector-index', { action: 'create', collection: COLLECTION, profile: 'speed' })).isError).toBeFalsy();
    const [index] = await vectorIndexes();
    expect(index).toBeDefined();

    const refused = await call('vector-drop', { target: 'index', collection: COLLECTION });
    expect(refused.isError).toBe(true);
    expect(refused.structuredContent).toBeUndefined();
    const refusal = envelopeOf(refused);
    expect(refusal).toMatchObject({ ok: false, status: 'refused', error: { code: 'REFUSED' } });
    expect(refusal.error!.message).toMatch(/requires confirmation; nothing was run/);
    expect(refusal.error!.hint).toMatch(/confirm: true/);
    expect(await vectorIndexes()).toEqual([index]);

    const planned = await call('vector-drop', { target: 'index', collection: COLLECTION, dryRun: true });
    expect(planned.isError).toBeFalsy();
    const { plan } = planned.structuredContent as { dryRun: true; plan: { kind: string; text: string }[] };
    expect(plan.some((step) => step.kind === 'sql' && step.text.includes(index!))).toBe(true);
    expect(await vectorIndexes()).toEqual([index]);

    const dropped = await call('vector-drop', { target: 'index', collection: COLLECTION, confirm: true });
    expect(dropped.isError).toBeFalsy();
    expect(dropped.structuredContent).toMatchObject({ target: 'index', collection: COLLECTION, dropped: true });
    expect(envelopeOf(dropped).auditId).toEqual(expect.any(String));
    expect(await vectorIndexes()).toEqual([]);
  });

  test('bad input is an error result naming the field; nothing runs', async () => {
    const bad = await call('vector-drop', { target: 'table', collection: COLLECTION, confirm: true });
    expect(bad.isError).toBe(true);
    expect(envelopeOf(bad).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('target') });

    const badFlag = await call('cluster-status', { dryRun: 'yes' });
    expect(badFlag.isError).toBe(true);
    expect(envelopeOf(badFlag).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/^dryRun: expected true or false/) });
  });

  test('cancelling a call (the request signal) stops its query on the server; the server keeps serving', async () => {
    const sql = (text: string) => withClient({ url: cluster().url(), applicationName: 'mcp-test' }, 'test query', async (c) => (await c.query(text)).rows);
    const waitingOnLock = async () => (await sql("select pid from pg_stat_activity where application_name like 'pgcluster%' and wait_event_type = 'Lock'")).length;
    const until = async (what: string, check: () => Promise<boolean>) => {
      for (const bound = Date.now() + 60_000; !(await check()); await new Promise((r) => setTimeout(r, 100))) {
        if (Date.now() > bound) throw new Error(`gave up waiting for ${what}`);
      }
    };
    let release = () => undefined as void;
    const released = new Promise<void>((r) => (release = r));
    let locked = () => undefined as void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const blocker = withClient({ url: cluster().url(), applicationName: 'mcp-test' }, 'holding a lock', async (c) => {
      await c.query('begin');
      await c.query(`lock table ${COLLECTION} in access exclusive mode`);
      locked();
      await released;
      await c.query('rollback');
    });
    await Promise.race([isLocked, blocker]);
    try {
      const controller = new AbortController();
      const search = client.callTool({ name: 'vector-search', arguments: { collection: COLLECTION, vector: [1, 0, 0], k: 1 } }, undefined, { signal: controller.signal });
      await until('the search to wait on the locked collection', async () => (await waitingOnLock()) > 0);
      controller.abort();
      await expect(search).rejects.toThrow(/abort/i);
      await until('the cancelled search to leave the server', async () => (await waitingOnLock()) === 0);
    } finally {
      release();
      await blocker;
    }
    expect((await call('cluster-status', {})).isError).toBeFalsy();
  }, 120_000);

  test('--read-only serves only read skills, and says so', async () => {
    const readOnly = await connect('--read-only');
    const names = (await readOnly.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(manifest.skills.filter((s) => s.risk === 'read').map((s) => s.name).sort());
    expect(readOnly.getInstructions()).toMatch(/READ-ONLY/);
    await expect(readOnly.callTool({ name: 'vector-drop', arguments: { target: 'index', collection: COLLECTION, confirm: true } })).rejects.toThrow(/read-only/);
  });
});

/**
 * Claude Code's CLI, the workspace's pinned devDependency (npm `@anthropic-ai/claude-code`): run
 * through the package's own cli-wrapper.cjs, which finds the platform's native binary, since pnpm
 * does not run the postinstall that would copy it over bin/claude.exe. It needs no login.
 */
function claude(args: string[], env: NodeJS.ProcessEnv) {
  const wrapper = require.resolve('@anthropic-ai/claude-code/cli-wrapper.cjs', { paths: [ROOT] });
  return spawnSync(process.execPath, [wrapper, ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

describe('pgcluster plugin build', () => {
  let dir: string;
  beforeAll(() => {
    buildCli();
    dir = mkdtempSync(join(tmpdir(), 'pgcluster-plugin-'));
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const plugin = () => join(dir, 'plugin');

  test('writes plugin.json, every skill and workflow flat, the DBA subagent and .mcp.json', () => {
    const run = spawnCli(['plugin', 'build', 'plugin', '--format', 'json'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(workflows.length).toBeGreaterThan(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, data: { dir: plugin(), skills: manifest.skills.length + workflows.length } });
    const pkg = JSON.parse(readFileSync(join(ROOT, 'apps', 'cli', 'package.json'), 'utf8')) as { version: string };
    expect(JSON.parse(readFileSync(join(plugin(), '.claude-plugin', 'plugin.json'), 'utf8'))).toMatchObject({
      name: 'pgcluster',
      version: pkg.version,
      author: { name: expect.any(String) },
      homepage: expect.stringMatching(/^https:\/\//),
      license: 'MIT',
    });
    expect(JSON.parse(readFileSync(join(plugin(), 'hooks', 'hooks.json'), 'utf8'))).toMatchObject({ hooks: { PreToolUse: [{ matcher: 'Bash' }] } });
    const guarded = JSON.parse(readFileSync(join(plugin(), 'hooks', 'guarded-skills.json'), 'utf8')) as { name: string }[];
    expect(guarded.map((g) => g.name).sort()).toEqual(manifest.skills.filter((s) => s.risk === 'destructive' || (s as { requiresConfirmation?: boolean }).requiresConfirmation).map((s) => s.name).sort());
    for (const skill of [...manifest.skills, ...workflows.map((name) => ({ name }))]) {
      expect(readFileSync(join(plugin(), 'skills', skill.name, 'SKILL.md'), 'utf8')).toMatch(new RegExp(`^---\\nname: ${skill.name}\\n`));
    }
    expect(JSON.parse(readFileSync(join(plugin(), '.mcp.json'), 'utf8'))).toEqual({ mcpServers: { pgcluster: { command: 'pgcluster', args: ['mcp'] } } });
    const agent = readFileSync(join(plugin(), 'agents', 'dba.md'), 'utf8');
    expect(agent).toMatch(/^---\nname: dba\ndescription: .+\n---\n/);
    expect(agent).toMatch(/dryRun: true/);
  });

  test('claude plugin validate --strict passes, and Claude Code sees every skill, the agent and the MCP server', () => {
    if (!existsSync(plugin())) spawnCli(['plugin', 'build', 'plugin'], { cwd: dir });
    // A throwaway HOME: Claude Code writes its settings there.
    const env = { PATH: process.env['PATH'] ?? '', HOME: dir };
    const validate = claude(['plugin', 'validate', '--strict', plugin()], env);
    expect({ code: validate.status, out: validate.stdout + validate.stderr }).toEqual({ code: 0, out: expect.stringContaining('Validation passed') });
    // The validation itself warns of nothing; the plugin-directory listing checks after it (README, icon) do not change its result.
    expect((validate.stdout + validate.stderr).split('Plugin directory checks')[0]).not.toMatch(/warning/i);
    const details = claude(['--plugin-dir', plugin(), 'plugin', 'details', 'pgcluster'], env);
    expect(details.status).toBe(0);
    expect(details.stdout).toContain(`Skills (${manifest.skills.length + workflows.length})`);
    for (const name of [...manifest.skills.map((s) => s.name), ...workflows]) expect(details.stdout).toContain(name);
    expect(details.stdout).toMatch(/Agents \(1\)\s+dba/);
    expect(details.stdout).toMatch(/MCP servers \(1\)\s+pgcluster/);
    expect(details.stdout).toMatch(/Hooks \(1\)\s+PreToolUse/);
  });
});
