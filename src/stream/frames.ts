/**
 * Nesting bookkeeping for the streaming readers (envelope-reader.ts, signed/reader.ts): definite
 * lengths must add up (X.690 §8.1.3.5) and indefinite ones must be closed by end-of-contents (§8.1.5).
 */
import { LimitExceededError, MalformedInputError } from '../errors.js';
import type { BerHeader, BerReader } from './ber-reader.js';

interface Frame { end: number | null; what: string }

/** Tracks nesting so that definite lengths must add up and indefinite ones must be closed. */
export class Frames {
  private readonly stack: Frame[] = [];
  constructor(private readonly r: BerReader) {}
  open(h: BerHeader, what: string): void {
    const end = h.length === null ? null : this.r.offset + h.length;
    const parent = this.stack[this.stack.length - 1];
    if (end !== null && parent && parent.end !== null && end > parent.end) {
      throw new MalformedInputError(`${what} is longer than the element that contains it`);
    }
    this.stack.push({ end, what });
  }
  /** Whether the innermost open element has more children. */
  async hasMore(): Promise<boolean> {
    const f = this.stack[this.stack.length - 1]!;
    if (f.end !== null) return this.r.offset < f.end;
    return !(await this.r.nextIsEoc());
  }
  async close(): Promise<void> {
    const f = this.stack.pop()!;
    if (f.end === null) await this.r.readEoc();
    else if (this.r.offset !== f.end) throw new MalformedInputError(`${f.what} does not end where its length says`);
  }
  /** End offset of the innermost definite-length element open, which bounds everything inside. */
  bound(): number | null {
    for (let i = this.stack.length - 1; i >= 0; i--) if (this.stack[i]!.end !== null) return this.stack[i]!.end;
    return null;
  }
  check(h: BerHeader, what: string): void {
    const parent = this.stack[this.stack.length - 1];
    if (h.length !== null && parent && parent.end !== null && this.r.offset + h.length > parent.end) {
      throw new MalformedInputError(`${what} is longer than the element that contains it`);
    }
  }
}

export async function expectTag(r: BerReader, tag: number, what: string): Promise<BerHeader> {
  const at = r.offset;
  const h = await r.readHeader();
  if (h.tag !== tag) throw new MalformedInputError(`malformed ${what} at byte ${at}: unexpected tag 0x${h.tag.toString(16)}`);
  return h;
}

/**
 * The contents of an OCTET STRING whose header was just read, streamed: primitive, or constructed
 * (X.690 §8.7.3: segments are OCTET STRINGs, themselves possibly constructed) with any segment size.
 * Small segments already buffered are taken together, so a million 1-byte segments cost no more than
 * one large one.
 */
export async function* octetStringContent(r: BerReader, f: Frames, h: BerHeader, what: string, maxDepth: number, depth = 0): AsyncGenerator<Uint8Array, void, void> {
  if (!h.constructed) {
    let left = h.length!;
    while (left > 0) {
      const chunk = await r.readUpTo(left);
      left -= chunk.length;
      yield chunk;
    }
    return;
  }
  if (depth > maxDepth) throw new LimitExceededError(`${what} nested deeper than ${maxDepth}`);
  f.open(h, `${what} segment`);
  while (await f.hasMore()) {
    const batch = r.takeBufferedSegments(f.bound(), 1 << 16);
    if (batch) { yield batch; continue; }
    const s = await r.readHeader();
    f.check(s, `${what} segment`);
    if (s.tag !== 0x04 && s.tag !== 0x24) throw new MalformedInputError(`malformed ${what}: segment with tag 0x${s.tag.toString(16)}`);
    yield* octetStringContent(r, f, s, what, maxDepth, depth + 1);
  }
  await f.close();
}
