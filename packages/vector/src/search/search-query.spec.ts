import { InputError } from '@pgcluster/core';
import type { CollectionInfo } from '../collection/collection-info';
import { searchStatements, vectorLiteral } from './search-query';

const info: CollectionInfo = {
  schema: 'public', name: 'docs', dimension: 3, type: 'vector', metric: 'cosine',
  defaultEfSearch: 120, tunedRecall: null, tunedK: null, tunedAt: null, createdAt: '',
};

describe('searchStatements', () => {
  it('binds every value and uses the metric operator', () => {
    const s = searchStatements(info, { vector: [1, 2, 3], k: 5 });
    expect(s.query.text).toBe('SELECT key, namespace, metadata, embedding <=> $1::vector AS distance FROM "public"."docs" ORDER BY embedding <=> $1::vector LIMIT $2');
    expect(s.query.values).toEqual(['[1,2,3]', 5]);
    expect(s.efSearch).toBe(120);
    expect(s.iterativeScan).toBe('off');
  });

  it('uses iterative scan and re-sorts for filtered queries', () => {
    const s = searchStatements(info, { vector: [1, 2, 3], filter: { lang: "en'; drop" }, namespace: 'n', minSimilarity: 0.5 });
    expect(s.iterativeScan).toBe('relaxed_order');
    expect(s.query.text).toContain('WITH r AS MATERIALIZED');
    expect(s.query.text).toContain('metadata @> $4::jsonb');
    expect(s.query.text).not.toContain('drop');
    expect(s.query.values).toEqual(['[1,2,3]', 10, 'n', JSON.stringify({ lang: "en'; drop" }), 0.5]);
    expect(s.settings.values).toEqual(['120', 'relaxed_order']);
  });

  it('refuses bad vectors and options naming the field', () => {
    expect(() => vectorLiteral([1, 2], 3)).toThrow(/vector: has 2 dimensions/);
    expect(() => vectorLiteral([1, Number.NaN, 2], 3)).toThrow(InputError);
    expect(() => searchStatements(info, { vector: [1, 2, 3], k: 0 })).toThrow(/^k: /);
    expect(() => searchStatements(info, { vector: [1, 2, 3], efSearch: 5000 })).toThrow(/^efSearch: /);
  });
});
