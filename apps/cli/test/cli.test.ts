import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GENERATED_COMMANDS } from '../src';
import { ROOT, runCli } from './helpers/run-cli';
import { PATH_HINT } from '../src/commands/skills';

const mockLoaded: string[] = [];
jest.mock('@pgcluster/operations', () => (mockLoaded.push('operations'), jest.requireActual('@pgcluster/operations')));
jest.mock('@pgcluster/vector', () => (mockLoaded.push('vector'), jest.requireActual('@pgcluster/vector')));
jest.mock('@pgcluster/pools', () => (mockLoaded.push('pools'), jest.requireActual('@pgcluster/pools')));
jest.mock('@pgcluster/maintenance', () => (mockLoaded.push('maintenance'), jest.requireActual('@pgcluster/maintenance')));
jest.mock('@pgcluster/monitoring', () => (mockLoaded.push('monitoring'), jest.requireActual('@pgcluster/monitoring')));
jest.mock('@pgcluster/security', () => (mockLoaded.push('security'), jest.requireActual('@pgcluster/security')));

const manifest = JSON.parse(readFileSync(join(ROOT, 'skills', 'manifest.json'), 'utf8')) as { skills: { name: string; category: string }[] };

describe('pgcluster (in-process)', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'pgcluster-cli-'));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it('--help, skills list and skills show load no domain package', async () => {
    const help = await runCli(['--help'], { cwd });
    expect(help.code).toBe(0);
    for (const skill of manifest.skills) expect(help.stdout).toContain(`pgcluster ${skill.name}`);
    expect((await runCli(['skills', 'list'], { cwd })).code).toBe(0);
    expect((await runCli(['skills', 'show', 'cluster-status'], { cwd })).code).toBe(0);
    expect((await runCli(['cluster-status', '--help'], { cwd })).code).toBe(0);
    expect(mockLoaded).toEqual([]);
  });

  it('has one command per skill of the manifest, with generated help', async () => {
    expect(GENERATED_COMMANDS.summaries.map((c) => c.name)).toEqual(manifest.skills.map((s) => s.name));
    expect(GENERATED_COMMANDS.summaries.map((c) => GENERATED_COMMANDS.load(c.name)?.name)).toEqual(manifest.skills.map((s) => s.name));
    const help = await runCli(['cluster-status', '--help'], { cwd });
    expect(help.stdout).toContain('pgcluster cluster-status [flags]');
    expect(help.stdout).toContain('--sample-ms');
    expect(help.stdout).toContain('--input');
    expect(help.stdout).toContain('Full guide: pgcluster skills show cluster-status');
  });

  it('--format xml: exit 2, naming --format and the allowed values', async () => {
    const run = await runCli(['cluster-status', '--format', 'xml'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--format: must be one of json, human, prometheus (got "xml")');
    const global = await runCli(['skills', 'list', '--format=xml'], { cwd });
    expect(global.code).toBe(2);
    expect(global.stderr).toContain('--format: must be one of json, human, prometheus');
  });

  it.each([
    [['cluster-status', '--bogus', '--format', 'json'], 'INVALID_INPUT', 'unknown flag --bogus'],
    [['vector-search', '--colection', 'docs', '--format', 'json'], 'INVALID_INPUT', 'unknown flag --colection; did you mean --collection?'],
    [['skills', 'show', 'vector-serch', '--format', 'json'], 'INVALID_INPUT', 'unknown skill "vector-serch"; did you mean vector-search?'],
    [['cluster-status', '--sample-ms', 'abc', '--format', 'json'], 'INVALID_INPUT', '--sample-ms (sampleMs): must be an integer'],
    [['cluster-status', '--input', '{nope', '--format', 'json'], 'INVALID_INPUT', '--input: must be a JSON object matching the input schema of cluster-status'],
    [['cluster-status', '--input', '[1]', '--format', 'json'], 'INVALID_INPUT', 'got an array'],
    [['cluster-status', '--timeout', '0', '--format', 'json'], 'INVALID_INPUT', '--timeout: must be a positive number'],
    [['cluster-status', '--format', 'json'], 'CONFIG_NOT_FOUND', 'no pgcluster.config.json'],
    [['skills', 'show', 'nope', '--format', 'json'], 'INVALID_INPUT', 'unknown skill "nope"'],
    [['vector-index', '--action', 'rebuild', '--index', 'public.x', '--maintenance-work-mem', '5TB', '--format', 'json'], 'INVALID_INPUT', '--maintenance-work-mem (maintenanceWorkMem): does not match the allowed form, the pattern /^[1-9][0-9]{0,6}(kB|MB|GB)$/'],
  ])('%j: exactly one JSON envelope on stdout, exit 2', async (args, code, message) => {
    const run = await runCli(args, { cwd });
    expect(run.code).toBe(2);
    const envelope = JSON.parse(run.stdout);
    expect(envelope).toMatchObject({ ok: false, status: 'error', data: null, error: { code, message: expect.stringContaining(message) } });
    expect(run.stderr).toBe('');
  });

  it.each([
    [['--format', 'json', 'nosuchskill'], 'pgcluster'],
    [['--format', 'json', 'cluster-status', '--format', 'bogus'], 'cluster-status'],
    [['--timeout', '5000', 'cluster-status', '--bogus', '--format', 'json'], 'cluster-status'],
    [['skills', '--format', 'json', 'shw'], 'skills'],
    [['--format', 'json', '--dry-run', 'skills', 'shw'], 'skills'],
    [['audit', '--format', 'json', 'list', '--limit', '0'], 'audit list'],
    [['--config', '/nonexistent/pgcluster.config.json', '--format', 'json', 'audit', 'list'], 'audit list'],
  ])('%j: the error names the real command, never a flag\'s value (%s)', async (args, command) => {
    const run = await runCli(args, { cwd });
    expect(run.code).toBe(2);
    // The last --format wins: a bogus one is reported for a person, on stderr.
    const human = args.at(-1) === 'bogus';
    const envelope = human ? { skill: /^pgcluster ([a-z -]+):/.exec(run.stderr)?.[1], error: { hint: /^hint: (.*)$/m.exec(run.stderr)?.[1] } } : JSON.parse(run.stdout);
    expect(envelope.skill).toBe(command);
    // The hint points at that command's help, which exists.
    if (envelope.error.hint?.startsWith('Run `pgcluster')) {
      expect(envelope.error.hint).toContain(`Run \`pgcluster ${command === 'pgcluster' ? '' : `${command} `}--help\``);
      expect((await runCli([...(command === 'pgcluster' ? [] : command.split(' ')), '--help'], { cwd })).code).toBe(0);
    }
  });

  it('--input - reads the input JSON from stdin (bad input still names the field)', async () => {
    const run = await runCli(['cluster-status', '--input', '-', '--format', 'json'], { cwd, stdin: '{"sampleMs": -5}' });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('sampleMs') });
  });

  it('bad input is reported by the executor naming the field (exit 2, nothing run)', async () => {
    const run = await runCli(['cluster-status', '--sample-ms', '999999', '--format', 'json'], { cwd });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('sampleMs') });
  });

  it('skills list --format json lists every skill; skills show prints the SKILL.md', async () => {
    const list = await runCli(['skills', 'list', '--format', 'json'], { cwd });
    const envelope = JSON.parse(list.stdout);
    expect(envelope.ok).toBe(true);
    expect(envelope.data.skills.map((s: { name: string }) => s.name)).toEqual(manifest.skills.map((s) => s.name));
    const show = await runCli(['skills', 'show', 'cluster-status'], { cwd });
    expect(show.stdout).toBe(readFileSync(join(ROOT, 'skills', 'operations', 'cluster-status', 'SKILL.md'), 'utf8'));
  });

  it('skills install writes <dir>/.claude/skills/<name>/SKILL.md for every skill and workflow, valid for skills-ref', async () => {
    const run = await runCli(['skills', 'install', 'project'], { cwd });
    expect(run.code).toBe(0);
    // No PATH here: the output says how to put the pgcluster the skills run on it.
    expect(run.stdout).toContain(PATH_HINT);
    const dir = join(cwd, 'project', '.claude', 'skills');
    // The workflows' SKILL.md files are installed beside the skills'.
    const workflows = readdirSync(join(ROOT, 'skills', 'workflow')).map((name) => ({ name, category: 'workflow' }));
    expect(workflows.map((w) => w.name)).toContain('safe-maintenance');
    expect(readdirSync(dir).sort()).toEqual([...manifest.skills, ...workflows].map((s) => s.name).sort());
    for (const skill of [...manifest.skills, ...workflows]) {
      expect(readFileSync(join(dir, skill.name, 'SKILL.md'), 'utf8')).toBe(readFileSync(join(ROOT, 'skills', skill.category, skill.name, 'SKILL.md'), 'utf8'));
      const validate = spawnSync(join(ROOT, 'node_modules', '.bin', 'skills-ref'), ['validate', join(dir, skill.name)], { encoding: 'utf8' });
      expect({ skill: skill.name, status: validate.status, stderr: validate.stderr }).toEqual({ skill: skill.name, status: 0, stderr: '' });
    }
  });

  it('audit list without a configuration: exit 2 with the config hint', async () => {
    const run = await runCli(['audit', 'list'], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pgcluster audit list: no pgcluster.config.json');
    expect(run.stderr).toContain('hint: Start a local cluster with `pgcluster dev up`');
  });

  it('no command: exit 2 and a pointer to --help', async () => {
    const run = await runCli([], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Name a command');
  });
});
