import { encodeVector, fromHalfBits, toHalfBits } from './vector-binary';

describe('pgvector binary encoder', () => {
  it('encodes vector as int16 dim, int16 0, float4 big-endian', () => {
    // Same bytes as PostgreSQL's vector_send('[1,2]'::vector) (checked in test/binary-format.test.ts).
    expect(encodeVector('vector', [1, 2]).toString('hex')).toBe('000200003f80000040000000');
    expect(encodeVector('vector', [-0.5]).toString('hex')).toBe('00010000bf000000');
  });

  it('encodes halfvec as int16 dim, int16 0, float2 big-endian', () => {
    expect(encodeVector('halfvec', [1, 2, -0.5]).toString('hex')).toBe('000300003c004000b800');
  });

  it('rounds to half precision to nearest, ties to even', () => {
    expect(toHalfBits(0)).toBe(0);
    expect(toHalfBits(-0)).toBe(0x8000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // rounds up to infinity
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(toHalfBits(2 ** -24)).toBe(1); // smallest subnormal
    expect(toHalfBits(2 ** -26)).toBe(0);
    expect(toHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
    for (const v of [0.1, 0.333, -3.14159, 1e-5, 123.456, 6.1e-5]) {
      const back = fromHalfBits(toHalfBits(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    }
  });
});

describe('vector fast path', () => {
  it('gives the same bytes as the element-by-element path for arrays and Float32Arrays', () => {
    const values = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 10 ** ((i % 7) - 3));
    const slow = Buffer.alloc(4 + 40 * 4);
    slow.writeInt16BE(40, 0);
    values.forEach((v, i) => slow.writeFloatBE(v, 4 + i * 4));
    expect(encodeVector('vector', values).equals(slow)).toBe(true);
    expect(encodeVector('vector', Float32Array.from(values)).equals(slow)).toBe(true);
    const shared = new Float32Array(50);
    shared.set(values, 5);
    expect(encodeVector('vector', shared.subarray(5, 45)).equals(slow)).toBe(true);
  });
});
