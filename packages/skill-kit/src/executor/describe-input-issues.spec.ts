import { z } from 'zod';
import { describeInputIssues } from './describe-input-issues';

const describe_ = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  if (r.success) throw new Error('expected a failure');
  return describeInputIssues(r.error);
};

describe('describeInputIssues', () => {
  it('names each field path and what is allowed', () => {
    const schema = z
      .object({
        limit: z.number().int().min(1),
        mode: z.enum(['fast', 'safe']),
        nodes: z.array(z.object({ name: z.string().regex(/^[a-z]+$/, 'must be lower-case letters') })),
        value: z.union([z.string(), z.number()]),
      })
      .strict();
    expect(describe_(schema, { limit: 0, mode: 'x', nodes: [{ name: 'A' }], value: true, extra: 1 })).toEqual([
      'input.limit: expected number to be >=1',
      'input.mode: expected one of "fast"|"safe"',
      'input.nodes[0].name: must be lower-case letters',
      'input.value: expected string or number',
      'input.extra: unknown field',
    ]);
  });

  it('names the root when the input is not an object, and redacts URLs in messages', () => {
    expect(describe_(z.object({}), 'x')).toEqual(['input: expected object, received string']);
    const url = z.string().refine(() => false, { message: 'postgresql://u:pw@h/d is not allowed' });
    expect(describe_(z.object({ url }), { url: 'x' })).toEqual(['input.url: postgresql://u:***@h/d is not allowed']);
  });
});
