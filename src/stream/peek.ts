/** Reads a ContentInfo's content type (RFC 5652 §3) from the first bytes of a stream, giving the bytes back. */
import { MalformedInputError } from '../errors.js';
import { parseBer } from '../format/asn1.js';

export async function peekContentType(der: AsyncIterable<Uint8Array>): Promise<{ contentType: string | null; stream: AsyncIterable<Uint8Array> }> {
  const it = der[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  // SEQUENCE header (≤ 10 bytes) + OID header (2) + OID (≤ 64): 80 bytes are always enough.
  while (buf.length < 80 && !ended) {
    const r = await it.next();
    if (r.done) ended = true;
    else { head.push(r.value); buf = Buffer.concat([buf, r.value]); }
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (ended) return;
    for (;;) { const r = await it.next(); if (r.done) return; yield r.value; }
  }
  let contentType: string | null = null;
  if (buf.length >= 2 && buf[0] === 0x30) {
    const l = buf[1]!;
    const at = l <= 0x80 ? 2 : 2 + (l & 0x7f);
    if (buf[at] === 0x06 && buf[at + 1]! < 0x80 && at + 2 + buf[at + 1]! <= buf.length) {
      try {
        const node = parseBer(buf.subarray(at, at + 2 + buf[at + 1]!), 'content type');
        contentType = (node as unknown as { getValue(): string }).getValue();
      } catch (e) {
        if (!(e instanceof MalformedInputError)) throw e;
      }
    }
  }
  return { contentType, stream: rest() };
}
