/**
 * The fuzzer's input generator: a pure function of (run seed, input index) over the seed corpus.
 *
 *  - Indexes [0, truncations) cut every seed at every byte (each armored seed twice: its text, and its
 *    DER re-armored), so that every truncation point is tried once per run.
 *  - Every later index draws from a PRNG seeded with (run seed, index): 1–4 *tree* mutations that keep
 *    the definite lengths of every enclosing element consistent (so the input gets past the framing
 *    and reaches the deeper checks: algorithms, IVs, RSA ciphertexts, recipient choices…), then 0–2
 *    *raw* mutations that do not (bit flips, byte insertion/deletion, length fields rewritten to 0, 1,
 *    2^31-1, 2^32, 2^63, indefinite, length-of-length 127, non-minimal forms, truncation).
 *    Splicing moves elements between seeds (a recipientInfos from one message into another, …).
 *  - Armored seeds (PEM, S/MIME) are mutated at the DER level and re-armored most of the time, and at
 *    the text level the rest of the time.
 */
import { oidContent } from '../../src/format/der.js';
import { Prng } from './prng.js';
import { type Element, concat, lengthOctets, replaceRange, walk, withLength } from './ber.js';
import type { Seed } from './seeds.js';

// --- a small BER tree, re-encoded with lengths recomputed ---

export interface TNode {
  /** Identifier octets as read. */
  id: Uint8Array;
  /** Constructed and indefinite-length: re-encoded with 80 … 00 00. */
  indef: boolean;
  kids?: TNode[];
  content?: Uint8Array;
}

export function parseTree(b: Uint8Array): TNode | null {
  const at = (pos: number, limit: number, depth: number): [TNode, number] | null => {
    if (depth > 64 || pos + 2 > limit) return null;
    let p = pos + 1;
    if ((b[pos]! & 0x1f) === 0x1f) { while (p < limit && (b[p]! & 0x80)) p++; p++; }
    const id = b.slice(pos, p);
    if (p >= limit) return null;
    const first = b[p++]!;
    const constructed = (b[pos]! & 0x20) !== 0;
    if (first === 0x80) {
      if (!constructed) return null;
      const kids: TNode[] = [];
      for (;;) {
        if (p + 2 > limit) return null;
        if (b[p] === 0 && b[p + 1] === 0) return [{ id, indef: true, kids }, p + 2];
        const c = at(p, limit, depth + 1);
        if (!c) return null;
        kids.push(c[0]); p = c[1];
      }
    }
    let len = first;
    if (first > 0x80) {
      const n = first & 0x7f;
      if (n > 4 || p + n > limit) return null;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[p++]!;
    }
    const end = p + len;
    if (end > limit) return null;
    if (!constructed) return [{ id, indef: false, content: b.slice(p, end) }, end];
    const kids: TNode[] = [];
    while (p < end) {
      const c = at(p, end, depth + 1);
      if (!c) return null;
      kids.push(c[0]); p = c[1];
    }
    return [{ id, indef: false, kids }, end];
  };
  const r = at(0, b.length, 0);
  return r && r[1] === b.length ? r[0] : null;
}

export function encodeTree(n: TNode): Uint8Array {
  if (n.kids) {
    const body = concat(...n.kids.map(encodeTree));
    return n.indef ? concat(n.id, Uint8Array.of(0x80), body, Uint8Array.of(0, 0)) : concat(n.id, lengthOctets(body.length), body);
  }
  const c = n.content ?? new Uint8Array(0);
  return concat(n.id, lengthOctets(c.length), c);
}

function clone(n: TNode): TNode {
  return n.kids ? { id: n.id, indef: n.indef, kids: n.kids.map(clone) } : { id: n.id, indef: false, content: n.content! };
}

interface Slot { node: TNode; parent: TNode | null; index: number; depth: number }
function slots(root: TNode): Slot[] {
  const out: Slot[] = [];
  const go = (node: TNode, parent: TNode | null, index: number, depth: number): void => {
    out.push({ node, parent, index, depth });
    node.kids?.forEach((k, i) => go(k, node, i, depth + 1));
  };
  go(root, null, 0, 0);
  return out;
}

// --- armor ---

interface Prepared {
  readonly seed: Seed;
  readonly der: Uint8Array;
  readonly tree: TNode;
  /** Re-armor a (mutated) DER in the seed's own form. */
  wrap(der: Uint8Array): Uint8Array;
}

function base64Lines(der: Uint8Array, eol: string): string {
  const b = Buffer.from(der).toString('base64');
  let s = '';
  for (let i = 0; i < b.length; i += 64) s += b.slice(i, i + 64) + eol;
  return s;
}

function prepare(seed: Seed): Prepared {
  const text = Buffer.from(seed.bytes).toString('latin1');
  let der: Uint8Array;
  let wrap: (d: Uint8Array) => Uint8Array;
  if (seed.form === 'der') {
    der = seed.bytes;
    wrap = (d) => d;
  } else if (seed.form === 'pem') {
    const m = /^(-----BEGIN ([A-Z0-9 ]+)-----\r?\n)([\s\S]*?)(-----END \2-----\r?\n?)/.exec(text);
    if (!m) throw new Error(`seed ${seed.file}: not PEM`);
    der = new Uint8Array(Buffer.from(m[3]!, 'base64'));
    wrap = (d) => Buffer.from(m[1]! + base64Lines(d, '\n') + m[4]!, 'latin1');
  } else {
    const m = /\r?\n\r?\n/.exec(text);
    if (!m) throw new Error(`seed ${seed.file}: not MIME`);
    const head = text.slice(0, m.index + m[0].length);
    const eol = m[0].startsWith('\r') ? '\r\n' : '\n';
    der = new Uint8Array(Buffer.from(text.slice(head.length), 'base64'));
    wrap = (d) => Buffer.from(head + base64Lines(d, eol), 'latin1');
  }
  const tree = parseTree(der);
  if (!tree) throw new Error(`seed ${seed.file}: cannot parse its BER`);
  return { seed, der, tree, wrap };
}

// --- interesting values ---

const BIG = (x: bigint): bigint => x;
/** Length values the issue names, and their neighbours. */
const LENGTHS: readonly (number | bigint)[] = [0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 2 ** 24, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53, BIG(2n ** 63n), BIG(2n ** 64n - 1n)];


const EXTRA_OIDS: readonly Uint8Array[] = [
  oidContent('1.2.840.113549.3.2'), // rc2-cbc
  oidContent('1.3.14.3.2.7'), // des-cbc
  oidContent('1.2.840.113549.3.7'), // des-ede3-cbc
  oidContent('2.16.840.1.101.3.4.1.2'), oidContent('2.16.840.1.101.3.4.1.22'), oidContent('2.16.840.1.101.3.4.1.42'),
  oidContent('2.16.840.1.101.3.4.1.46'), // aes256-gcm
  oidContent('1.2.840.113549.1.1.1'), oidContent('1.2.840.113549.1.1.7'), oidContent('1.2.840.113549.1.1.8'), oidContent('1.2.840.113549.1.1.9'),
  oidContent('1.2.840.113549.1.7.1'), oidContent('1.2.840.113549.1.7.2'), oidContent('1.2.840.113549.1.7.3'), oidContent('1.2.840.113549.1.9.16.1.23'),
  oidContent('1.3.14.3.2.26'), oidContent('2.16.840.1.101.3.4.2.1'), oidContent('2.16.840.1.101.3.4.2.3'), oidContent('2.16.840.1.101.3.4.2.99'),
  oidContent('1.2.3.4.5.6.7.8.9'),
  oidContent(`1.2.${10n ** 40n}`), // a huge arc
  Uint8Array.of(0x2a, 0x80, 0x80, 0x01), // non-minimal arc
  Uint8Array.of(0x2a, 0x86), // unterminated arc
  new Uint8Array(0),
  new Uint8Array(200).fill(0x81).map((x, i, a) => (i === a.length - 1 ? 0x01 : x)), // one 200-byte arc
];

const INTEGERS: readonly Uint8Array[] = [
  new Uint8Array(0), Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3), Uint8Array.of(4), Uint8Array.of(5),
  Uint8Array.of(0xff), Uint8Array.of(0x80), Uint8Array.of(0, 0x80), Uint8Array.of(0, 0, 0, 1),
  Uint8Array.of(0x7f, 0xff, 0xff, 0xff), Uint8Array.of(0x01, 0, 0, 0, 0, 0, 0, 0, 0),
];

const TAGS: readonly number[] = [0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x0c, 0x10, 0x11, 0x13, 0x17, 0x18, 0x1f, 0x24, 0x30, 0x31, 0x80, 0x81, 0x82, 0x83, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xbf, 0xff];

// --- the generator ---

export interface Generated {
  readonly bytes: Uint8Array;
  readonly seed: string;
  /** What was done, for the regression file. */
  readonly how: string[];
}

export class Generator {
  private readonly prepared: Prepared[];
  private readonly truncations: { p: number; armored: boolean; at: number }[] = [];
  /** Every OID content and every primitive content in the seeds: material for replacements. */
  private readonly oids: Uint8Array[] = [...EXTRA_OIDS];

  constructor(seeds: readonly Seed[], readonly runSeed: number) {
    this.prepared = seeds.map(prepare);
    this.prepared.forEach((pr, p) => {
      for (let at = 0; at < pr.seed.bytes.length; at++) this.truncations.push({ p, armored: false, at });
      if (pr.seed.form !== 'der') for (let at = 0; at < pr.der.length; at++) this.truncations.push({ p, armored: true, at });
      for (const s of slots(pr.tree)) if (s.node.id.length === 1 && s.node.id[0] === 0x06 && s.node.content) this.oids.push(s.node.content);
    });
  }

  /** How many indexes are the systematic truncation phase. */
  get truncationCount(): number { return this.truncations.length; }

  generate(index: number): Generated {
    if (index < this.truncations.length) {
      const t = this.truncations[index]!;
      const pr = this.prepared[t.p]!;
      const bytes = t.armored ? pr.wrap(pr.der.subarray(0, t.at)) : pr.seed.bytes.subarray(0, t.at);
      return { bytes, seed: pr.seed.file, how: [t.armored ? `der truncated to ${t.at} bytes, re-armored` : `truncated to ${t.at} bytes`] };
    }
    const rng = new Prng(this.runSeed, index);
    const pr = rng.pick(this.prepared);
    const how: string[] = [];
    if (pr.seed.form !== 'der' && rng.bool(0.25)) {
      // Text-level: the armor itself (base64 alphabet, lines, markers, MIME headers).
      let b = pr.seed.bytes;
      const n = rng.range(1, 3);
      for (let i = 0; i < n; i++) b = this.raw(rng, b, how, true);
      return { bytes: b, seed: pr.seed.file, how };
    }
    const tree = clone(pr.tree);
    const nTree = rng.range(0, 4);
    let root = tree;
    for (let i = 0; i < nTree; i++) root = this.treeMutation(rng, root, how);
    let b = encodeTree(root);
    const nRaw = nTree === 0 ? rng.range(1, 3) : rng.pick([0, 0, 0, 1, 1, 2]);
    for (let i = 0; i < nRaw; i++) b = this.raw(rng, b, how, false);
    return { bytes: pr.wrap(b), seed: pr.seed.file, how };
  }

  private otherNode(rng: Prng): TNode {
    const t = rng.pick(this.prepared).tree;
    return clone(rng.pick(slots(t)).node);
  }

  private treeMutation(rng: Prng, root: TNode, how: string[]): TNode {
    const all = slots(root);
    const s = rng.pick(all);
    const n = s.node;
    const where = `node ${all.indexOf(s)} (tag 0x${Buffer.from(n.id).toString('hex')}, depth ${s.depth})`;
    const prims = all.filter((x) => x.node.content !== undefined);
    switch (rng.int(14)) {
      case 0: { // replace a primitive's content with random bytes of an interesting size
        if (prims.length === 0) return root;
        const p = rng.pick(prims).node;
        const old = p.content!.length;
        const len = rng.pick([0, 1, old - 1, old + 1, old, 2 * old, rng.smallInt(600), 7, 8, 9, 15, 16, 17, 255, 256, 257, 384, 385, 512]);
        p.content = rng.bytes(Math.max(0, len));
        how.push(`primitive ${Buffer.from(p.id).toString('hex')} content → ${p.content.length} random bytes`);
        return root;
      }
      case 1: { // flip bits inside a primitive's content (ciphertexts, keys, IVs, OIDs…)
        if (prims.length === 0) return root;
        const p = rng.pick(prims).node;
        if (p.content!.length === 0) return root;
        const c = p.content!.slice();
        const k = rng.range(1, 4);
        for (let i = 0; i < k; i++) c[rng.int(c.length)]! ^= 1 << rng.int(8);
        p.content = c;
        how.push(`primitive ${Buffer.from(p.id).toString('hex')}: ${k} bit flips`);
        return root;
      }
      case 2: // delete a child
        if (!s.parent) return root;
        s.parent.kids!.splice(s.index, 1);
        how.push(`delete ${where}`);
        return root;
      case 3: { // duplicate a child, a few times or many
        if (!s.parent) return root;
        // Many copies of small elements only: inputs stay below ~256 KB, so a run stays fast.
        const size = encodeTree(n).length;
        const count = slots(n).length;
        const times = Math.max(1, Math.min(rng.pick([1, 1, 2, 3, 10, 100, 1000]), Math.floor(256_000 / size), Math.floor(4000 / count)));
        s.parent.kids!.splice(s.index, 0, ...Array.from({ length: times }, () => clone(n)));
        how.push(`duplicate ${where} ×${times}`);
        return root;
      }
      case 4: { // swap two siblings
        if (!s.parent || s.parent.kids!.length < 2) return root;
        const j = rng.int(s.parent.kids!.length);
        [s.parent.kids![s.index], s.parent.kids![j]] = [s.parent.kids![j]!, s.parent.kids![s.index]!];
        how.push(`swap children ${s.index} and ${j} of a ${Buffer.from(s.parent.id).toString('hex')}`);
        return root;
      }
      case 5: { // splice: replace with an element from some seed
        const o = this.otherNode(rng);
        if (!s.parent) { how.push('replace the root with a spliced element'); return o; }
        s.parent.kids![s.index] = o;
        how.push(`replace ${where} with a spliced ${Buffer.from(o.id).toString('hex')}`);
        return root;
      }
      case 6: { // splice: insert an element from some seed
        const targets = all.filter((x) => x.node.kids);
        if (targets.length === 0) return root;
        const target = rng.pick(targets);
        const o = this.otherNode(rng);
        const at = rng.int(target.node.kids!.length + 1);
        target.node.kids!.splice(at, 0, o);
        how.push(`insert a spliced ${Buffer.from(o.id).toString('hex')} at ${at}`);
        return root;
      }
      case 7: { // change a tag
        const t = rng.pick(TAGS);
        const id = rng.bool(0.1) ? Uint8Array.of(t | 0x1f, 0x81, 0x00) : Uint8Array.of(t);
        // Keep the node's shape; a primitive/constructed mismatch is part of the point.
        n.id = id;
        how.push(`retag ${where} → ${Buffer.from(id).toString('hex')}`);
        return root;
      }
      case 8: { // wrap in nesting
        const depth = rng.pick([1, 2, 5, 31, 32, 33, 64, 200]);
        let w: TNode = clone(n);
        const indef = rng.bool();
        const tag = rng.pick([0x30, 0x31, 0xa0, 0x24]);
        for (let i = 0; i < depth; i++) w = { id: Uint8Array.of(tag), indef, kids: [w] };
        how.push(`wrap ${where} in ${depth} × ${tag.toString(16)}${indef ? ' indefinite' : ''}`);
        if (!s.parent) return w;
        s.parent.kids![s.index] = w;
        return root;
      }
      case 9: { // definite ↔ indefinite
        const cs = all.filter((x) => x.node.kids);
        if (cs.length === 0) return root;
        const c = rng.pick(cs).node;
        c.indef = !c.indef;
        how.push(`toggle indefinite on a ${Buffer.from(c.id).toString('hex')}`);
        return root;
      }
      case 10: { // split a primitive into a constructed (BER) string of segments
        if (prims.length === 0) return root;
        const p = rng.pick(prims);
        const c = p.node.content!;
        const seg = rng.pick([1, 2, 3, 7, 16, 100]);
        const kids: TNode[] = [];
        for (let i = 0; i < c.length; i += seg) kids.push({ id: Uint8Array.of(0x04), indef: false, content: c.slice(i, i + seg) });
        const cons: TNode = { id: Uint8Array.of(p.node.id[0]! | 0x20), indef: rng.bool(), kids };
        if (p.parent) p.parent.kids![p.index] = cons;
        how.push(`split a ${Buffer.from(p.node.id).toString('hex')} of ${c.length} bytes into ${kids.length} segments`);
        return root;
      }
      case 11: { // OID replacement
        const os = all.filter((x) => x.node.id[0] === 0x06 && x.node.content);
        if (os.length === 0) return root;
        const o = rng.pick(os).node;
        o.content = rng.pick(this.oids);
        how.push(`oid → ${Buffer.from(o.content).toString('hex').slice(0, 40)}`);
        return root;
      }
      case 12: { // INTEGER replacement (versions, serials)
        const is = all.filter((x) => x.node.id[0] === 0x02 && x.node.content);
        if (is.length === 0) return root;
        const it = rng.pick(is).node;
        it.content = rng.bool(0.8) ? rng.pick(INTEGERS) : rng.bytes(rng.smallInt(400));
        how.push(`integer → ${Buffer.from(it.content).toString('hex').slice(0, 40)}`);
        return root;
      }
      default: { // empty a constructed element, or drop all but one child
        const cs = all.filter((x) => x.node.kids && x.node.kids.length > 0);
        if (cs.length === 0) return root;
        const c = rng.pick(cs).node;
        c.kids = rng.bool() ? [] : [c.kids![rng.int(c.kids!.length)]!];
        how.push(`prune a ${Buffer.from(c.id).toString('hex')} to ${c.kids.length} children`);
        return root;
      }
    }
  }

  private raw(rng: Prng, b: Uint8Array, how: string[], text: boolean): Uint8Array {
    if (b.length === 0) return b;
    const els: Element[] = text ? [] : walk(b);
    const op = rng.int(text ? 6 : 8);
    switch (op) {
      case 0: { // bit flips
        const c = b.slice();
        const k = rng.range(1, 8);
        for (let i = 0; i < k; i++) c[rng.int(c.length)]! ^= 1 << rng.int(8);
        how.push(`${k} raw bit flips`);
        return c;
      }
      case 1: { // one byte set to an interesting value
        const c = b.slice();
        const at = rng.int(c.length);
        c[at] = text ? rng.pick([0x00, 0x0a, 0x0d, 0x20, 0x2d, 0x3d, 0x2b, 0x2f, 0x3a, 0x80, 0xff, 0x41]) : rng.pick([0x00, 0x01, 0x7f, 0x80, 0x81, 0x84, 0x88, 0x89, 0xff, 0x30, 0x04, 0x24]);
        how.push(`byte ${at} → ${c[at]!.toString(16)}`);
        return c;
      }
      case 2: { // insertion
        const at = rng.int(b.length + 1);
        const ins = rng.bool() ? rng.bytes(rng.range(1, 16)) : new Uint8Array(rng.range(1, 64)).fill(rng.pick(text ? [0x41, 0x0a, 0x3d, 0x2d] : [0x00, 0x80, 0x30, 0xff]));
        how.push(`insert ${ins.length} bytes at ${at}`);
        return replaceRange(b, at, at, ins);
      }
      case 3: { // deletion
        const at = rng.int(b.length);
        const n = rng.range(1, Math.min(32, b.length - at));
        how.push(`delete ${n} bytes at ${at}`);
        return replaceRange(b, at, at + n, new Uint8Array(0));
      }
      case 4: { // truncation
        const at = rng.int(b.length);
        how.push(`truncate to ${at}`);
        return b.subarray(0, at);
      }
      case 5: { // duplicate a range
        const at = rng.int(b.length);
        const n = rng.range(1, Math.min(256, b.length - at));
        how.push(`repeat ${n} bytes at ${at}`);
        return replaceRange(b, at, at, b.slice(at, at + n));
      }
      default: { // length field rewrite
        if (els.length === 0) return b;
        const e = rng.pick(els);
        let len: Uint8Array;
        let what: string;
        const r = rng.int(6);
        if (r === 0) { len = Uint8Array.of(0x80); what = 'indefinite'; }
        else if (r === 1) { len = Uint8Array.of(0xff, ...rng.bytes(4)); what = 'length-of-length 127'; }
        else if (r === 2) { len = concat(Uint8Array.of(0x89), rng.bytes(9)); what = 'length-of-length 9'; }
        else if (r === 3 && e.len !== null) { const w = rng.range(1, 8); len = lengthOctets(e.len, Math.max(w, 1)); what = `non-minimal (${w} octets) of ${e.len}`; }
        else if (r === 4 && e.len !== null) { const v = Math.max(0, e.len + rng.pick([-2, -1, 1, 2])); len = lengthOctets(v); what = `${e.len} → ${v}`; }
        else { const v = rng.pick(LENGTHS); len = lengthOctets(v); what = `→ ${v}`; }
        how.push(`length of element at ${e.start} (tag ${e.tag.toString(16)}): ${what}`);
        return withLength(b, e, len);
      }
    }
  }
}
