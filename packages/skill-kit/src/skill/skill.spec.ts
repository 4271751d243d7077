import { PgClusterError } from '@pgcluster/core';
import { z } from 'zod';
import { DropTableFixture, ReadFixture, ReadInput, ReadOutput } from '../../test/fixtures/fixture-skills';
import { checkSkillMeta, getSkillMeta, isSkillClass, Skill } from './skill';
import type { SkillContext, SkillMeta } from './skill-meta';
import { createSkillRegistry } from './skill-registry';

const Input = z.object({ limit: z.number() });
const Output = z.object({ n: z.number() });
const meta = (over: Partial<SkillMeta> = {}) =>
  ({
    name: 'monitoring-probe',
    category: 'monitoring',
    description: 'Probes. Use in tests.',
    version: '1.0.0',
    risk: 'read',
    autonomous: true,
    requiresConfirmation: false,
    idempotent: true,
    whenToUse: [],
    interpret: '',
    decisionTree: [],
    examples: [],
    input: Input,
    output: Output,
    ...over,
  }) as SkillMeta<typeof Input, typeof Output>;

describe('@Skill', () => {
  it('attaches the metadata to the class, readable with getSkillMeta', () => {
    const m = getSkillMeta(ReadFixture);
    expect(m.name).toBe('monitoring-fixture-read');
    expect(m.input).toBe(ReadInput);
    expect(m.output).toBe(ReadOutput);
    expect(getSkillMeta(DropTableFixture)).toMatchObject({ risk: 'destructive', requiresConfirmation: true });
    expect(Object.isFrozen(m)).toBe(true);
    expect(Object.keys(ReadFixture)).toEqual([]); // not enumerable: no noise in the class
  });

  it('tells skill classes from everything else', () => {
    class Plain {
      static async run() {
        return { data: null };
      }
    }
    expect(isSkillClass(ReadFixture)).toBe(true);
    expect(isSkillClass(Plain)).toBe(false);
    expect(isSkillClass({ run() {} })).toBe(false);
    expect(isSkillClass(undefined)).toBe(false);
    expect(() => getSkillMeta(Plain)).toThrow(PgClusterError);
    expect(() => getSkillMeta(Plain)).toThrow('Plain is not a skill: it has no static run method decorated with @Skill');
  });

  it('keeps run in step with the schemas (checked by tsc on the spec project)', () => {
    const define = () => {
      class Mismatch {
        // @ts-expect-error input must be z.output<typeof meta.input>
        @Skill(meta())
        static async run(_c: SkillContext, input: { limit: string }) {
          return { data: { n: Number(input.limit) } };
        }
      }
      class WrongData {
        // @ts-expect-error data must be z.output<typeof meta.output>
        @Skill(meta())
        static async run(_c: SkillContext, _i: { limit: number }) {
          return { data: { n: 'x' } };
        }
      }
      return [Mismatch, WrongData];
    };
    expect(define().every(isSkillClass)).toBe(true);
  });

  it('refuses anything but a static method named run (or static actions)', () => {
    expect(() => {
      class NotStatic {
        // @ts-expect-error only static methods
        @Skill(meta())
        async run(_c: SkillContext, _i: { limit: number }) {
          return { data: { n: 1 } };
        }
      }
      return NotStatic;
    }).toThrow("@Skill('monitoring-probe') decorates a class's static run method (or its static actions), not run");
    expect(() => {
      class OtherName {
        // @ts-expect-error only `run`
        @Skill(meta())
        static async execute(_c: SkillContext, _i: { limit: number }) {
          return { data: { n: 1 } };
        }
      }
      return OtherName;
    }).toThrow('not execute');
  });

  it('checks the metadata when the class is defined', () => {
    expect(checkSkillMeta(meta())).toEqual([]);
    expect(checkSkillMeta(meta({ name: 'status' }))).toEqual(['name "status" must be "monitoring-<action>" in kebab-case']);
    expect(checkSkillMeta(meta({ category: 'operations', name: 'operations-status' }))).toEqual([
      'name "operations-status" must be "cluster-<action>" in kebab-case',
    ]);
    expect(checkSkillMeta(meta({ risk: 'destructive' }))).toEqual(['a destructive skill must set requiresConfirmation: true']);
    expect(checkSkillMeta(meta({ description: 'x'.repeat(1025) }))).toEqual(['description must have 1 to 1,024 characters']);
    expect(() => {
      class Destructive {
        @Skill(meta({ name: 'monitoring-drop', risk: 'destructive' }))
        static async run(_c: SkillContext, _i: { limit: number }) {
          return { data: { n: 1 } };
        }
      }
      return Destructive;
    }).toThrow("@Skill('monitoring-drop') is invalid: a destructive skill must set requiresConfirmation: true");
  });
});

describe('createSkillRegistry', () => {
  it('resolves skills by name and lists them sorted', () => {
    const registry = createSkillRegistry([ReadFixture, DropTableFixture]);
    expect(registry.resolve('monitoring-fixture-read')).toBe(ReadFixture);
    expect(registry.resolve('nope')).toBeUndefined();
    expect(registry.skills.map((s) => s.meta.name)).toEqual(['maintenance-fixture-drop-table', 'monitoring-fixture-read']);
    const { resolve } = registry; // usable detached, as ExecuteOptions.resolveSkill
    expect(resolve('maintenance-fixture-drop-table')).toBe(DropTableFixture);
  });

  it('rejects two classes with one name, and classes without @Skill', () => {
    class Twin {
      @Skill(meta({ name: 'monitoring-fixture-read' }))
      static async run(_c: SkillContext, _i: { limit: number }) {
        return { data: { n: 1 } };
      }
    }
    expect(() => createSkillRegistry([ReadFixture, Twin])).toThrow('two classes declare the skill "monitoring-fixture-read"');
    expect(() => createSkillRegistry([class Nope {} as never])).toThrow('Nope is not a skill');
  });
});
