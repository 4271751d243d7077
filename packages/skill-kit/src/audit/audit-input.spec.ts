import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { summariseAuditInput } from './audit-input';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const Input = z
  .object({
    collection: z.string(),
    rows: z
      .array(z.object({ key: z.string(), embedding: z.array(z.number()) }))
      .optional()
      .meta({ audit: 'digest' })
      .describe('Inline rows.'),
    file: z.string().meta({ audit: 'file' }).optional().describe('A file.'),
    token: z.string().meta({ secret: true }).describe('A provider token.').optional(),
    filter: z.record(z.string(), z.unknown()).optional(),
    items: z.array(z.object({ key: z.string(), apiKey: z.string().meta({ secret: true }) })).default([]),
    dsn: z.string().optional(),
  })
  .refine(() => true);

describe('summariseAuditInput', () => {
  it('records marked arrays as a count and a sha256, marked secrets as ***, and legitimate `key` fields as given', async () => {
    const rows = [{ key: 'a', embedding: [1, 2] }, { key: 'b', embedding: [3, 4] }];
    const out = await summariseAuditInput(Input, {
      collection: 'docs',
      rows,
      token: 't0ken-secret',
      filter: { key: 'lang', password: 'is-data-here' },
      items: [{ key: 'k1', apiKey: 'ak-secret' }],
      dsn: 'postgresql://u:url-secret@h/d',
    });
    expect(out).toEqual({
      collection: 'docs',
      rows: { count: 2, sha256: sha256(JSON.stringify(rows)) },
      token: '***',
      filter: { key: 'lang', password: 'is-data-here' },
      items: [{ key: 'k1', apiKey: '***' }],
      dsn: 'postgresql://u:***@h/d',
    });
  });

  it('records a marked file as its absolute path, size and sha256, and says when it cannot be read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'audit-input-'));
    try {
      writeFileSync(join(dir, 'v.ndjson'), '{"key":"a"}\n');
      expect(await summariseAuditInput(Input, { collection: 'c', file: join(dir, 'v.ndjson') })).toEqual({
        collection: 'c',
        file: { path: join(dir, 'v.ndjson'), size: 12, sha256: sha256('{"key":"a"}\n') },
      });
      expect(await summariseAuditInput(Input, { collection: 'c', file: join(dir, 'gone') })).toEqual({
        collection: 'c',
        file: { path: join(dir, 'gone'), unreadable: 'ENOENT' },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('summarises invalid input by the same marks, and redacts only URL passwords without a schema', async () => {
    expect(await summariseAuditInput(Input, { rows: 'not-an-array', token: 42, extra: 'postgres://a:b@h/d' })).toEqual({
      rows: { sha256: sha256('"not-an-array"') },
      token: '***',
      extra: 'postgres://a:***@h/d',
    });
    expect(await summariseAuditInput(undefined, { key: 'k', nested: ['password=pw'] })).toEqual({ key: 'k', nested: ['password=***'] });
  });
});
