import { CopyRowEncoder } from './copy-binary-writer';

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
});
