/**
 * Nesting bookkeeping for the streaming readers (envelope-reader.ts, signed/reader.ts): definite
 * lengths must add up (X.690 §8.1.3.5) and indefinite ones must be closed by end-of-contents (§8.1.5).
 */
import { MalformedInputError } from '../errors.js';
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
