import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { AnalyzeInput } from './analyze/analyze-schema';
import { ReindexInput } from './reindex/reindex-schema';
import { SessionsInput } from './sessions/sessions-schema';
import { VacuumInput } from './vacuum/vacuum-schema';

// The contract with monitoring-health: every reference its checks emit to a skill of this package
// must parse against that skill's input schema. The call sites are read from monitoring's source, so
// a new or changed reference there fails here. Values computed at run time get a sample of their type.
const SCHEMAS: Record<string, z.ZodType> = {
  'maintenance-sessions': SessionsInput,
  'maintenance-vacuum': VacuumInput,
  'maintenance-analyze': AnalyzeInput,
  'maintenance-reindex': ReindexInput,
};
const SAMPLES: Record<string, unknown> = { pid: 4242, index: 'public.items_sku_key', table: 'public.items', database: 'app', preparedTransaction: 'tx-1', sequence: 'public.items_id_seq' };
const CHECKS_DIR = join(__dirname, '../../monitoring/src/health/checks');

function emittedReferences(): { skill: string; input: Record<string, unknown>; at: string }[] {
  const out: { skill: string; input: Record<string, unknown>; at: string }[] = [];
  for (const file of readdirSync(CHECKS_DIR).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(CHECKS_DIR, file), 'utf8');
    for (const m of source.matchAll(/ref\('(maintenance-[a-z-]+)', \{([^}]*)\}/g)) {
      const input: Record<string, unknown> = {};
      for (const part of m[2]!.split(',').map((p) => p.trim()).filter(Boolean)) {
        const [key, expr = key] = part.split(':').map((s) => s.trim()) as [string, string?];
        const literal = /^'([^']*)'$/.exec(expr);
        input[key] = key === 'node' ? 'node2' : literal ? literal[1] : expr === 'true' || expr === 'false' ? expr === 'true' : SAMPLES[key];
      }
      out.push({ skill: m[1]!, input, at: file });
    }
  }
  return out;
}

describe("monitoring-health's references to maintenance skills", () => {
  const refs = emittedReferences();

  test('are found in its checks (the reader still matches their form)', () => {
    expect(refs.map((r) => r.skill)).toEqual(expect.arrayContaining(Object.keys(SCHEMAS)));
  });

  test.each(refs.filter((r) => r.skill in SCHEMAS).map((r) => [r.skill, JSON.stringify(r.input), r] as const))('%s %s parses', (_skill, _input, r) => {
    expect(SCHEMAS[r.skill]!.safeParse(r.input).error).toBeUndefined();
  });
});
