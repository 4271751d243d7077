import { embeddingSpace } from './embedding-space';
import { seededRandom } from './seeded-random';

describe('embeddingSpace', () => {
  it('is deterministic for a seed', () => {
    const a = [...embeddingSpace({ dimension: 16, clusters: 5, seed: 9 }).rows(20, { seed: 4 })];
    const b = [...embeddingSpace({ dimension: 16, clusters: 5, seed: 9 }).rows(20, { seed: 4 })];
    expect(a.map((r) => Array.from(r.embedding))).toEqual(b.map((r) => Array.from(r.embedding)));
    const c = [...embeddingSpace({ dimension: 16, clusters: 5, seed: 10 }).rows(20, { seed: 4 })];
    expect(c[0]!.embedding).not.toEqual(a[0]!.embedding);
    expect(seededRandom(1).next()).toBe(seededRandom(1).next());
  });

  it('yields normalised vectors, keys, and 1% buckets', () => {
    const rows = [...embeddingSpace({ dimension: 32 }).rows(200, { keyPrefix: 'd' })];
    for (const r of rows) {
      const norm = Math.sqrt(r.embedding.reduce((s, x) => s + x * x, 0));
      expect(norm).toBeCloseTo(1, 5);
    }
    expect(rows[3]!.key).toBe('d3');
    expect(rows.filter((r) => r.metadata.bucket === 7)).toHaveLength(2);
  });

  it('is clustered: points are closer to their own cluster than to others', () => {
    const space = embeddingSpace({ dimension: 64, clusters: 4, seed: 3 });
    const rows = [...space.rows(200)];
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
    let same = 0;
    let other = 0;
    let ns = 0;
    let no = 0;
    for (let i = 0; i < 50; i++) {
      for (let j = i + 1; j < 50; j++) {
        const d = dot(rows[i]!.embedding, rows[j]!.embedding);
        if (rows[i]!.metadata.cluster === rows[j]!.metadata.cluster) {
          same += d;
          ns++;
        } else {
          other += d;
          no++;
        }
      }
    }
    expect(same / ns).toBeGreaterThan(0.5);
    expect(Math.abs(other / no)).toBeLessThan(0.2);
  });
});
