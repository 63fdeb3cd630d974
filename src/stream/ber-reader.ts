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

  /**
   * Pull one more chunk from the source; false at its end. The bytes not yet consumed are copied
   * first (a few header octets: this runs only when they are too few), so that a source may reuse
   * the buffer of a chunk once the next one is asked for (the CLI's file reader does).
   */
  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const rest = this.available > 0 ? Uint8Array.prototype.slice.call(this.buf, this.pos) : null;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        if (rest) { this.buf = rest; this.pos = 0; }
        return false;
      }
      const chunk = r.value;
      if (chunk.length === 0) continue;
      if (rest === null) {
        this.buf = chunk; this.pos = 0;
      } else {
        const merged = new Uint8Array(rest.length + chunk.length);
        merged.set(rest, 0);
        merged.set(chunk, rest.length);
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
    // One header per segment of a constructed content: read it at once when it is all buffered.
    const buffered = this.bufferedHeader();
    if (buffered) return buffered;
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

  /**
   * The header when all its octets are buffered and it is well-formed, else null: the caller then
   * takes the general path, which reads more input and reports errors with their offsets.
   */
  private bufferedHeader(): BerHeader | null {
    const b = this.buf;
    const p = this.pos;
    const avail = b.length - p;
    if (avail < 2) return null;
    const id = b[p]!;
    const first = b[p + 1]!;
    if ((id & 0x1f) === 0x1f) return null;
    const constructed = (id & 0x20) !== 0;
    let length: number | null;
    let n = 0;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      if (!constructed) return null;
      length = null;
    } else {
      n = first & 0x7f;
      if (n > 8 || avail < 2 + n) return null;
      let v = 0;
      for (let i = 0; i < n; i++) v = v * 256 + b[p + 2 + i]!;
      if (v > MAX_SAFE_LENGTH) return null;
      length = v;
    }
    // copy: `raw` outlives the buffer it was read from
    const raw = Uint8Array.prototype.slice.call(b, p, p + 2 + n);
    this.pos += 2 + n; this.offset += 2 + n;
    return { tag: id, constructed, length, raw };
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
   * The header at the read position when all its octets are buffered (not consumed), null when more
   * input is needed; a malformed header throws, as readHeader does.
   */
  private peekHeaderSync(): { tag: number; constructed: boolean; length: number | null; size: number } | null {
    const b = this.buf;
    const p = this.pos;
    const avail = b.length - p;
    if (avail < 2) return null;
    const id = b[p]!;
    const at = this.offset;
    if ((id & 0x1f) === 0x1f) throw new MalformedInputError(`unexpected high-tag-number form at byte ${at}`);
    const constructed = (id & 0x20) !== 0;
    const first = b[p + 1]!;
    if (first < 0x80) return { tag: id, constructed, length: first, size: 2 };
    if (first === 0x80) {
      if (!constructed) throw new MalformedInputError(`indefinite length on a primitive element at byte ${at}`);
      return { tag: id, constructed, length: null, size: 2 };
    }
    const n = first & 0x7f;
    if (n === 0x7f) throw new MalformedInputError(`reserved length-of-length 127 at byte ${at}`);
    if (n > 8) throw new MalformedInputError(`length field of ${n} octets at byte ${at} is too large`);
    if (avail < 2 + n) return null;
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + b[p + 2 + i]!;
    if (v > MAX_SAFE_LENGTH) throw new MalformedInputError(`length ${v} at byte ${at} is too large`);
    return { tag: id, constructed, length: v, size: 2 + n };
  }

  /**
   * The whole element whose header was just read, as bytes (header included), for a tree parser.
   * Indefinite lengths are followed through nested elements; `limit` bounds the total size and
   * `maxDepth` the nesting, so a hostile header cannot exhaust memory or the stack.
   *
   * One synchronous pass over what is buffered, awaiting only for more input: a header of a million
   * tiny indefinite elements costs a million loop turns, not a million promises (which was ~10 µs each).
   * Definite-length children are copied without being looked into: the tree parser checks them.
   */
  async readElementBody(h: BerHeader, limit: number, maxDepth: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [h.raw];
    let total = h.raw.length;
    const tooLarge = (): never => { throw new LimitExceededError(`element larger than the header limit of ${limit} bytes`); };
    // copy: the underlying buffer is reused by later reads (Uint8Array's slice copies; a Buffer's would not)
    let mark = this.pos;
    const keep = (): void => { if (this.pos > mark) parts.push(Uint8Array.prototype.slice.call(this.buf, mark, this.pos)); };
    const more = async (): Promise<void> => {
      keep();
      if (!(await this.fill())) this.truncated();
      mark = this.pos;
    };
    let depth = h.length === null ? 1 : 0; // open indefinite-length elements, h included
    let skip = h.length ?? 0; // octets of a definite-length element still to copy
    if (total + skip > limit) tooLarge();
    total += skip;
    while (depth > 0 || skip > 0) {
      if (skip > 0) {
        if (this.available === 0) await more();
        const n = Math.min(skip, this.available);
        this.pos += n; this.offset += n; skip -= n;
        continue;
      }
      const child = this.peekHeaderSync();
      if (child === null) { await more(); continue; }
      total += child.size;
      if (total > limit) tooLarge();
      this.pos += child.size; this.offset += child.size;
      if (child.tag === 0 && child.length === 0) { depth--; continue; } // end-of-contents
      if (child.tag === 0) throw new MalformedInputError(`malformed end-of-contents at byte ${this.offset - child.size}`);
      if (depth > maxDepth) throw new LimitExceededError(`nesting deeper than ${maxDepth}`);
      if (child.length === null) { depth++; continue; }
      if (total + child.length > limit) tooLarge();
      total += child.length;
      skip = child.length;
    }
    keep();
    return concatBytes(parts, total);
  }

  /**
   * The contents of the primitive OCTET STRING segments (tag 04) that follow, as long as each is wholly
   * buffered and ends by `end` (an absolute offset; null: no bound), up to about `max` octets; null when
   * the next element is not such a segment. For constructed contents of many small segments (BER allows
   * one-octet segments): one pass without awaiting instead of a promise and a yield per segment.
   * Anything else (an end-of-contents, a constructed segment, another tag, a segment not all read yet,
   * one that overruns `end`) is left for the general path, which reads it or reports it.
   * The result is a view of the read buffer when it is one segment: consume it before the next read.
   */
  takeBufferedSegments(end: number | null, max: number): Uint8Array | null {
    const b = this.buf;
    let first: Uint8Array | null = null;
    let out: Uint8Array | null = null; // allocated at the second segment; one-octet segments are copied without a view each
    let total = 0;
    while (total < max) {
      const p = this.pos;
      const avail = b.length - p;
      if (avail < 2 || b[p] !== 0x04) break;
      const l0 = b[p + 1]!;
      let len: number;
      let hdr: number;
      if (l0 < 0x80) { len = l0; hdr = 2; }
      else if (l0 === 0x81 && avail >= 3) { len = b[p + 2]!; hdr = 3; }
      else if (l0 === 0x82 && avail >= 4) { len = (b[p + 2]! << 8) | b[p + 3]!; hdr = 4; }
      else if (l0 === 0x83 && avail >= 5) { len = (b[p + 2]! << 16) | (b[p + 3]! << 8) | b[p + 4]!; hdr = 5; }
      else break;
      if (avail < hdr + len || (end !== null && this.offset + hdr + len > end)) break;
      const from = p + hdr;
      if (first === null) {
        first = b.subarray(from, from + len);
      } else {
        if (out === null) {
          out = new Uint8Array(Math.min(max, avail) + first.length);
          out.set(first, 0);
        }
        if (total + len > out.length) break; // a big segment after small ones: it starts the next batch
        if (len < 32) for (let i = 0; i < len; i++) out[total + i] = b[from + i]!;
        else out.set(b.subarray(from, from + len), total);
      }
      total += len;
      this.pos += hdr + len; this.offset += hdr + len;
    }
    if (first === null) return null;
    return out === null ? first : out.subarray(0, total);
  }
}

export function concatBytes(parts: readonly Uint8Array[], total?: number): Uint8Array {
  const n = total ?? parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
