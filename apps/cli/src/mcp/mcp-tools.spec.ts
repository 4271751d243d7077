import { toolOf, type ManifestSkill } from './mcp-tools';

const skill = (extra: Partial<ManifestSkill>): ManifestSkill => ({
  name: 'maintenance-things',
  description: 'Lists things or drops one.',
  risk: 'write',
  requiresConfirmation: false,
  idempotent: false,
  input: { type: 'object', properties: { action: { enum: ['list', 'drop'] } } },
  output: { type: 'object' },
  ...extra,
});

describe('toolOf', () => {
  it('tells which actions refuse without confirm when only some do', () => {
    const actions = [
      { name: 'list', requiresConfirmation: false },
      { name: 'drop', requiresConfirmation: true },
    ];
    expect(toolOf(skill({ actions }), {}).description).toBe('Lists things or drops one.\n\nRisk: write. Call with dryRun: true first to see the plan. Action drop refuses without confirm: true; ask the user before confirming.');
  });

  it('says the skill refuses without confirm when it requires confirmation as a whole', () => {
    expect(toolOf(skill({ requiresConfirmation: true }), {}).description).toContain('. Refuses without confirm: true;');
    expect(toolOf(skill({}), {}).description).not.toContain('confirm: true');
  });
});
