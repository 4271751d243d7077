import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generate, syncFiles } from '../src';
import { FIXTURE_ROOT, loadFixturePackage, makeWorkspace } from './helpers/workspace';

const SKILLS_REF = join(__dirname, '..', '..', '..', 'node_modules', '.bin', 'skills-ref');

describe('generate (fixture workspace)', () => {
  const result = generate({ root: FIXTURE_ROOT, loadPackage: loadFixturePackage });

  it('emits every output, sorted by path', () => {
    expect([...result.files.keys()]).toEqual([
      'CAPABILITIES.md',
      'apps/cli/src/generated/commands/cluster-ping.ts',
      'apps/cli/src/generated/commands/vector-echo.ts',
      'apps/cli/src/generated/index.ts',
      'skills/manifest.json',
      'skills/operations/cluster-ping/SKILL.md',
      'skills/vector/vector-echo/SKILL.md',
    ]);
  });

  it('is deterministic: two runs give byte-identical files', () => {
    const again = generate({ root: FIXTURE_ROOT, loadPackage: loadFixturePackage });
    expect([...again.files.entries()]).toEqual([...result.files.entries()]);
  });

  it('writes the manifest with JSON Schemas from zod (inputs with defaults optional)', () => {
    const manifest = JSON.parse(result.files.get('skills/manifest.json')!);
    expect(manifest.skills.map((s: { name: string }) => s.name)).toEqual(['cluster-ping', 'vector-echo']);
    const echo = manifest.skills[1];
    expect(echo).toMatchObject({
      name: 'vector-echo',
      command: 'pgcluster vector-echo',
      category: 'vector',
      risk: 'read',
      autonomous: true,
      requiresConfirmation: false,
      package: '@fixture/vector',
      skillMd: 'skills/vector/vector-echo/SKILL.md',
    });
    expect(echo.input.required).toEqual(['collection']);
    expect(echo.input.properties.efSearch).toMatchObject({ type: 'integer', default: 40, minimum: 1, maximum: 1000, description: 'HNSW ef_search for the query.' });
    expect(echo.output.required).toEqual(['collection', 'hits', 'status']);
    expect(manifest.envelope.required).toContain('status');
    expect(result.files.get('skills/manifest.json')).not.toMatch(/\d{4}-\d\d-\d\dT/); // no timestamps
  });

  it('derives flags from the input schema', () => {
    const echo = result.skills.find((s) => s.name === 'vector-echo')!;
    expect(echo.flags).toEqual([
      { name: 'collection', property: 'collection', type: 'string', description: 'The collection to echo.', required: true },
      { name: 'ef-search', property: 'efSearch', type: 'integer', description: 'HNSW ef_search for the query.', default: 40, required: false },
      { name: 'metric', property: 'metric', type: 'string', choices: ['cosine', 'l2', 'inner'], description: 'Distance metric.', default: 'cosine', required: false },
      { name: 'tags', property: 'tags', type: 'array', items: 'string', description: 'Tags to filter on.', default: [], required: false },
      { name: 'exact', property: 'exact', type: 'boolean', description: 'Scan without the index.', required: false },
      { name: 'filter', property: 'filter', type: 'json', description: 'A metadata filter.', required: false },
    ]);
  });

  it('writes SKILL.md files in the Agent Skills shape, under 500 lines', () => {
    const md = result.files.get('skills/vector/vector-echo/SKILL.md')!;
    const [, frontmatter, body] = md.split(/^---$/m);
    const keys = frontmatter!.split('\n').filter((l) => /^[a-z-]+:/.test(l)).map((l) => l.split(':')[0]);
    expect(keys).toEqual(['name', 'description', 'compatibility', 'metadata', 'allowed-tools']);
    expect(frontmatter).toContain('name: vector-echo\n');
    expect(frontmatter).toContain('allowed-tools: "Bash(pgcluster vector-echo:*)"');
    for (const heading of ['## Usage', '## Parameters', '## Output', '## When to use', '## How to interpret the result', '## Decision tree', '## Examples', '## Safety']) {
      expect(md).toContain(`\n${heading}\n`);
    }
    expect(md).toContain('| `--ef-search` | `efSearch` | integer (1 to 1000) | no | `40` | HNSW ef_search for the query. |');
    expect(md).toContain('pgcluster vector-echo --collection <string> [--ef-search <integer>] [--metric cosine|l2|inner]');
    expect(md).toContain('- If status is empty: run `pgcluster cluster-ping --target primary`.');
    expect(md).toContain('- If the collection is missing: run `pgcluster vector-create --collection <collection>` (coming: not available in this version yet).');
    expect(md).toContain("pgcluster vector-echo --collection docs --ef-search 80 --filter '{\"field\":\"lang\",\"value\":\"en\"}' --format json");
    expect(md).toContain('  hits: Array<{');
    expect(md).toContain('\n## Input formats\n\nA filter is `{"field": "lang", "value": "en"}`.\n');
    expect(md).toContain('\n## Environment and exit codes\n');
    expect(md).toMatch(/`PGCLUSTER_LOG`: .*progress/);
    expect(result.files.get('skills/operations/cluster-ping/SKILL.md')).not.toContain('## Input formats');
    expect(body).toBeDefined();
    for (const file of result.files.keys()) {
      if (file.endsWith('SKILL.md')) expect(result.files.get(file)!.split('\n').length).toBeLessThan(500);
    }
    const ping = result.files.get('skills/operations/cluster-ping/SKILL.md')!;
    expect(ping).not.toContain('allowed-tools'); // a write skill asks the user first
    expect(ping).toContain('Confirmation: required');
    expect(ping).toContain('`--dry-run` validates the input and returns the plan');
  });

  it('passes the Agent Skills validator (skills-ref validate) for every SKILL.md', () => {
    const { root, cleanup } = makeWorkspace({});
    try {
      syncFiles(root, result.files);
      for (const file of result.files.keys()) {
        if (!file.endsWith('/SKILL.md')) continue;
        const run = spawnSync(SKILLS_REF, ['validate', join(root, file.replace(/\/SKILL\.md$/, ''))], { encoding: 'utf8' });
        expect({ file, status: run.status, stderr: run.stderr }).toEqual({ file, status: 0, stderr: '' });
      }
    } finally {
      cleanup();
    }
  });

  it('writes CLI command modules with a lazy loader', () => {
    const module = result.files.get('apps/cli/src/generated/commands/vector-echo.ts')!;
    expect(module).toContain("import type { SkillClass } from '@pgcluster/skill-kit';");
    expect(module).toContain('export const vectorEchoCommand: GeneratedCommand = {');
    // Only the skill's own module of its package (through the package's ./skills/* export).
    expect(module).toMatch(/load: \(\): SkillClass => \{\n(.*\n){2} {4}\/\/ eslint-disable-next-line @typescript-eslint\/no-require-imports\n {4}const exported = require\("@fixture\/vector\/skills\/vector-echo\.skill"\)/);
    expect(module).toContain('return exported["VectorEchoSkill"] as SkillClass;');
    // Only type imports at the top: importing the module loads no domain package.
    expect(module.split('\n').filter((l) => l.startsWith('import ') && !l.startsWith('import type '))).toEqual([]);
    const index = result.files.get('apps/cli/src/generated/index.ts')!;
    // The index holds every command's summary and loads a command module only when asked for one.
    expect(index.split('\n').filter((l) => l.startsWith('import ') && !l.startsWith('import type '))).toEqual([]);
    expect(index).toContain('export const GENERATED_COMMANDS: CommandCatalog = {');
    expect(index).toContain('name: "cluster-ping",');
    expect(index).toContain('describe: "Echoes a nearest-neighbour query without touching the database.",');
    expect(index).toContain(`case "vector-echo":\n        return (require('./commands/vector-echo') as typeof import('./commands/vector-echo')).vectorEchoCommand;`);
    expect(module).not.toContain('skillMd');
  });

  it('reports skills and coverage in CAPABILITIES.md', () => {
    const md = result.files.get('CAPABILITIES.md')!;
    expect(md).toContain('| [`cluster-ping`](skills/operations/cluster-ping/SKILL.md) | operations | write | yes | no | Pings the nodes of the cluster and records the answer. |');
    expect(md).toContain('**2 of 3 exported operations (67%)** of the domain packages have a skill.');
    expect(md).toContain('- `unusedOperation` (@fixture/vector, packages/vector/src/echo/echo.ts)');
    expect(md).toContain('- `echoVectors` (@fixture/vector): `vector-echo`');
    expect(result.operations.map((o) => [o.name, o.coveredBy])).toEqual([
      ['pingCluster', ['cluster-ping']],
      ['echoVectors', ['vector-echo']],
      ['unusedOperation', []],
    ]);
  });
});
