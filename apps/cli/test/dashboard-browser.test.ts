/**
 * `pgcluster dashboard` end to end, in a real headless browser (Debian's chromium driven by
 * playwright-core): the built CLI serves the page for a real 3-node cluster; the page shows the
 * three nodes, the skill analytics count runs made through the CLI (and a new one after it
 * loaded), pause/resume through the confirmation dialog changes the agent's state in its store,
 * and a replica killed for real shows up as a node_down finding within one refresh. A screenshot
 * is written to test-results/dashboard/ as an artifact.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAgentStatus } from '@pgcluster/agent';
import { useCluster } from '@pgcluster/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { BIN, buildCli, ROOT, runCli, spawnCli } from './helpers/run-cli';

const CHROMIUM = '/usr/bin/chromium';
const REFRESH_SECONDS = 2;
const ARTIFACTS = join(ROOT, 'test-results', 'dashboard');

const cluster = useCluster({ replicas: 2, fast: true });
let dir: string;
let profile: string;
let dashboard: ChildProcess | undefined;
let url: string;
let browser: BrowserContext | undefined;
let page: Page;

// The page's globals, for functions that run in the page (these tests compile without the DOM's
// types; the page's content security policy forbids evaluating strings, so they are functions).
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null };

/** Runs in the page: whether the analytics table lists `entry` (`skill:runs`). */
function skillsListed(entry: string): boolean {
  return (document.querySelector('#table-skills')?.getAttribute('data-skills') ?? '').split(',').includes(entry);
}

/** The runs per skill the analytics table shows, from its `data-skills` attribute. */
async function runsShown(skill: string): Promise<number> {
  const attr = (await page.getAttribute('#table-skills', 'data-skills')) ?? '';
  const entry = attr.split(',').find((e) => e.startsWith(`${skill}:`));
  return entry ? Number(entry.split(':')[1]) : 0;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-system.sh (Debian package chromium)`);
  buildCli();
  dir = mkdtempSync(join(tmpdir(), 'pgc-dash-e2e-'));
  profile = mkdtempSync(join(tmpdir(), 'pgc-chromium-'));
  const nodes = cluster().nodes.map((n) => ({ name: n.name, url: n.url() }));
  writeFileSync(join(dir, 'pgcluster.config.json'), JSON.stringify({ name: 'e2e-dash', nodes }), { mode: 0o600 });
  // Runs made through the CLI, before the dashboard starts.
  for (let i = 0; i < 2; i++) expect(spawnCli(['cluster-status', '--format', 'json'], { cwd: dir }).code).toBe(0);
  expect([0, 1]).toContain(spawnCli(['monitoring-health', '--format', 'json'], { cwd: dir }).code);

  dashboard = spawn(process.execPath, [BIN, 'dashboard', '--port', '0', '--refresh', String(REFRESH_SECONDS)], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    dashboard!.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /pgcluster dashboard: (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    dashboard!.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    dashboard!.once('exit', (code) => reject(new Error(`pgcluster dashboard exited with ${code}: ${out}${err}`)));
  });

  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1360, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  // No network at run time: anything not served by the dashboard itself fails the test.
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) foreign.push(r.url());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  expect(foreign).toEqual([]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  if (dashboard && dashboard.exitCode === null) {
    const exited = new Promise((resolve) => dashboard!.once('exit', resolve));
    dashboard.kill('SIGINT');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('pgcluster dashboard flags', () => {
  test.each([
    [['--port', '70000'], /--port: must be an integer from 0 to 65535/],
    [['--port', 'abc'], /--port: must be an integer from 0 to 65535/],
    [['--refresh', '0'], /--refresh: must be a whole number of seconds from 1 to 300/],
    [['--host', 'a b'], /--host: must be an IP address or a host name/],
  ])('%j exits 2 naming the flag', async (flags, message) => {
    const run = await runCli(['dashboard', ...flags], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });

  test('a port in use exits 2 naming --port', async () => {
    const port = new URL(url).port;
    const run = await runCli(['dashboard', '--port', port], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--port: ${port} is in use`);
  });
});

describe('pgcluster dashboard beyond loopback', () => {
  test('prints a token once on stdout (never on stderr) and refuses requests without it', async () => {
    const child = spawn(process.execPath, [BIN, 'dashboard', '--host', '0.0.0.0', '--port', '0'], { cwd: dir, env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let token = '';
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    try {
      const opened = await new Promise<URL>((resolve, reject) => {
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const match = /^open (http:\/\/\S+)$/m.exec(out);
          if (match) resolve(new URL(match[1]!));
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}${err}`)));
      });
      token = opened.searchParams.get('token')!;
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const base = `http://127.0.0.1:${opened.port}`;
      expect((await fetch(`${base}/api/meta`)).status).toBe(401);
      expect((await fetch(`${base}/api/meta`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect(out.split(token).length - 1).toBe(1);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    expect(err).toContain('stopped');
    expect(err).not.toContain(token);
  });
});

describe('pgcluster dashboard in a headless browser', () => {
  test('shows the three nodes with their roles', async () => {
    await page.waitForSelector('[data-node="node3"]');
    const nodes = await page.$$eval('[data-node]', (els) => els.map((e) => [e.getAttribute('data-node'), e.getAttribute('data-state'), e.querySelector('[data-field="role"]')?.textContent]));
    expect(nodes).toEqual([
      ['node1', 'up', 'primary'],
      ['node2', 'up', 'replica'],
      ['node3', 'up', 'replica'],
    ]);
    expect(await page.textContent('#cluster-name')).toBe('e2e-dash');
    // Charts are drawn on canvases by Chart.js, served locally.
    expect(await page.evaluate('typeof window.Chart')).toBe('function');
    expect(await page.evaluate("[...document.querySelectorAll('canvas')].filter((c) => c.width > 0).length")).toBeGreaterThanOrEqual(3);
  });

  test('the skill analytics count the runs made through the CLI, and a new one within a refresh', async () => {
    expect(await runsShown('cluster-status')).toBe(2);
    expect(await runsShown('monitoring-health')).toBe(1);
    expect(spawnCli(['cluster-status', '--format', 'json'], { cwd: dir }).code).toBe(0);
    await page.waitForFunction(skillsListed, 'cluster-status:3', { timeout: 30_000 });
    // The filters are applied on the server: only the agent's runs (none) for this actor.
    await page.selectOption('#filter-actor', 'agent');
    await page.waitForFunction(() => document.querySelector('#table-skills')?.getAttribute('data-skills') === '');
    await page.selectOption('#filter-actor', '');
    await page.waitForFunction(skillsListed, 'cluster-status:3');
  });

  test('pause and resume, each confirmed in a dialog, change the agent state in its store', async () => {
    await page.waitForSelector('#agent-state[data-status="stopped"]');
    await page.click('#agent-toggle');
    await page.waitForSelector('dialog#confirm[open]');
    await page.fill('#confirm-reason', 'e2e maintenance');
    await page.click('#confirm-ok');
    await page.waitForSelector('#agent-state[data-status="paused"]');
    expect(await readAgentStatus({ stateDir: join(dir, '.pgcluster') })).toMatchObject({ paused: true, pause: { by: 'dashboard', reason: 'e2e maintenance' } });

    // Cancelling the dialog changes nothing.
    await page.click('#agent-toggle');
    await page.waitForSelector('dialog#confirm[open]');
    await page.click('dialog#confirm button[value="cancel"]');
    expect(await readAgentStatus({ stateDir: join(dir, '.pgcluster') })).toMatchObject({ paused: true });

    await page.click('#agent-toggle');
    await page.click('#confirm-ok');
    await page.waitForSelector('#agent-state[data-status="stopped"]');
    expect(await readAgentStatus({ stateDir: join(dir, '.pgcluster') })).toMatchObject({ paused: false });
  });

  test('a replica killed for real appears as a node_down finding and a down node within one refresh, without reloading', async () => {
    expect(await page.$('[data-check="node_down"]')).toBeNull();
    await page.evaluate('window.marker = true');
    await cluster().kill('node3');
    // One refresh is REFRESH_SECONDS plus the checks themselves on a loaded machine.
    await page.waitForSelector('[data-check="node_down"][data-severity]', { timeout: 30_000 });
    await page.waitForSelector('[data-node="node3"][data-state="down"]', { timeout: 30_000 });
    expect(await page.evaluate('window.marker')).toBe(true); // the same page: no reload
    expect(await page.getAttribute('#cluster-status', 'data-status')).not.toBe('healthy');

    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);

    // The same page in the dark scheme (prefers-color-scheme), after its next refresh redraws the charts.
    await page.emulateMedia({ colorScheme: 'dark' });
    const before = await page.textContent('#updated-at');
    await page.waitForFunction((text) => document.querySelector('#updated-at')?.textContent !== text, before, { timeout: 30_000 });
    expect(await page.evaluate("getComputedStyle(document.documentElement).backgroundColor")).toBe('rgb(15, 20, 27)');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true });
    const password = new URL(cluster().url()).password;
    expect(await page.content()).not.toContain(password);
  });
});
