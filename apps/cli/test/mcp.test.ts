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

interface ManifestWorkflow {
  name: string;
  risk: 'read' | 'write' | 'destructive';
  requiresConfirmation: boolean;
  params: Record<string, { description: string; default?: string }>;
  steps: { name: string; skill: string }[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'skills', 'manifest.json'), 'utf8')) as { skills: ManifestSkill[]; workflows: ManifestWorkflow[] };
const workflowTools = manifest.workflows.map((w) => `workflow-${w.name}`);
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

  test('lists one tool per manifest skill and workflow, with honest annotations and object schemas', async () => {
    expect(tools.map((t) => t.name).sort()).toEqual([...manifest.skills.map((s) => s.name), ...workflowTools].sort());
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

  test('each workflow is a tool: annotations from its steps, its params and confirm/dryRun as input', () => {
    expect(workflowTools).toEqual(expect.arrayContaining(['workflow-safe-maintenance', 'workflow-slow-database', 'workflow-rotate-and-verify']));
    for (const workflow of manifest.workflows) {
      const tool = tools.find((t) => t.name === `workflow-${workflow.name}`)!;
      expect(tool.annotations).toEqual({
        title: tool.name,
        readOnlyHint: workflow.risk === 'read',
        destructiveHint: workflow.risk === 'destructive',
        idempotentHint: false,
        openWorldHint: false,
      });
      expect(Object.keys(tool.inputSchema.properties ?? {}).sort()).toEqual([...Object.keys(workflow.params), 'confirm', 'dryRun'].sort());
      for (const step of workflow.steps) expect(tool.description).toContain(`${step.name} (${step.skill}`);
      expect(tool.description).toContain(workflow.requiresConfirmation ? 'refuses without confirm: true' : 'dryRun: true');
    }
    expect(tools.find((t) => t.name === 'workflow-rotate-and-verify')!.description).toMatch(/Step rotate requires confirmation/);
  });

  test("a workflow's dry run returns every step's plan, changes nothing, and is audited with its steps' audit ids", async () => {
    const database = new URL(cluster().url()).pathname.slice(1);
    const result = await call('workflow-safe-maintenance', { database, dryRun: true });
    expect(result.isError).toBeFalsy();
    const run = result.structuredContent as { status: string; dryRun: boolean; auditId: string; steps: { name: string; status: string; plan?: { kind: string; text: string }[]; auditId?: string }[] };
    expect(run).toMatchObject({ workflow: 'safe-maintenance', status: 'planned', dryRun: true, auditId: expect.any(String) });
    expect(run.steps.map((s) => s.name)).toEqual(manifest.workflows.find((w) => w.name === 'safe-maintenance')!.steps.map((s) => s.name));
    for (const step of run.steps) {
      expect(step.status).toBe('planned');
      expect(step.plan!.length).toBeGreaterThan(0);
    }
    expect(run.steps.find((s) => s.name === 'vacuum')!.plan!.some((p) => p.kind === 'sql' && /vacuum/i.test(p.text))).toBe(true);
    // `pgcluster audit list` shows the run's own record, naming its steps' audit ids.
    const list = spawnCli(['audit', 'list', '--limit', '100', '--format', 'json'], { cwd: dir });
    expect(list.code).toBe(0);
    const records = (JSON.parse(list.stdout) as { data: { records: { id: string; skill: string; actor: string; dryRun: boolean; workflow?: { steps: { name: string; auditId?: string }[] } }[] } }).data.records;
    const record = records.find((r) => r.id === run.auditId)!;
    expect(record).toMatchObject({ skill: 'workflow safe-maintenance', actor: 'mcp', dryRun: true });
    expect(record.workflow!.steps.map((s) => s.auditId)).toEqual(run.steps.map((s) => s.auditId));
    expect(record.workflow!.steps.every((s) => records.some((r) => r.id === s.auditId))).toBe(true);
  });

  test('a workflow with a step that needs confirmation refuses without confirm: true, and nothing runs', async () => {
    const passwords = () => withClient({ url: cluster().url() }, 'read passwords', async (c) => (await c.query('select rolname, rolpassword from pg_authid order by rolname')).rows);
    const before = await passwords();
    const role = new URL(cluster().url()).username;
    const refused = await call('workflow-rotate-and-verify', { role });
    expect(refused.isError).toBe(true);
    const run = JSON.parse(unfenceUntrusted((refused.content[0] as { text: string }).text)) as { status: string; steps: { status: string }[]; error: { code: string; message: string; hint: string } };
    expect(run).toMatchObject({ status: 'refused', error: { code: 'REFUSED', message: expect.stringContaining('rotate (security-rotate)') } });
    expect(run.error.hint).toMatch(/confirm: true/);
    expect(run.steps.every((s) => s.status === 'not-run')).toBe(true);
    expect(await passwords()).toEqual(before);
    const missing = await call('workflow-rotate-and-verify', { dryRun: true });
    expect(missing.isError).toBe(true);
    expect((missing.content[0] as { text: string }).text).toMatch(/missing parameter role/);
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
    expect(names).toEqual([...manifest.skills.filter((s) => s.risk === 'read').map((s) => s.name), ...manifest.workflows.filter((w) => w.risk === 'read').map((w) => `workflow-${w.name}`)].sort());
    expect(readOnly.getInstructions()).toMatch(/READ-ONLY/);
    await expect(readOnly.callTool({ name: 'vector-drop', arguments: { target: 'index', collection: COLLECTION, confirm: true } })).rejects.toThrow(/read-only/);
    await expect(readOnly.callTool({ name: 'workflow-safe-maintenance', arguments: { dryRun: true } })).rejects.toThrow(/read-only/);
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
      icon: '.claude-plugin/icon.png',
      network: { hosts: expect.arrayContaining([expect.any(String)]) },
    });
    const icon = readFileSync(join(plugin(), '.claude-plugin', 'icon.png'));
    expect([icon.subarray(1, 4).toString(), icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual(['PNG', 512, 512]);
    expect(readFileSync(join(plugin(), 'README.md'), 'utf8').split(/\s+/).length).toBeGreaterThan(40);
    expect(JSON.parse(readFileSync(join(plugin(), 'hooks', 'hooks.json'), 'utf8'))).toMatchObject({ hooks: { PreToolUse: [{ matcher: 'Bash' }] } });
    const guarded = JSON.parse(readFileSync(join(plugin(), 'hooks', 'guarded-skills.json'), 'utf8')) as { skills: { name: string }[]; workflows: { name: string }[] };
    expect(guarded.skills.map((g) => g.name)).toEqual(
      expect.arrayContaining(manifest.skills.filter((s) => s.risk === 'destructive' || (s as { requiresConfirmation?: boolean }).requiresConfirmation).map((s) => s.name)),
    );
    expect(guarded.workflows.map((w) => w.name)).toEqual(manifest.workflows.filter((w) => w.requiresConfirmation).map((w) => w.name));
    // The emitted hook decides per action, as Claude Code runs it (the event on stdin).
    const hook = (command: string) =>
      spawnSync(process.execPath, [join(plugin(), 'hooks', 'guard-pgcluster.cjs')], { input: JSON.stringify({ tool_name: 'Bash', tool_input: { command } }), encoding: 'utf8' }).stdout;
    expect(hook('cd /srv && pgcluster maintenance-sessions --action terminate --pid 1')).toMatch(/"permissionDecision":"deny".*maintenance-sessions --action terminate/);
    expect(hook('pgcluster maintenance-sessions --action list')).toBe('');
    expect(hook('pgcluster workflow run rotate-and-verify --param role=app')).toMatch(/"permissionDecision":"deny".*rotate-and-verify/);
    expect(hook('pgcluster workflow run rotate-and-verify --param role=app --dry-run')).toBe('');
    for (const skill of [...manifest.skills, ...workflows.map((name) => ({ name }))]) {
      expect(readFileSync(join(plugin(), 'skills', skill.name, 'SKILL.md'), 'utf8')).toMatch(new RegExp(`^---\\nname: ${skill.name}\\n`));
    }
    expect(JSON.parse(readFileSync(join(plugin(), '.mcp.json'), 'utf8'))).toEqual({ mcpServers: { pgcluster: { command: 'pgcluster', args: ['mcp'] } } });
    const agent = readFileSync(join(plugin(), 'agents', 'dba.md'), 'utf8');
    expect(agent).toMatch(/^---\nname: dba\ndescription: .+\n---\n/);
    expect(agent).toMatch(/dryRun: true/);
  });

  test('claude plugin validate --strict --profile directory passes with nothing to report, and Claude Code sees every skill, the agent and the MCP server', () => {
    if (!existsSync(plugin())) spawnCli(['plugin', 'build', 'plugin'], { cwd: dir });
    // A throwaway HOME: Claude Code writes its settings there.
    const env = { PATH: process.env['PATH'] ?? '', HOME: dir };
    // --strict fails on any warning; --profile directory also on what the plugin directory would refuse (README, icon).
    const validate = claude(['plugin', 'validate', '--strict', '--profile', 'directory', '--json', plugin()], env);
    expect(validate.status).toBe(0);
    const report = JSON.parse(validate.stdout) as { success: boolean; manifest: { errors: unknown[]; warnings: unknown[] }; directory: { findings: unknown[] }; hosts: { declared: { plugin: boolean } } };
    expect([report.success, report.manifest.errors, report.manifest.warnings, report.directory.findings, report.hosts.declared.plugin]).toEqual([true, [], [], [], true]);
    const details = claude(['--plugin-dir', plugin(), 'plugin', 'details', 'pgcluster'], env);
    expect(details.status).toBe(0);
    expect(details.stdout).toContain(`Skills (${manifest.skills.length + workflows.length})`);
    for (const name of [...manifest.skills.map((s) => s.name), ...workflows]) expect(details.stdout).toContain(name);
    expect(details.stdout).toMatch(/Agents \(1\)\s+dba/);
    expect(details.stdout).toMatch(/MCP servers \(1\)\s+pgcluster/);
    expect(details.stdout).toMatch(/Hooks \(1\)\s+PreToolUse/);
  });
});
