import { floatsFromBytes } from './float-bytes';

/** Values spanning signs, magnitudes, ±0, subnormals and the float4 extremes. */
const VALUES = [0, -0, 1, -1.5, Math.PI, 1e-40, -3.4028234663852886e38, 3.4e38, 2 ** -149, 0.1, 123456.789, -7e-12];

describe('floatsFromBytes', () => {
  it.each([
    ['float32 little-endian', 4, true],
    ['float32 big-endian', 4, false],
    ['float64 little-endian', 8, true],
    ['float64 big-endian', 8, false],
  ] as const)('reads %s exactly as the per-value Buffer reads do', (_name, width, little) => {
    const bytes = Buffer.alloc(1 + VALUES.length * width);
    VALUES.forEach((v, i) => {
      const o = 1 + i * width;
      if (width === 4 && little) bytes.writeFloatLE(v, o);
      else if (width === 4) bytes.writeFloatBE(v, o);
      else if (little) bytes.writeDoubleLE(v, o);
      else bytes.writeDoubleBE(v, o);
    });
    // An odd offset, as a record inside a read chunk can be.
    const rec = bytes.subarray(1);
    const expected = Float32Array.from(VALUES, (_, i) => {
      const o = i * width;
      return width === 4 ? (little ? rec.readFloatLE(o) : rec.readFloatBE(o)) : little ? rec.readDoubleLE(o) : rec.readDoubleBE(o);
    });
    const before = Buffer.from(rec);
    const got = floatsFromBytes(rec, width, little);
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    // The chunk it came from is neither kept nor changed (its next bytes are the next record).
    expect(rec.equals(before)).toBe(true);
    expect(got.buffer).not.toBe(rec.buffer);
  });
});
