import { symlinkSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generate, SkillRuleError } from '../src';
import { loadFixturePackage, makeWorkspace } from './helpers/workspace';

// A multi-action skill: `static readonly actions` decorated with @Skill, its input made by actionInput.
const FILE = 'packages/maintenance/src/skills/maintenance-things.skill.ts';

const source = (examples: string) =>
  [
    "import { Skill, type SkillActions } from '@pgcluster/skill-kit';",
    "import { ThingsInput, ThingsOutput } from '../things';",
    '',
    'export class ThingsSkill {',
    '  @Skill({',
    "    name: 'maintenance-things',",
    "    category: 'maintenance',",
    "    description: 'Lists things or drops one. Use when testing.',",
    "    version: '1.0.0',",
    "    risk: 'write',",
    '    autonomous: true,',
    '    requiresConfirmation: false,',
    '    idempotent: true,',
    "    whenToUse: ['testing'],",
    "    interpret: 'ok is good',",
    '    decisionTree: [],',
    `    examples: ${examples},`,
    '    input: ThingsInput,',
    '    output: ThingsOutput,',
    '  })',
    '  static readonly actions: SkillActions<typeof ThingsInput, { n: number }> = {',
    "    list: { risk: 'read', run: async () => ({ data: { n: 0 } }) },",
    '    drop: { requiresConfirmation: true, plan: () => [], run: async () => ({ data: { n: 1 } }) },',
    '  };',
    '}',
    '',
  ].join('\n');

const LIB = `'use strict';
const { z } = require('zod');
const { actionInput, Skill } = require('@pgcluster/skill-kit');
const ThingsInput = actionInput({
  list: z.object({ limit: z.number().int().default(10).describe('At most this many.') }),
  drop: z.object({ name: z.string().describe('The thing to drop.'), force: z.boolean().optional().describe('Even when in use.') }),
});
const ThingsOutput = z.object({ n: z.number() });
class ThingsSkill {}
ThingsSkill.actions = { list: { risk: 'read', run: async () => ({ data: { n: 0 } }) }, drop: { requiresConfirmation: true, plan: () => [], run: async () => ({ data: { n: 1 } }) } };
module.exports = { ThingsInput, ThingsOutput, ThingsSkill };
`;

function workspace(examples: string) {
  const ws = makeWorkspace({ 'packages/maintenance/package.json': '{ "name": "@fixture/maintenance" }', 'packages/maintenance/lib/index.js': LIB, [FILE]: source(examples) });
  // The fixture's lib requires the real skill-kit (built), as a package's dist does.
  mkdirSync(join(ws.root, 'node_modules', '@pgcluster'), { recursive: true });
  symlinkSync(dirname(require.resolve('@pgcluster/skill-kit/package.json')), join(ws.root, 'node_modules', '@pgcluster', 'skill-kit'), 'dir');
  return ws;
}

describe('a skill with several actions', () => {
  it('keeps a flat input schema with the action enum, lists each action in the manifest and documents fields per action', () => {
    const { root, cleanup } = workspace("[{ title: 'Drop one', skill: 'maintenance-things', input: { action: 'drop', name: 'x' }, options: { yes: true } }]");
    try {
      const result = generate({ root, loadPackage: loadFixturePackage });
      const things = JSON.parse(result.files.get('skills/manifest.json')!).skills[0];
      expect(things.input).toMatchObject({ type: 'object', required: ['action'], properties: { action: { enum: ['list', 'drop'] }, limit: { default: 10 }, name: { type: 'string' } } });
      expect(things.actions).toEqual([
        { name: 'list', risk: 'read', requiresConfirmation: false, autonomous: true, fields: ['limit'], required: [] },
        { name: 'drop', risk: 'write', requiresConfirmation: true, autonomous: true, fields: ['name', 'force'], required: ['name'] },
      ]);
      const md = result.files.get('skills/maintenance/maintenance-things/SKILL.md')!;
      expect(md).toContain('| `list` | — | `--limit` | read | no |');
      expect(md).toContain('| `drop` | `--name` | `--force` | write | required |');
      expect(md).toContain('- Confirmation: required for the action `drop`, not for the others.');
      expect(md).toContain('pgcluster maintenance-things --action drop --name x --yes');
      expect(result.skills[0]!.hasPlan).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('checks every reference against the action\'s own schema, at the reference\'s line', () => {
    const { root, cleanup } = workspace("[{ title: 'Drop', skill: 'maintenance-things', input: { action: 'drop', limit: 3 } }]");
    try {
      expect(() => generate({ root, loadPackage: loadFixturePackage })).toThrow(SkillRuleError);
      try {
        generate({ root, loadPackage: loadFixturePackage });
      } catch (error) {
        expect((error as SkillRuleError).problems).toEqual([
          {
            file: FILE,
            line: 17,
            rule: 'reference-input',
            message: 'examples[0] of maintenance-things: maintenance-things would refuse this input: --limit (limit): is not a field of action drop (it belongs to list); --name (name): is required for action drop',
          },
        ]);
      }
    } finally {
      cleanup();
    }
  });
});
