/**
 * True when `der` is exactly one DER SEQUENCE with nothing after it. OpenSSL ignores trailing bytes when it
 * parses a key, so without this check "key || garbage" would be accepted as key material.
 */
export function isSingleDerSequence(der: Buffer): boolean {
  const SEQUENCE_TAG = 0x30;
  if (der.length < 2 || der[0] !== SEQUENCE_TAG) return false;
  const firstLengthByte = der[1];
  let contentLength: number;
  let headerBytes: number;
  if (firstLengthByte < 0x80) {
    contentLength = firstLengthByte;
    headerBytes = 2;
  } else {
    // Long form: the low bits count the length bytes that follow. Four bytes is far beyond any key.
    const lengthBytes = firstLengthByte & 0x7f;
    if (lengthBytes === 0 || lengthBytes > 4 || der.length < 2 + lengthBytes) return false;
    contentLength = 0;
    for (let i = 0; i < lengthBytes; i++) contentLength = contentLength * 256 + der[2 + i];
    headerBytes = 2 + lengthBytes;
  }
  return headerBytes + contentLength === der.length;
}
