import { InputError } from '@pgcluster/core';
import { validateRow, VectorRowError } from './validate-row';

describe('validateRow', () => {
  it('accepts a good row and defaults namespace and metadata', () => {
    expect(validateRow({ key: 5, embedding: [1, 2, 3] }, 1, 3, 'vector')).toEqual({
      key: '5',
      namespace: '',
      embedding: [1, 2, 3],
      metadataJson: '{}',
    });
  });

  it.each([
    [{ key: 'a', embedding: [1, 2] }, /rows\[41\]\.embedding: row 42: has 2 dimensions, the collection has 3/],
    [{ key: 'a', embedding: [1, Number.NaN, 3] }, /row 42: element 1 is NaN/],
    [{ key: 'a', embedding: [1, 2, Number.POSITIVE_INFINITY] }, /row 42: element 2 is Infinity/],
    [{ key: 'a', embedding: [1, 2, Number.NEGATIVE_INFINITY] }, /row 42: element 2 is -Infinity/],
    [{ key: '', embedding: [1, 2, 3] }, /rows\[41\]\.key: row 42/],
    [{ key: 'a\u0000b', embedding: [1, 2, 3] }, /NUL/],
    [{ key: 'a', embedding: [1, 2, 3], metadata: [1] as unknown as Record<string, unknown> }, /metadata.*JSON object/],
    [{ key: 'a', embedding: 'xyz' as unknown as number[] }, /has 3 dimensions|must be an array/],
  ])('refuses %p naming the row', (row, message) => {
    let caught: unknown;
    try {
      validateRow(row, 42, 3, 'vector');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(VectorRowError);
    expect(caught).toBeInstanceOf(InputError);
    expect((caught as VectorRowError).row).toBe(42);
    expect((caught as Error).message).toMatch(message);
  });

  it('enforces the halfvec range', () => {
    expect(() => validateRow({ key: 'a', embedding: [70000] }, 1, 1, 'halfvec')).toThrow(/±65504/);
    expect(validateRow({ key: 'a', embedding: [65504] }, 1, 1, 'halfvec').key).toBe('a');
  });

  it('names the first bad element of a typed array or a plain array', () => {
    const f = Float32Array.from([1, 2, 3]);
    f[1] = Number.NaN;
    expect(() => validateRow({ key: 'a', embedding: f }, 3, 3, 'vector')).toThrow(/row 3: element 1 is NaN/);
    expect(() => validateRow({ key: 'a', embedding: Float64Array.from([1, 2, -Infinity]) }, 3, 3, 'vector')).toThrow(/element 2 is -Infinity/);
    expect(() => validateRow({ key: 'a', embedding: [1, '2', 3] as unknown as number[] }, 3, 3, 'vector')).toThrow(/element 1 is not a number/);
    expect(() => validateRow({ key: 'a', embedding: [1, 2, 1e39] }, 3, 3, 'vector')).toThrow(/element 2 is outside the range of float4/);
  });

  it('finds a NaN or ±Infinity at every position of a Float32Array, the tail past a multiple of four included', () => {
    for (const dimension of [1, 3, 4, 7, 384]) {
      for (let at = 0; at < dimension; at++) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const f = Float32Array.from({ length: dimension }, (_, i) => (i % 2 ? -1 : 1) * 3.4e38);
          f[at] = bad;
          expect(() => validateRow({ key: 'a', embedding: f }, 9, dimension, 'vector')).toThrow(new RegExp(`row 9: element ${at} is `));
        }
      }
      const good = Float32Array.from({ length: dimension }, (_, i) => (i % 2 ? -0 : 3.4028234663852886e38));
      expect(validateRow({ key: 'a', embedding: good }, 1, dimension, 'vector').embedding).toBe(good);
    }
  });
});
