import { isSingleDerSequence } from './der';

describe('isSingleDerSequence', () => {
  it('accepts short- and long-form lengths that cover the buffer exactly', () => {
    expect(isSingleDerSequence(Buffer.from([0x30, 0x00]))).toBe(true);
    expect(isSingleDerSequence(Buffer.concat([Buffer.from([0x30, 0x03]), Buffer.alloc(3)]))).toBe(true);
    expect(isSingleDerSequence(Buffer.concat([Buffer.from([0x30, 0x81, 0x80]), Buffer.alloc(0x80)]))).toBe(true);
    expect(isSingleDerSequence(Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), Buffer.alloc(0x100)]))).toBe(true);
  });

  it('rejects other tags, trailing or missing bytes, and malformed lengths', () => {
    expect(isSingleDerSequence(Buffer.alloc(0))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x31, 0x00]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30, 0x00, 0x00]))).toBe(false);
    expect(isSingleDerSequence(Buffer.concat([Buffer.from([0x30, 0x03]), Buffer.alloc(2)]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30, 0x80, 0x00, 0x00]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30, 0x85, 0, 0, 0, 0, 0]))).toBe(false);
    expect(isSingleDerSequence(Buffer.from([0x30, 0x82, 0x01]))).toBe(false);
  });
});
