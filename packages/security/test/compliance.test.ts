import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClusterConfig, withClient, type LoadedConfig } from '@pgcluster/core';
import { executeSkill, exitCodeFor, renderHuman, type Envelope } from '@pgcluster/skill-kit';
import { useCluster } from '@pgcluster/testing';
import { ComplianceReport, SecurityComplianceSkill, type ComplianceSection } from '../src';

// A cluster as @pgcluster/testing starts it: scram over loopback, ssl off, default logging, no
// checksums, no pgaudit — the report must say exactly which CIS sections that fails.
const cluster = useCluster({ replicas: 0, fast: true });
const dir = mkdtempSync(join(tmpdir(), 'pgcluster-compliance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const loaded = (options: { dataDir?: boolean; url?: string } = {}): LoadedConfig => ({
  config: ClusterConfig.parse({ name: 'compliance', nodes: [{ name: 'node1', url: options.url ?? cluster().url(), ...(options.dataDir === false ? {} : { dataDir: cluster().primary.dataDir }) }] }),
  source: 'test',
  stateDir: '/nonexistent',
});

async function compliance(input: Record<string, unknown> = {}, options: { dataDir?: boolean; url?: string; yes?: boolean } = {}): Promise<Envelope<ComplianceReport>> {
  const envelope = await executeSkill(SecurityComplianceSkill, input, { config: loaded(options), audit: false, yes: options.yes });
  if (envelope.data) expect(ComplianceReport.parse(envelope.data)).toEqual(envelope.data);
  return envelope;
}

const section = (report: ComplianceReport, id: string): ComplianceSection => report.sections.find((s) => s.section === id)!;

test('the fixture cluster fails exactly the sections it does not meet, with a score and a fix for each', async () => {
  const envelope = await compliance();
  expect(exitCodeFor(envelope)).toBe(1);
  const report = envelope.data!;
  const failing = report.sections.filter((s) => s.result === 'fail').map((s) => s.section);
  expect(failing).toEqual(['1.3.3', '3.1.20', '3.1.21', '3.1.24', '3.1.25', '3.2', '6.8', 'pgcluster']);
  for (const id of ['2.2', '4.2', '4.3', '4.8', '5.2', '5.3', '5.5', '5.6', '5.7', '5.8', '5.9']) expect(section(report, id).result).toBe('pass');
  expect(section(report, '5.1')).toMatchObject({ result: 'manual', note: expect.stringContaining('local lines') });
  const { pass, fail } = report.score;
  expect(report.score.percent).toBe(Math.round((pass / (pass + fail)) * 1000) / 10);
  expect(report.fixes.map((f) => f.check)).toEqual(expect.arrayContaining(['ssl_off', 'data_checksums', 'password_expiry']));
  for (const f of report.fixes) expect(f.verify).toBe(`pgcluster security-audit --checks ${f.check}`);
  // The person's view is a table of sections (on a screen wide enough; a narrow one gets a block per section).
  const human = renderHuman(envelope, { width: 400 });
  expect(human).toMatch(/section\s+result\s+title/);
  expect(human).toMatch(/6\.8\s+fail/);
}, 60_000);

test('sections whose checks cannot apply are not applicable, and missing privileges make them manual', async () => {
  const noLocal = (await compliance({}, { dataDir: false })).data!;
  expect(section(noLocal, '2.2')).toMatchObject({ result: 'not_applicable', note: expect.stringContaining('no dataDir') });

  await withClient({ url: cluster().url() }, 'setup', (c) => c.query("CREATE ROLE reader LOGIN PASSWORD 'reader-pass-1'"));
  const url = new URL(cluster().url());
  url.username = 'reader';
  url.password = 'reader-pass-1';
  const limited = (await compliance({}, { url: url.toString() })).data!;
  expect(section(limited, '5.2')).toMatchObject({ result: 'manual', note: expect.stringContaining('needs superuser') });
}, 60_000);

test('--output writes the Markdown report, refuses to replace it, and replaces it with --overwrite or --yes', async () => {
  const file = join(dir, 'report.md');
  const first = await compliance({ output: file });
  expect(first.data?.file).toBe(file);
  const markdown = readFileSync(file, 'utf8');
  expect(markdown).toMatch(/^# CIS PostgreSQL compliance: compliance/);
  expect(markdown).toContain('| 6.8 | **FAIL** |');
  expect(markdown).toContain('## What to fix');
  expect(markdown).toContain('Verify: `pgcluster security-audit --checks ssl_off`');

  writeFileSync(file, 'kept');
  const refused = await compliance({ output: file });
  expect(exitCodeFor(refused)).toBe(3);
  expect(refused.error?.message).toMatch(/^--output \(output\): .* exists; nothing was written/);
  expect(readFileSync(file, 'utf8')).toBe('kept');

  expect(exitCodeFor(await compliance({ output: file, overwrite: true }))).toBe(1);
  expect(readFileSync(file, 'utf8')).toMatch(/^# CIS/);
  writeFileSync(file, 'kept');
  await compliance({ output: file }, { yes: true });
  expect(readFileSync(file, 'utf8')).toMatch(/^# CIS/);
}, 60_000);

test('a bad output names the field and writes nothing', async () => {
  const notMd = await compliance({ output: join(dir, 'report.txt') });
  expect(exitCodeFor(notMd)).toBe(2);
  expect(notMd.error?.message).toMatch(/--output \(output\): must be a file name ending in \.md/);
  const noFolder = await compliance({ output: join(dir, 'missing', 'report.md') });
  expect(exitCodeFor(noFolder)).toBe(2);
  expect(noFolder.error?.message).toMatch(/^--output \(output\): the folder .*missing does not exist/);
  expect(() => statSync(join(dir, 'report.txt'))).toThrow();
});
