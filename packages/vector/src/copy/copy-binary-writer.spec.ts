import type { VectorType } from '../collection/metric';
import type { CheckedRow } from '../insert/validate-row';
import { validateRow } from '../insert/validate-row';
import { CopyRowEncoder } from './copy-binary-writer';
import { encodedVectorSize, writeVectorView } from './vector-binary';

/** The element-by-element reference: each row's tuple written field by field with DataView calls. */
function referenceEncode(type: VectorType, dimension: number, withOrd: boolean, rows: CheckedRow[], firstOrd: number): Buffer {
  const parts: Buffer[] = [];
  rows.forEach((r, i) => {
    const head = Buffer.alloc(2 + (withOrd ? 12 : 0));
    head.writeInt16BE(withOrd ? 5 : 4, 0);
    if (withOrd) {
      head.writeInt32BE(8, 2);
      head.writeBigInt64BE(BigInt(firstOrd + i), 6);
    }
    const text = (s: string, prefix: Buffer = Buffer.alloc(0)) => {
      const bytes = Buffer.concat([prefix, Buffer.from(s, 'utf8')]);
      const len = Buffer.alloc(4);
      len.writeInt32BE(bytes.length, 0);
      return Buffer.concat([len, bytes]);
    };
    const size = encodedVectorSize(type, dimension);
    const vec = Buffer.alloc(4 + size);
    vec.writeInt32BE(size, 0);
    writeVectorView(new DataView(vec.buffer, vec.byteOffset, vec.length), 4, type, r.embedding, new Float32Array(1));
    parts.push(head, text(r.key), text(r.namespace), vec, text(r.metadataJson, Buffer.from([1])));
  });
  return Buffer.concat(parts);
}

describe('CopyRowEncoder', () => {
  it('writes field count, lengths and values in the binary COPY layout', () => {
    const buf = new CopyRowEncoder('vector', 2, true).encode([{ key: 'k', namespace: '', embedding: [1, 2], metadataJson: '{}' }], 7);
    let o = 0;
    expect(buf.readInt16BE(o)).toBe(5);
    o += 2;
    expect(buf.readInt32BE(o)).toBe(8);
    expect(buf.readBigInt64BE(o + 4)).toBe(7n);
    o += 12;
    expect(buf.readInt32BE(o)).toBe(1);
    expect(buf.toString('utf8', o + 4, o + 5)).toBe('k');
    o += 5;
    expect(buf.readInt32BE(o)).toBe(0);
    o += 4;
    expect(buf.readInt32BE(o)).toBe(12);
    expect(buf.subarray(o + 4, o + 16).toString('hex')).toBe('000200003f80000040000000');
    o += 16;
    expect(buf.readInt32BE(o)).toBe(3);
    expect(buf.readUInt8(o + 4)).toBe(1);
    expect(buf.toString('utf8', o + 5, o + 7)).toBe('{}');
    expect(o + 7).toBe(buf.length);
  });

  it('writes non-ASCII and long text with its UTF-8 byte length, and halfvec values', () => {
    const metadataJson = JSON.stringify({ note: 'x'.repeat(100), city: 'Zürich' });
    const buf = new CopyRowEncoder('halfvec', 2, false).encode(
      [
        { key: 'ключ', namespace: 'é', embedding: Float32Array.from([1, -0.5]), metadataJson },
        { key: 'b', namespace: '', embedding: [2, 0], metadataJson: '{}' },
      ],
      0,
    );
    let o = 2;
    const text = (prefix: number) => {
      const len = buf.readInt32BE(o);
      const s = buf.toString('utf8', o + 4 + prefix, o + 4 + len);
      o += 4 + len;
      return s;
    };
    expect(buf.readInt16BE(0)).toBe(4);
    expect(text(0)).toBe('ключ');
    expect(text(0)).toBe('é');
    expect(buf.readInt32BE(o)).toBe(8);
    expect(buf.subarray(o + 4, o + 12).toString('hex')).toBe('000200003c00b800');
    o += 12;
    expect(text(1)).toBe(metadataJson);
    expect(buf.readInt16BE(o)).toBe(4);
    o += 2;
    expect(text(0)).toBe('b');
    expect(text(0)).toBe('');
    o += 12;
    expect(text(1)).toBe('{}');
    expect(o).toBe(buf.length);
  });

  describe('matches the element-by-element encoder byte for byte', () => {
    const dimension = 37;
    const values = Array.from({ length: dimension }, (_, i) => (i === 3 ? -0 : Math.sin(i + 1) * 10 ** ((i % 9) - 4)));
    const inputs: [string, () => ArrayLike<number>][] = [
      ['number[]', () => [...values]],
      ['Float32Array', () => Float32Array.from(values)],
      ['Float32Array at an odd offset of a shared buffer', () => new Float32Array(Float32Array.from([9, ...values, 9]).buffer, 4, dimension)],
      ['Float64Array', () => Float64Array.from(values)],
    ];
    for (const type of ['vector', 'halfvec'] as const) {
      for (const withOrd of [false, true]) {
        it.each(inputs)(`${type}${withOrd ? ' with ord' : ''} from a %s`, (_name, make) => {
          const rows = [0, 1, 2].map((n) =>
            validateRow({ key: `k${n}é`, namespace: n ? 'ns' : '', embedding: make(), metadata: { n, s: 'ü'.repeat(n * 40) } }, n + 1, dimension, type),
          );
          const enc = new CopyRowEncoder(type, dimension, withOrd);
          expect(enc.encode(rows, 5).equals(referenceEncode(type, dimension, withOrd, rows, 5))).toBe(true);
          // A second chunk from the same encoder (its scratch reused) is still exact.
          expect(enc.encode(rows.slice(1), 8).equals(referenceEncode(type, dimension, withOrd, rows.slice(1), 8))).toBe(true);
        });
      }
    }

    it('leaves the caller’s Float32Array untouched (the byte swap happens in the encoder’s own scratch)', () => {
      const f = Float32Array.from(values);
      const before = Buffer.from(f.buffer).toString('hex');
      new CopyRowEncoder('vector', dimension, false).encode([validateRow({ key: 'a', embedding: f }, 1, dimension, 'vector')], 0);
      expect(Buffer.from(f.buffer).toString('hex')).toBe(before);
    });

    it('never reaches the encoder with a NaN: validation refuses it first, for a Float32Array and a number[]', () => {
      const f = Float32Array.from(values);
      f[dimension - 1] = Number.NaN;
      expect(() => validateRow({ key: 'a', embedding: f }, 4, dimension, 'vector')).toThrow(new RegExp(`row 4: element ${dimension - 1} is NaN`));
      expect(() => validateRow({ key: 'a', embedding: Array.from(f) }, 4, dimension, 'vector')).toThrow(/row 4: element 36 is NaN/);
    });
  });
});
