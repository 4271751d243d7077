import { generate, SkillRuleError, formatProblem, type SkillProblem } from '../src';
import { loadFixturePackage, makeWorkspace } from './helpers/workspace';

const FILE = 'packages/vector/src/skills/vector-echo.skill.ts';
const DECORATOR_LINE = 5;

/** The base metadata, one field per line (line 6 onwards). */
const BASE: Record<string, string> = {
  name: "'vector-echo'",
  category: "'vector'",
  description: "'Echoes a query. Use when testing.'",
  version: "'1.0.0'",
  risk: "'read'",
  autonomous: 'true',
  requiresConfirmation: 'false',
  idempotent: 'true',
  whenToUse: "['testing']",
  interpret: "'ok is good'",
  decisionTree: '[]',
  examples: "[{ title: 'Echo', skill: 'vector-echo', input: { text: 'hi' } }]",
  input: 'EchoInput',
  output: 'EchoOutput',
};
const lineOf = (field: string) => 6 + Object.keys(BASE).indexOf(field);
/** The base example, run by the skill `name` itself (examples must name an existing skill). */
const exampleOf = (name: string) => `[{ title: 'Echo', skill: '${name}', input: { text: 'hi' } }]`;

function skillSource(overrides: Record<string, string | null> = {}, member = 'static async run()'): string {
  const fields = Object.entries({ ...BASE, ...overrides })
    .filter(([, v]) => v !== null)
    .map(([k, v]) => (k.startsWith('...') ? `    ${k},` : `    ${k}: ${v},`));
  return [
    "import { Skill } from '@pgcluster/skill-kit';",
    "import { EchoInput, EchoOutput } from '../echo';",
    '',
    'export class EchoSkill {',
    '  @Skill({',
    ...fields,
    '  })',
    `  ${member} { return { data: {} }; }`,
    '}',
    '',
  ].join('\n');
}

const LIB = (input = "z.object({ text: z.string().describe('What to echo.') })", output = 'z.object({ text: z.string() })') => `'use strict';
const { z } = require('zod');
const EchoInput = ${input};
const EchoOutput = ${output};
class EchoSkill { static async run() { return { data: {} }; } }
module.exports = { EchoInput, EchoOutput, EchoSkill };
`;

function problemsOf(files: Record<string, string>): SkillProblem[] {
  const { root, cleanup } = makeWorkspace({
    'packages/vector/package.json': '{ "name": "@fixture/vector" }',
    'packages/vector/lib/index.js': LIB(),
    ...files,
  });
  try {
    generate({ root, loadPackage: loadFixturePackage });
    return [];
  } catch (error) {
    if (!(error instanceof SkillRuleError)) throw error;
    expect(error.message).toContain(formatProblem(error.problems[0]!));
    return [...error.problems];
  } finally {
    cleanup();
  }
}

const only = (overrides: Record<string, string | null>, member?: string) => problemsOf({ [FILE]: skillSource(overrides, member) });

describe('skill rules: each failure names file:line and the rule', () => {
  it('accepts the base declaration', () => {
    expect(only({})).toEqual([]);
  });

  it.each([
    ['an identifier', { description: 'DESCRIPTION' }, 'description', /`description` must be a literal; the identifier `DESCRIPTION` is not/],
    ['a template with substitutions', { interpret: '`status ${1}`' }, 'interpret', /template with substitutions is not/],
    ['a call', { whenToUse: "['a'].concat(['b'])" }, 'whenToUse', /a call/],
    ['a non-literal array element', { whenToUse: "['a', WHEN]" }, 'whenToUse', /the identifier `WHEN`/],
  ])('literal: rejects %s', (_what, overrides, field, message) => {
    const problems = only(overrides);
    expect(problems).toEqual([{ file: FILE, line: lineOf(field), rule: 'literal', message: expect.stringMatching(message) }]);
  });

  it('literal: rejects a spread in the metadata object', () => {
    expect(only({ '...BASE_META': '' })).toEqual([
      { file: FILE, line: 6 + Object.keys(BASE).length, rule: 'literal', message: expect.stringMatching(/a spread is not/) },
    ]);
  });

  it('literal: rejects metadata that is not an object literal', () => {
    const source = skillSource().replace(/@Skill\(\{[\s\S]*?\}\)\n/, '@Skill(META)\n');
    expect(problemsOf({ [FILE]: source })).toEqual([{ file: FILE, line: DECORATOR_LINE, rule: 'literal', message: expect.stringContaining('object literal') }]);
  });

  it.each([
    ['name-pattern', { name: "'Vector_Echo'" }, 'name', /must be `\{prefix\}-\{action\}`/],
    ['name-pattern', { name: "'vector'" }, 'name', /must be `\{prefix\}-\{action\}`/],
    ['name-prefix', { name: "'cluster-echo'" }, 'name', /must start with "vector-", the prefix of category vector/],
    ['category', { category: "'storage'" }, 'category', /not one of operations, vector, maintenance, monitoring, security/],
    ['risk', { risk: "'dangerous'" }, 'risk', /not one of read, write, destructive/],
    ['version', { version: "'v1'" }, 'version', /semantic version/],
    ['description-length', { description: `'${'x'.repeat(201)}'` }, 'description', /1 to 200 characters.*it has 201: move the rest to `details`/],
    ['description-length', { description: "''" }, 'description', /it has 0/],
    ['when-to-use', { whenToUse: '[]' }, 'whenToUse', /at least one/],
    ['field-type', { autonomous: "'yes'" }, 'autonomous', /true or false/],
    ['field-type', { decisionTree: "[{ when: 'x' }]" }, 'decisionTree', /skill references \{ when: string, skill: string, input: \{…\}/],
    ['field-type', { decisionTree: "[{ when: 'x', skill: 'vector-echo', input: {}, args: '--text hi' }]" }, 'decisionTree', /skill references/],
    ['field-type', { input: 'z.object({})' }, 'input', /must name an exported zod schema constant/],
    ['unknown-field', { owner: "'me'" }, 'owner', /unknown metadata field `owner`/],
    ['destructive-needs-confirmation', { risk: "'destructive'" }, 'requiresConfirmation', /must set `requiresConfirmation: true`/],
    ['reference-skill', { decisionTree: "[{ when: 'x', skill: 'vector-ecko', input: {} }]" }, 'decisionTree', /decisionTree\[0\] of vector-echo names "vector-ecko", which is not a skill \(did you mean vector-echo\?\); mark it `planned: true`/],
    ['reference-input', { examples: "[{ title: 'Echo', skill: 'vector-echo', input: {} }]" }, 'examples', /examples\[0\] of vector-echo: vector-echo would refuse this input: --text \(text\): is required/],
    ['reference-input', { examples: "[{ title: 'Echo', skill: 'vector-echo', input: { text: '<text>' } }]" }, 'examples', /an example must be runnable as written/],
  ])('%s: %j', (rule, overrides, field, message) => {
    const line = field in BASE ? lineOf(field) : 6 + Object.keys(BASE).length;
    expect(only(overrides as Record<string, string>)).toEqual([{ file: FILE, line, rule, message: expect.stringMatching(message) }]);
  });

  it('references: a planned skill and placeholders in a decision tree pass; an input refused beside a placeholder fails', () => {
    expect(only({ decisionTree: "[{ when: 'x', skill: 'vector-later', input: { n: 1 }, planned: true }, { when: 'y', skill: 'vector-echo', input: { text: '<text>' } }]" })).toEqual([]);
    expect(only({ decisionTree: "[{ when: 'y', skill: 'vector-echo', input: { text: '<text>', volume: 3 } }]" })).toEqual([
      { file: FILE, line: lineOf('decisionTree'), rule: 'reference-input', message: expect.stringMatching(/--volume \(volume\): unknown field/) },
    ]);
  });

  it('listing-budget: the whole set must fit Claude Code\'s always-on budget, reported at the longest description', () => {
    // 27 skills with 25-character names at the 200-character maximum: ~59 tokens each, ~1,590 in all, over 1,500.
    const files: Record<string, string> = {};
    for (let i = 0; i < 27; i++) {
      const description = `'${'x'.repeat(i === 5 ? 200 : 199)}'`;
      files[`packages/vector/src/skills/e${String(i).padStart(2, '0')}.skill.ts`] = skillSource({ name: `'vector-echo-long-name-n${i}'`, description, examples: exampleOf(`vector-echo-long-name-n${i}`) });
    }
    expect(problemsOf(files)).toEqual([
      {
        file: 'packages/vector/src/skills/e05.skill.ts',
        line: lineOf('description'),
        rule: 'listing-budget',
        message: expect.stringMatching(/would take ~1\d{3} tokens always-on \(27 skills ~1\d{3}, plus 0 reserved slots of ~58\), over the budget of 1500/),
      },
    ]);
  });

  it('listing-budget: fewer skills fit, their free slots reserved at the maximum', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 3; i++) files[`packages/vector/src/skills/e${i}.skill.ts`] = skillSource({ name: `'vector-e${i}'`, description: `'${'x'.repeat(200)}'`, examples: exampleOf(`vector-e${i}`) });
    expect(problemsOf(files)).toEqual([]);
  });

  describe('metrics: Prometheus conventions and the output schema', () => {
    const OUTPUT = "z.object({ nodes: z.array(z.object({ name: z.string(), role: z.enum(['primary', 'replica']), latency_ms: z.number().nullable(), up: z.boolean() })), total: z.number(), label: z.string() })";
    const lib = { 'packages/vector/lib/index.js': LIB(undefined, OUTPUT) };
    const withMetrics = (metrics: string) => problemsOf({ ...lib, [FILE]: skillSource({ metrics }) });
    const at = 6 + Object.keys(BASE).length; // the metrics line, after the base fields

    it('accepts conventional declarations: base units, a state as its own gauge, identity labels', () => {
      expect(
        withMetrics(
          "[{ name: 'pgcluster_node_latency_seconds', help: 'Round trip.', value: 'nodes[].latency_ms', scale: 0.001, labels: { node: 'nodes[].name' } }, " +
            "{ name: 'pgcluster_node_role', help: 'Role.', value: 'nodes[].role', states: ['primary', 'replica'], labels: { node: 'nodes[].name' } }, " +
            "{ name: 'pgcluster_node_up', help: 'Up.', value: 'nodes[].up', labels: { node: 'nodes[].name', cluster: 'label' } }, " +
            "{ name: 'pgcluster_echo_checks_total', help: 'Checks.', type: 'counter', value: 'total' }]",
        ),
      ).toEqual([]);
    });

    it.each([
      ['an abbreviated unit', "{ name: 'pgcluster_node_latency_ms', help: 'h', value: 'total' }", 'metric-name', /"ms" is not a base unit: use seconds/],
      ['milliseconds without scaling', "{ name: 'pgcluster_node_latency', help: 'h', value: 'nodes[].latency_ms', labels: { node: 'nodes[].name' } }", 'metric-name', /in milliseconds: name it `…_seconds` and set scale: 0.001/],
      ['_count on a gauge', "{ name: 'pgcluster_index_count', help: 'h', value: 'total' }", 'metric-name', /`_count`\/`_sum`\/`_bucket` for histograms/],
      ['_total on a gauge', "{ name: 'pgcluster_rows_total', help: 'h', value: 'total' }", 'metric-name', /`_total` is for counters/],
      ['a counter without _total', "{ name: 'pgcluster_rows', help: 'h', type: 'counter', value: 'total' }", 'metric-name', /a counter ends in `_total`/],
      ['a run family', "{ name: 'pgcluster_skill_extra', help: 'h', value: 'total' }", 'metric-name', /rendered for every run/],
      ['a path not in the output', "{ name: 'pgcluster_rows', help: 'h', value: 'nodes[].rows' }", 'metric-value', /"nodes\[\].rows" is not in the output schema/],
      ['a string value', "{ name: 'pgcluster_label', help: 'h', value: 'label' }", 'metric-value', /must be a number or a boolean.*needs `states`/],
      ['incomplete states', "{ name: 'pgcluster_node_role', help: 'h', value: 'nodes[].role', states: ['primary'], labels: { node: 'nodes[].name' } }", 'metric-value', /exactly the enum of "nodes\[\].role": primary, replica/],
      ['a state as a label', "{ name: 'pgcluster_node_up', help: 'h', value: 'nodes[].up', labels: { role: 'nodes[].role' } }", 'metric-label', /label "role" names a state/],
      ['a label from another array', "{ name: 'pgcluster_total_nodes', help: 'h', value: 'total', labels: { node: 'nodes[].name' } }", 'metric-label', /walks an array the value "total" does not/],
    ])('metric rules: rejects %s', (_what, metric, rule, message) => {
      expect(withMetrics(`[${metric}]`)).toEqual([{ file: FILE, line: at, rule, message: expect.stringMatching(message) }]);
    });
  });

  it('when-to-use / missing-field: a missing field is reported at the decorator', () => {
    expect(only({ whenToUse: null, version: null })).toEqual([
      { file: FILE, line: DECORATOR_LINE, rule: 'missing-field', message: 'metadata field `version` is missing' },
      { file: FILE, line: DECORATOR_LINE, rule: 'when-to-use', message: 'metadata field `whenToUse` is missing' },
    ]);
  });

  it('decorated-member: @Skill must decorate static run', () => {
    expect(only({}, 'static async other()')).toEqual([{ file: FILE, line: DECORATOR_LINE, rule: 'decorated-member', message: expect.stringContaining('`static run(ctx, input)` or `static readonly actions`, not `other`') }]);
  });

  it('duplicate-name: two skills with one name, reported at the second with the first location', () => {
    const second = 'packages/vector/src/skills/zz-echo.skill.ts';
    expect(problemsOf({ [FILE]: skillSource(), [second]: skillSource().replace('class EchoSkill', 'class OtherEchoSkill') })).toEqual([
      { file: second, line: lineOf('name'), rule: 'duplicate-name', message: `skill name "vector-echo" is already declared at ${FILE}:${lineOf('name')}` },
    ]);
  });

  it('skill-export: the class must be exported, statically and from the package', () => {
    expect(problemsOf({ [FILE]: skillSource().replace('export class', 'class') })).toEqual([
      { file: FILE, line: 4, rule: 'skill-export', message: expect.stringContaining('named, exported class') },
    ]);
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': LIB().replace(', EchoSkill }', ' }') })).toEqual([
      { file: FILE, line: DECORATOR_LINE, rule: 'skill-export', message: expect.stringContaining('class EchoSkill is not exported from @fixture/vector') },
    ]);
  });

  it('schema-export: input and output must be exported zod schemas', () => {
    const lib = LIB().replace('module.exports = { EchoInput, EchoOutput, EchoSkill }', 'module.exports = { EchoInput: {}, EchoSkill }');
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': lib })).toEqual([
      { file: FILE, line: lineOf('input'), rule: 'schema-export', message: expect.stringContaining('the export is not a zod schema') },
      { file: FILE, line: lineOf('output'), rule: 'schema-export', message: expect.stringContaining('it is not exported') },
    ]);
  });

  it('schema-json: schemas must be representable as JSON Schema, and input an object', () => {
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': LIB(undefined, 'z.object({ at: z.date() })') })).toEqual([
      { file: FILE, line: lineOf('output'), rule: 'schema-json', message: expect.stringContaining('cannot be represented as JSON Schema') },
    ]);
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': LIB('z.string()') })).toEqual([
      { file: FILE, line: lineOf('input'), rule: 'schema-json', message: expect.stringContaining('must be a z.object') },
    ]);
  });

  it('secret-mark: an input field named like a secret must say whether it is one', () => {
    const lib = LIB(
      "z.object({ apiToken: z.string().optional(), password: z.string().meta({ secret: true }), key: z.string().meta({ secret: false }), rows: z.array(z.object({ token: z.string() })).meta({ audit: 'digest' }), nested: z.object({ secretName: z.string() }) })",
    );
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': lib })).toEqual(
      ['apiToken', 'nested.secretName'].map((field) => ({ file: FILE, line: lineOf('input'), rule: 'secret-mark', message: expect.stringContaining(`\`${field}\` is named like a secret`) })),
    );
  });

  it('flag-collision: two input fields that become one flag', () => {
    const lib = LIB('z.object({ efSearch: z.number(), ef_search: z.number() })');
    expect(problemsOf({ [FILE]: skillSource(), 'packages/vector/lib/index.js': lib })).toEqual([
      { file: FILE, line: lineOf('input'), rule: 'flag-collision', message: 'input fields `efSearch` and `ef_search` both become --ef-search; rename one' },
    ]);
  });

  it('reserved-flag: a field named like a global flag gets no flag, only --input, and a warning', () => {
    const { root, cleanup } = makeWorkspace({
      'packages/vector/package.json': '{ "name": "@fixture/vector" }',
      'packages/vector/lib/index.js': LIB("z.object({ format: z.enum(['csv', 'json']).describe('File format.'), text: z.string() })"),
      [FILE]: skillSource({ examples: "[{ title: 'Echo', skill: 'vector-echo', input: { format: 'csv', text: 'hi' } }]" }),
    });
    try {
      const result = generate({ root, loadPackage: loadFixturePackage });
      // The field goes through --input in a rendered command, never as the global --format.
      expect(result.files.get('skills/vector/vector-echo/SKILL.md')).toContain(`pgcluster vector-echo --text hi --input '{"format":"csv"}'`);
      expect(result.skills[0]!.flags.map((f) => f.name)).toEqual(['text']);
      expect(result.skills[0]!.inputOnly).toEqual(['format']);
      expect(result.warnings).toEqual([`${FILE}:${lineOf('input')}: [reserved-flag] input field \`format\` of vector-echo would become --format, a global flag of the CLI; it is settable only through --input until it is renamed`]);
      expect(result.files.get('skills/vector/vector-echo/SKILL.md')).toContain('| only in `--input` | `format` | "csv" \\| "json" | yes |  | File format. |');
    } finally {
      cleanup();
    }
  });
});

describe('workflow rules: each step is checked against its target skill, failing with file:line', () => {
  const WF = 'packages/vector/src/workflows/echo-twice.workflow.ts';
  /** A workflow with one step per line (steps start on line 7). */
  const workflowSource = (steps: string[], extra = '') =>
    [
      "import { defineWorkflow } from '@pgcluster/skill-kit';",
      '',
      'export const ECHO_TWICE = defineWorkflow({',
      "  name: 'echo-twice',",
      "  description: 'Echoes twice. Use when testing.',",
      ...(extra ? [extra] : ["  whenToUse: ['testing'],"]),
      '  steps: [',
      ...steps.map((s) => `    ${s},`),
      '  ],',
      '});',
      '',
    ].join('\n');
  const STEP_LINE = 8;
  const run = (steps: string[], extra?: string) => {
    const { root, cleanup } = makeWorkspace({
      'packages/vector/package.json': '{ "name": "@fixture/vector" }',
      'packages/vector/lib/index.js': LIB(),
      [FILE]: skillSource(),
      [WF]: workflowSource(steps, extra),
    });
    try {
      return generate({ root, loadPackage: loadFixturePackage });
    } finally {
      cleanup();
    }
  };
  const problems = (steps: string[], extra?: string): SkillProblem[] => {
    try {
      run(steps, extra);
      return [];
    } catch (error) {
      if (!(error instanceof SkillRuleError)) throw error;
      return [...error.problems];
    }
  };

  it('generates a SKILL.md per workflow, with every step as its command line and condition, counted in the listing', () => {
    const result = run(["{ name: 'first', skill: 'vector-echo', input: { text: 'hi' } }", "{ name: 'second', skill: 'vector-echo', input: { text: 'again' }, when: 'steps.first.ok' }"]);
    const md = result.files.get('skills/workflow/echo-twice/SKILL.md')!;
    expect(md).toContain('name: echo-twice\n');
    expect(md).toContain('1. **first**: `pgcluster vector-echo --text hi`');
    expect(md).toContain('2. **second**: `pgcluster vector-echo --text again`\n   - only if `steps.first.ok`');
    expect(md).toContain('pgcluster workflow run echo-twice --dry-run --format json');
    expect(result.workflows.map((w) => w.name)).toEqual(['echo-twice']);
    expect(result.listing.skills).toBe(2);
  });

  it('reference-input: a step whose input its skill would refuse fails generation at the step', () => {
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: {} }"])).toEqual([
      { file: WF, line: STEP_LINE, rule: 'reference-input', message: expect.stringMatching(/step first of workflow echo-twice: vector-echo would refuse this input: --text \(text\): is required/) },
    ]);
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: { text: 'hi', txet: 'x' } }"])[0]).toMatchObject({ line: STEP_LINE, message: expect.stringMatching(/--txet \(txet\): unknown field; did you mean --text/) });
  });

  it('reference-skill: an unknown skill names the nearest one', () => {
    expect(problems(["{ name: 'first', skill: 'vector-ecko', input: { text: 'hi' } }"])).toEqual([
      { file: WF, line: STEP_LINE, rule: 'reference-skill', message: expect.stringContaining('names "vector-ecko", which is not a skill (did you mean vector-echo?)') },
    ]);
  });

  it('conditions parse and read only earlier steps; parameters must be declared', () => {
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: { text: 'hi' }, when: 'steps.first.ok' }"])).toEqual([
      { file: WF, line: STEP_LINE, rule: 'reference-skill', message: 'step first: its condition reads steps.first, which is not an earlier step' },
    ]);
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: { text: 'hi' }, when: 'steps.x.ok and' }"])[0]).toMatchObject({ line: STEP_LINE, rule: 'literal', message: expect.stringContaining('when: expected `steps.<step>`') });
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: { text: '<words>' } }"])[0]).toMatchObject({ rule: 'reference-input', message: expect.stringContaining('<words> is not a parameter') });
    expect(problems(["{ name: 'first', skill: 'vector-echo', input: { text: '<words>' } }"], "  params: { words: { description: 'What to echo.' } },")).toEqual([]);
  });

  it('description-length: a workflow description counts in the listing like a skill\u2019s', () => {
    const long = `  description: '${'x'.repeat(201)}',`;
    const { root, cleanup } = makeWorkspace({
      'packages/vector/package.json': '{ "name": "@fixture/vector" }',
      'packages/vector/lib/index.js': LIB(),
      [FILE]: skillSource(),
      [WF]: workflowSource(["{ name: 'first', skill: 'vector-echo', input: { text: 'hi' } }"]).replace("  description: 'Echoes twice. Use when testing.',", long),
    });
    try {
      expect(() => generate({ root, loadPackage: loadFixturePackage })).toThrow(/echo-twice.workflow.ts:5: \[description-length\] description is 201 characters/);
    } finally {
      cleanup();
    }
  });
});
