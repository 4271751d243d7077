import { InputError } from '@pgcluster/core';
import type { CollectionInfo } from '../collection/collection-info';
import { encodeVector } from '../copy/vector-binary';
import { searchStatements, vectorLiteral, vectorParameter } from './search-query';

const info: CollectionInfo = {
  schema: 'public', name: 'docs', dimension: 3, type: 'vector', metric: 'cosine',
  defaultEfSearch: 120, tunedRecall: null, tunedK: null, tunedAt: null, createdAt: '',
};

describe('searchStatements', () => {
  it('binds every value and uses the metric operator', () => {
    const s = searchStatements(info, { vector: [1, 2, 3], k: 5 });
    expect(s.query.text).toBe('SELECT key, namespace, metadata, embedding <=> $1::vector AS distance FROM "public"."docs" ORDER BY embedding <=> $1::vector LIMIT $2');
    expect(s.query.values).toEqual([encodeVector('vector', [1, 2, 3]), 5]);
    expect(s.query.name).toMatch(/^pgc_[0-9a-f]{24}$/);
    expect(s.settings.text).toContain("set_config('hnsw.ef_search', '120', true)");
    expect(s.settings.values).toBeUndefined();
    expect(s.efSearch).toBe(120);
    expect(s.iterativeScan).toBe('off');
  });

  it('uses iterative scan and re-sorts for filtered queries', () => {
    const s = searchStatements(info, { vector: [1, 2, 3], filter: { lang: "en'; drop" }, namespace: 'n', minSimilarity: 0.5 });
    expect(s.iterativeScan).toBe('relaxed_order');
    expect(s.query.text).toContain('WITH r AS MATERIALIZED');
    expect(s.query.text).toContain('metadata @> $4::jsonb');
    expect(s.query.text).not.toContain('drop');
    expect(s.query.values).toEqual([encodeVector('vector', [1, 2, 3]), 10, 'n', JSON.stringify({ lang: "en'; drop" }), 0.5]);
    expect(s.settings.text).toContain("set_config('hnsw.iterative_scan', 'relaxed_order', true)");
    expect(s.query.name).not.toBe(searchStatements(info, { vector: [1, 2, 3] }).query.name);
  });

  it('refuses bad vectors and options naming the field', () => {
    expect(() => vectorLiteral([1, 2], 3)).toThrow(/vector: has 2 dimensions/);
    expect(() => vectorLiteral([1, Number.NaN, 2], 3)).toThrow(InputError);
    expect(() => vectorParameter([1, Number.POSITIVE_INFINITY, 2], 3, 'vector')).toThrow(/vector: element 1 must be a finite number/);
    expect(() => searchStatements(info, { vector: [1, 2] })).toThrow(/vector: has 2 dimensions/);
    expect(() => searchStatements(info, { vector: [1, 2, 3], k: 0 })).toThrow(/^k: /);
    expect(() => searchStatements(info, { vector: [1, 2, 3], efSearch: 5000 })).toThrow(/^efSearch: /);
  });
});
