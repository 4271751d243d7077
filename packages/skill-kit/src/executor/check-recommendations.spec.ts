import { ReadFixture } from '../../test/fixtures/fixture-skills';
import type { SkillClass, SkillLogger } from '../skill/skill-meta';
import { checkRecommendations } from './check-recommendations';

function logger(): SkillLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, debug: () => undefined, warn: (m) => void warnings.push(m) };
}

const resolveSkill = (name: string): SkillClass | undefined => (name === 'monitoring-fixture-read' ? (ReadFixture as SkillClass) : undefined);

describe('checkRecommendations', () => {
  it('keeps what the target accepts, steps for a person, and planned skills; fills in input', () => {
    const log = logger();
    const kept = checkRecommendations(
      [
        { why: 'read fewer', skill: 'monitoring-fixture-read', input: { limit: 1 } },
        { why: 'read all', skill: 'monitoring-fixture-read' },
        { why: 'call a human' },
        { why: 'optimise', skill: 'maintenance-optimize', input: {}, planned: true },
      ],
      { resolveSkill, onInvalid: 'throw', log },
    );
    expect(kept).toEqual([
      { why: 'read fewer', skill: 'monitoring-fixture-read', input: { limit: 1 } },
      { why: 'read all', skill: 'monitoring-fixture-read', input: {} },
      { why: 'call a human' },
      { why: 'optimise', skill: 'maintenance-optimize', input: {}, planned: true },
    ]);
    expect(log.warnings).toEqual([]);
  });

  it('drops one its target would refuse, or an unknown skill, with a warning naming the problem', () => {
    const log = logger();
    const kept = checkRecommendations(
      [
        { why: 'read too many', skill: 'monitoring-fixture-read', input: { limit: 500 } },
        { why: 'a typo', skill: 'monitoring-fixture-raed', input: {} },
      ],
      { resolveSkill, onInvalid: 'drop', log },
    );
    expect(kept).toEqual([]);
    expect(log.warnings).toEqual([
      'left out an invalid recommendation "read too many" → monitoring-fixture-read {"limit":500}: --limit (limit): must be at most 100',
      'left out an invalid recommendation "a typo" → monitoring-fixture-raed {}: no skill is named monitoring-fixture-raed (mark it planned if it is coming)',
    ]);
  });

  it('throws in strict mode (tests), so a broken recommendation fails the run', () => {
    expect(() =>
      checkRecommendations([{ why: 'read too many', skill: 'monitoring-fixture-read', input: { limit: 500 } }], { resolveSkill, onInvalid: 'throw', log: logger() }),
    ).toThrow(/--limit \(limit\): must be at most 100/);
  });
});

describe('checkRecommendations on fields', () => {
  it('refuses a field the target does not declare, even where zod would drop it silently', () => {
    expect(() =>
      checkRecommendations([{ why: 'read', skill: 'monitoring-fixture-read', input: { limt: 2 } }], { resolveSkill, onInvalid: 'throw', log: logger() }),
    ).toThrow(/--limt \(limt\): unknown field/);
  });
});
