import type { VectorType } from '../collection/metric';

/** Whether this machine stores floats little-endian (a constant of the platform). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Converts a float to IEEE 754 half-precision bits (round to nearest, ties to even;
 * overflow becomes ±Infinity, tiny values become subnormals or ±0).
 *
 * @param scratch a 1-element Float32Array the caller owns (to avoid a per-value allocation).
 * @example
 * ```ts
 * const scratch = new Float32Array(1)
 * toHalfBits(1, scratch) // 0x3c00
 * ```
 */
export function toHalfBits(value: number, scratch: Float32Array = new Float32Array(1)): number {
  scratch[0] = value;
  const x = new Uint32Array(scratch.buffer, scratch.byteOffset, 1)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * Converts half-precision bits back to a number (for tests and diagnostics).
 * @example fromHalfBits(0x3c00) // 1
 */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The size in bytes of one encoded value (header included). */
export function encodedVectorSize(type: VectorType, dimension: number): number {
  return 4 + dimension * (type === 'vector' ? 4 : 2);
}

/**
 * Writes pgvector's binary representation of one value into `target` at `offset`: int16
 * dimension, int16 unused (0), then `dimension` float4 (`vector`) or IEEE half float2
 * (`halfvec`), all big-endian — exactly what `vector_send` / `halfvec_send` produce.
 * The caller validates values first (see `validateEmbedding`).
 *
 * @returns the offset after the written bytes.
 * @example
 * ```ts
 * const buf = Buffer.alloc(encodedVectorSize('vector', 3))
 * writeVectorBinary(buf, 0, 'vector', [1, 2, 3])
 * ```
 */
export function writeVectorBinary(
  target: Buffer,
  offset: number,
  type: VectorType,
  values: ArrayLike<number>,
  scratch: Float32Array = new Float32Array(1),
): number {
  const dim = values.length;
  let o = target.writeInt16BE(dim, offset);
  o = target.writeInt16BE(0, o);
  if (type === 'vector') {
    if (dim >= 16) {
      // Fast path: lay the floats down in native (little-endian) order, then byte-swap the
      // region in place with Buffer#swap32 — far cheaper than one writeFloatBE per element.
      const f = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
      const bytes = Buffer.from(f.buffer, f.byteOffset, dim * 4);
      bytes.copy(target, o);
      if (LITTLE_ENDIAN) target.subarray(o, o + dim * 4).swap32();
      return o + dim * 4;
    }
    for (let i = 0; i < dim; i++) o = target.writeFloatBE(values[i]!, o);
  } else {
    for (let i = 0; i < dim; i++) o = target.writeUInt16BE(toHalfBits(values[i]!, scratch), o);
  }
  return o;
}

/**
 * Encodes one value into a new Buffer in pgvector's binary format.
 *
 * @example
 * ```ts
 * encodeVector('vector', [1, 2]).toString('hex') // '000200003f80000040000000'
 * ```
 */
export function encodeVector(type: VectorType, values: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(encodedVectorSize(type, values.length));
  writeVectorBinary(buf, 0, type, values);
  return buf;
}
