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
});
