/**
 * A pull-based BER reader over an async byte source, for the outer layers of a CMS message only
 * (ContentInfo → EnvelopedData/SignedData → the content OCTET STRING). Small elements (algorithm
 * identifiers, RecipientInfos) are captured whole, bounded by a byte limit, and handed to asn1js;
 * the content is never buffered whole: it is yielded segment by segment as it arrives.
 *
 * BER (X.690 §8.1) rather than DER, because gpgsm, NSS and `openssl cms -stream` write indefinite
 * lengths and constructed OCTET STRINGs.
 */
import { LimitExceededError, MalformedInputError } from '../errors.js';

export interface BerHeader {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  readonly tag: number;
  readonly constructed: boolean;
  /** null: indefinite length (X.690 §8.1.3.6), closed by an end-of-contents element. */
  readonly length: number | null;
  /** The identifier and length octets as read. */
  readonly raw: Uint8Array;
}

/** Largest definite length p7m accepts: lengths beyond 2^53 cannot be counted exactly in a JS number. */
const MAX_SAFE_LENGTH = Number.MAX_SAFE_INTEGER;

export class BerReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;
  private done = false;
  /** Bytes consumed so far: used for error messages (offsets) and definite-length bookkeeping. */
  offset = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private get available(): number { return this.buf.length - this.pos; }

  /** Pull one more chunk from the source; false at its end. */
  private async fill(): Promise<boolean> {
    if (this.done) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) { this.done = true; return false; }
      const chunk = r.value;
      if (chunk.length === 0) continue;
      if (this.available === 0) {
        this.buf = chunk; this.pos = 0;
      } else {
        const merged = new Uint8Array(this.available + chunk.length);
        merged.set(this.buf.subarray(this.pos), 0);
        merged.set(chunk, this.available);
        this.buf = merged; this.pos = 0;
      }
      return true;
    }
  }

  private truncated(): never {
    throw new MalformedInputError(`truncated input at byte ${this.offset}`);
  }

  /** Exactly n bytes (n small, or bounded by the caller). */
  async readExact(n: number): Promise<Uint8Array> {
    while (this.available < n) if (!(await this.fill())) this.truncated();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n; this.offset += n;
    return out;
  }

  /** Between 1 and n bytes, without copying: whatever is buffered (the content path). */
  async readUpTo(n: number): Promise<Uint8Array> {
    if (this.available === 0 && !(await this.fill())) this.truncated();
    const take = Math.min(n, this.available);
    const out = this.buf.subarray(this.pos, this.pos + take);
    this.pos += take; this.offset += take;
    return out;
  }

  async peekByte(): Promise<number | null> {
    if (this.available === 0 && !(await this.fill())) return null;
    return this.buf[this.pos]!;
  }

  /** True when the source is exhausted. */
  async atEnd(): Promise<boolean> { return (await this.peekByte()) === null; }

  /** Identifier and length octets (X.690 §8.1.2–8.1.3). */
  async readHeader(): Promise<BerHeader> {
    const start = this.offset;
    const id = (await this.readExact(1))[0]!;
    if ((id & 0x1f) === 0x1f) {
      // High tag numbers never occur in the CMS outer layers p7m streams.
      throw new MalformedInputError(`unexpected high-tag-number form at byte ${start}`);
    }
    const constructed = (id & 0x20) !== 0;
    const first = (await this.readExact(1))[0]!;
    let length: number | null;
    const rawParts: number[] = [id, first];
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      // §8.1.3.6.1: indefinite form only for constructed encodings.
      if (!constructed) throw new MalformedInputError(`indefinite length on a primitive element at byte ${start}`);
      length = null;
    } else {
      const n = first & 0x7f;
      if (n === 0x7f) throw new MalformedInputError(`reserved length-of-length 127 at byte ${start}`);
      if (n > 8) throw new MalformedInputError(`length field of ${n} octets at byte ${start} is too large`);
      const bytes = await this.readExact(n);
      let v = 0;
      for (const b of bytes) {
        v = v * 256 + b;
        rawParts.push(b);
      }
      if (v > MAX_SAFE_LENGTH) throw new MalformedInputError(`length ${v} at byte ${start} is too large`);
      length = v;
    }
    return { tag: id, constructed, length, raw: Uint8Array.from(rawParts) };
  }

  /** Read an end-of-contents element (00 00). */
  async readEoc(): Promise<void> {
    const b = await this.readExact(2);
    if (b[0] !== 0 || b[1] !== 0) throw new MalformedInputError(`expected end-of-contents at byte ${this.offset - 2}`);
  }

  /** Whether the next element is an end-of-contents marker. */
  async nextIsEoc(): Promise<boolean> {
    while (this.available < 2) if (!(await this.fill())) this.truncated();
    return this.buf[this.pos] === 0 && this.buf[this.pos + 1] === 0;
  }

  /**
   * The whole element whose header was just read, as bytes (header included), for a tree parser.
   * Indefinite lengths are followed through nested elements; `limit` bounds the total size and
   * `maxDepth` the nesting, so a hostile header cannot exhaust memory or the stack.
   */
  async readElementBody(h: BerHeader, limit: number, maxDepth: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [h.raw];
    let total = h.raw.length;
    const take = async (n: number): Promise<void> => {
      total += n;
      if (total > limit) throw new LimitExceededError(`element larger than the header limit of ${limit} bytes`);
      // copy: the underlying buffer is reused by later reads
      parts.push((await this.readExact(n)).slice());
    };
    const walk = async (hh: BerHeader, depth: number): Promise<void> => {
      if (depth > maxDepth) throw new LimitExceededError(`nesting deeper than ${maxDepth}`);
      if (hh.length !== null) {
        let left = hh.length;
        while (left > 0) {
          const n = Math.min(left, 1 << 16);
          await take(n);
          left -= n;
        }
        return;
      }
      for (;;) {
        const child = await this.readHeader();
        total += child.raw.length;
        if (total > limit) throw new LimitExceededError(`element larger than the header limit of ${limit} bytes`);
        parts.push(child.raw);
        if (child.tag === 0 && child.length === 0) return; // end-of-contents
        if (child.tag === 0) throw new MalformedInputError(`malformed end-of-contents at byte ${this.offset}`);
        await walk(child, depth + 1);
      }
    };
    await walk(h, 0);
    return concatBytes(parts, total);
  }
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const n = total ?? parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
