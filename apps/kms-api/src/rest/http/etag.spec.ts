import { parseIfMatch, toETag } from './etag';

describe('ETag and If-Match', () => {
  it('a revision round-trips through ETag and If-Match', () => {
    for (const revision of [0, 1, 42, 123456789]) expect(parseIfMatch(toETag(revision))).toBe(revision);
  });

  it('no header and * mean "no check"', () => {
    expect(parseIfMatch(undefined)).toBeUndefined();
    expect(parseIfMatch('*')).toBeUndefined();
    expect(parseIfMatch(' * ')).toBeUndefined();
  });

  it('anything but one strong tag of a revision is refused as a ValidationException', () => {
    for (const header of ['', '3', '"3', 'W/"3"', '"3", "4"', '"03"', '"-1"', '"1.5"', '"9999999999999999"', ['"1"', '"2"']]) {
      expect(() => parseIfMatch(header)).toThrow(expect.objectContaining({ type: 'ValidationException' }));
    }
  });
});
