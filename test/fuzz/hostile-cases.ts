/**
 * The hostile corpus, as code: every case is a message built on purpose, with the error code p7m must
 * give for `inspect` and for `decrypt` with the right key and certificate ('ok' where the input is odd
 * but valid). Small cases are written to test/corpus/hostile/ by scripts/make-hostile-corpus.ts (with
 * manifest.json); big ones (a 1 MB OID, 100,000 recipients, …) are made by test/hostile.test.ts at run
 * time, so that the committed corpus stays small.
 *
 * `random`: the failure is an oracle-free "decryption failed" that goes through a random CEK (RFC 3218
 * §2.3.2), so that about one run in 256 the CBC padding of garbage checks by chance and decryption
 * "succeeds" with garbage. Tests retry those.
 */
import { createCipheriv, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { concat, lengthOctets } from './ber.js';
import {
  Forge, OIDS, algId, ctx, encryptedContent, encryptedContentSegments, envelope, indef, int, issuerAndSerial, ktri, nul, octets,
  oaepParams, oid, oidContent, ridIssuerSerial, ridSki, seq, set, tlv, type EnvelopeParts,
} from './build.js';
import { SEEDS_DIR } from './seeds.js';

export type Code = 'ok' | 'ERR_MALFORMED_INPUT' | 'ERR_LIMIT_EXCEEDED' | 'ERR_UNSUPPORTED_ALGORITHM' | 'ERR_UNSUPPORTED_CONTENT'
  | 'ERR_NO_MATCHING_RECIPIENT' | 'ERR_DECRYPTION_FAILED';

export interface HostileCase {
  readonly name: string;
  readonly what: string;
  readonly bytes: Uint8Array;
  readonly inspect: Code;
  readonly decrypt: Code;
  readonly random?: boolean;
  /** Content type of the plaintext when decrypt is 'ok' and it is not id-data. */
  readonly contentType?: string;
}

export const CONTENT = new Uint8Array(Buffer.from('hostile corpus content: nothing to see here\n'));

export interface Material {
  readonly key: KeyObject;
  readonly certPem: Uint8Array;
  readonly otherKey: KeyObject;
  /** The recipient's issuer Name (DER), serial, SKI, modulus. */
  readonly issuer: Uint8Array;
  readonly serial: Uint8Array;
  readonly ski: Uint8Array;
  readonly n: Uint8Array;
}

export function material(): Material {
  const k = (f: string): Buffer => readFileSync(path.join(SEEDS_DIR, 'keys', f));
  const certPem = new Uint8Array(k('rcpt.pem'));
  const { issuer, serial, ski } = issuerAndSerial(certPem);
  const key = createPublicKey(k('rcpt.pem').toString());
  const jwk = key.export({ format: 'jwk' });
  return {
    key, certPem, otherKey: createPublicKey(k('other.pem').toString()),
    issuer, serial, ski: ski!, n: new Uint8Array(Buffer.from(jwk.n!, 'base64url')),
  };
}

/** Builds messages addressed to the seed recipient, with deterministic crypto. */
export class Cases {
  readonly f: Forge;
  readonly fOther: Forge;
  readonly cek32: Uint8Array;
  readonly iv: Uint8Array;
  readonly ct: Uint8Array;

  constructor(readonly m: Material, seed = 6) {
    this.f = new Forge(seed, m.key);
    this.fOther = new Forge(seed + 1, m.otherKey);
    this.cek32 = this.f.rng.bytes(32);
    this.iv = this.f.rng.bytes(16);
    this.ct = this.f.cbc('aes-256-cbc', this.cek32, this.iv, CONTENT);
  }

  get rid(): Uint8Array { return ridIssuerSerial(this.m.issuer, this.m.serial); }
  get pkcs1Alg(): Uint8Array { return algId(OIDS.rsaEncryption, nul()); }
  aesAlg(iv: Uint8Array = this.iv, o: string = OIDS.aes256Cbc): Uint8Array { return algId(o, octets(iv)); }

  /** A KTRI to our recipient, PKCS#1 v1.5, carrying `cek`. */
  ri(cek: Uint8Array = this.cek32): Uint8Array {
    return ktri({ rid: this.rid, alg: this.pkcs1Alg, encryptedKey: this.f.pkcs1(cek) });
  }

  /**
   * An AuthEnvelopedData (RFC 5083) with AES-256-GCM to our recipient: a 12-byte nonce, `tagLength`
   * bytes of tag written in the parameters, and any field replaced: `mac` (the OCTET STRING element,
   * or null for none), `after` (elements after the mac), `beforeMac` (e.g. authAttrs).
   */
  authMsg(p: { tagLength?: number; paramsTagLength?: number | null; mac?: Uint8Array | null; beforeMac?: Uint8Array[]; after?: Uint8Array[]; version?: Uint8Array; flipTag?: boolean } = {}): Uint8Array {
    const nonce = this.iv.subarray(0, 12);
    const tagLength = p.tagLength ?? 16;
    const g = createCipheriv('aes-256-gcm', this.cek32, nonce, { authTagLength: tagLength });
    const ct = concat(g.update(CONTENT), g.final());
    const tag = new Uint8Array(g.getAuthTag());
    if (p.flipTag) tag[0]! ^= 1;
    const params = seq(octets(nonce), ...(p.paramsTagLength === null ? [] : [int(p.paramsTagLength ?? tagLength)]));
    const eci = seq(oid(OIDS.data), algId(OIDS.aes256Gcm, params), encryptedContent(ct));
    const mac = p.mac === undefined ? octets(tag) : p.mac;
    const aed = seq(p.version ?? int(0), set(this.ri()), eci, ...(p.beforeMac ?? []), ...(mac ? [mac] : []), ...(p.after ?? []));
    return seq(oid(OIDS.authEnvelopedData), ctx(0, aed));
  }

  /** The valid message, with any part replaced. */
  msg(p: Partial<EnvelopeParts> = {}): Uint8Array {
    return envelope({
      recipientInfos: set(this.ri()),
      contentAlg: this.aesAlg(),
      encryptedContent: encryptedContent(this.ct),
      ...p,
    });
  }
}

const pem = (der: Uint8Array, label = 'CMS'): Uint8Array => {
  const b = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n');
  return Buffer.from(`-----BEGIN ${label}-----\n${b}-----END ${label}-----\n`);
};
const smime = (der: Uint8Array, headers = 'MIME-Version: 1.0\r\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\n'): Uint8Array =>
  Buffer.from(`${headers}\r\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\r\n')}\r\n`);

/** Deep nesting: `depth` constructed elements around `inner`. */
export function nest(depth: number, tag: number, inner: Uint8Array, indefinite: boolean): Uint8Array {
  // Built from the inside out with one buffer per level would be quadratic: compute the lengths first.
  if (indefinite) {
    const head = new Uint8Array(depth * 2);
    for (let i = 0; i < depth; i++) { head[2 * i] = tag; head[2 * i + 1] = 0x80; }
    return concat(head, inner, new Uint8Array(depth * 2));
  }
  const heads: Uint8Array[] = [];
  let len = inner.length;
  for (let i = 0; i < depth; i++) { const h = concat(Uint8Array.of(tag), lengthOctets(len)); heads.push(h); len += h.length; }
  return concat(...heads.reverse(), inner);
}

/** A message with the length octets of the element starting at `at` replaced. */
function relength(b: Uint8Array, at: number, len: Uint8Array): Uint8Array {
  const first = b[at + 1]!;
  const old = first < 0x80 || first === 0x80 ? 1 : 1 + (first & 0x7f);
  return concat(b.subarray(0, at + 1), len, b.subarray(at + 1 + old));
}
/** Offset of the first element with this identifier octet followed by these bytes. */
function find(b: Uint8Array, needle: Uint8Array, from = 0): number {
  const i = Buffer.from(b).indexOf(Buffer.from(needle), from);
  if (i < 0) throw new Error('hostile-cases: needle not found');
  return i;
}

const L = {
  p31m1: Uint8Array.of(0x84, 0x7f, 0xff, 0xff, 0xff),
  p32: Uint8Array.of(0x85, 0x01, 0, 0, 0, 0),
  p63: Uint8Array.of(0x88, 0x80, 0, 0, 0, 0, 0, 0, 0),
  lol127: concat(Uint8Array.of(0xff), new Uint8Array(127).fill(0x01)),
  nine: Uint8Array.of(0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x10),
};

/** The committed corpus (each case well under 64 KB). */
export function committedCases(c: Cases): HostileCase[] {
  const out: HostileCase[] = [];
  const add = (name: string, what: string, bytes: Uint8Array, inspect: Code, decrypt: Code, extra: Partial<HostileCase> = {}): void => {
    out.push({ name, what, bytes, inspect, decrypt, ...extra });
  };
  const valid = c.msg();
  const validIndef = c.msg({ indefinite: true, encryptedContent: encryptedContentSegments(c.ct, 16) });
  const MAL = 'ERR_MALFORMED_INPUT', LIM = 'ERR_LIMIT_EXCEEDED', ALG = 'ERR_UNSUPPORTED_ALGORITHM', CON = 'ERR_UNSUPPORTED_CONTENT';
  const DEC = 'ERR_DECRYPTION_FAILED', NOM = 'ERR_NO_MATCHING_RECIPIENT';

  // Baselines: the corpus's messages really do decrypt when nothing is wrong.
  add('valid-definite.der', 'the well-formed message the other cases are variations of', valid, 'ok', 'ok');
  add('valid-indefinite.ber', 'the same, indefinite lengths and a constructed encryptedContent of 16-byte segments', validIndef, 'ok', 'ok');
  add('valid.pem', 'the same, PEM', pem(valid), 'ok', 'ok');
  add('valid.eml', 'the same, S/MIME', smime(valid), 'ok', 'ok');

  // --- length fields ---
  const ci = 0; // ContentInfo
  const riAt = find(valid, Uint8Array.of(0x31), 20); // recipientInfos SET
  const ctAt = valid.length - c.ct.length - 2; // encryptedContent [0], short-form length
  const riAtIndef = find(validIndef, Uint8Array.of(0x31, 0x82));
  add('len-2p31m1-contentinfo.der', 'ContentInfo length 2^31-1 on a 700-byte input', relength(valid, ci, L.p31m1), MAL, MAL);
  add('len-2p32-contentinfo.der', 'ContentInfo length 2^32', relength(valid, ci, L.p32), MAL, MAL);
  add('len-2p63-contentinfo.der', 'ContentInfo length 2^63 (beyond 2^53: not countable exactly)', relength(valid, ci, L.p63), MAL, MAL);
  add('len-lol127-contentinfo.der', 'ContentInfo length-of-length 127 (reserved, X.690 §8.1.3.5 c)', relength(valid, ci, L.lol127), MAL, MAL);
  add('len-9-octets-contentinfo.der', 'ContentInfo length in 9 octets', relength(valid, ci, L.nine), MAL, MAL);
  add('len-2p31m1-recipientinfos.der', 'recipientInfos length 2^31-1 inside a definite EnvelopedData', relength(valid, riAt, L.p31m1), MAL, MAL);
  add('len-2p31m1-recipientinfos-indefinite.ber', 'recipientInfos length 2^31-1 inside indefinite-length parents: over the header budget', relength(validIndef, riAtIndef, L.p31m1), LIM, LIM);
  add('len-2p32-recipientinfos-indefinite.ber', 'recipientInfos length 2^32 inside indefinite-length parents', relength(validIndef, riAtIndef, L.p32), LIM, LIM);
  add('len-2p63-recipientinfos.der', 'recipientInfos length 2^63', relength(valid, riAt, L.p63), MAL, MAL);
  add('len-lol127-recipientinfos.der', 'recipientInfos length-of-length 127', relength(valid, riAt, L.lol127), MAL, MAL);
  add('len-2p31m1-ciphertext.der', 'encryptedContent length 2^31-1 inside a definite EncryptedContentInfo', relength(valid, ctAt, L.p31m1), MAL, MAL);
  {
    const indefPrim = c.msg({ indefinite: true });
    const at = indefPrim.length - 8 - c.ct.length - 2;
    add('len-2p31m1-ciphertext-indefinite.ber', 'primitive encryptedContent of length 2^31-1 in indefinite parents: read until the input ends', relength(indefPrim, at, L.p31m1), MAL, MAL);
    add('len-2p32-ciphertext-indefinite.ber', 'primitive encryptedContent of length 2^32 in indefinite parents', relength(indefPrim, at, L.p32), MAL, MAL);
    add('len-2p63-ciphertext-indefinite.ber', 'primitive encryptedContent of length 2^63', relength(indefPrim, at, L.p63), MAL, MAL);
  }
  {
    // Non-minimal lengths everywhere the outer reader looks (BER allows them, X.690 §8.1.3.5 note 2) …
    const nm = (tag: number, ...content: Uint8Array[]): Uint8Array => { const b = concat(...content); return concat(Uint8Array.of(tag), lengthOctets(b.length, 4), b); };
    const eci = nm(0x30, oid(OIDS.data), c.aesAlg(), nm(0x80, c.ct));
    const ed = nm(0x30, int(0), set(c.ri()), eci);
    add('len-nonminimal-outer.ber', 'non-minimal (4-octet) lengths on ContentInfo, EnvelopedData, EncryptedContentInfo and the ciphertext: valid BER', nm(0x30, oid(OIDS.envelopedData), nm(0xa0, ed)), 'ok', 'ok');
    // … and inside the RecipientInfo, which asn1js parses.
    const riNm = nm(0x30, int(0), nm(0x30, c.m.issuer, int(c.m.serial)), c.pkcs1Alg, nm(0x04, c.f.pkcs1(c.cek32)));
    add('len-nonminimal-recipientinfo.ber', 'non-minimal lengths inside the RecipientInfo: valid BER', c.msg({ recipientInfos: nm(0x31, riNm) }), 'ok', 'ok');
  }
  add('len-short-recipientinfos.der', 'recipientInfos length one byte short (the rest spills into EncryptedContentInfo)',
    relength(valid, riAt, lengthOctets(((valid[riAt + 2]! << 8) | valid[riAt + 3]!) - 1, 2)), MAL, MAL);

  // --- nesting ---
  add('nest-10000-definite-recipientinfos.der', '10,000 nested definite SEQUENCEs inside recipientInfos', c.msg({ recipientInfos: set(nest(10_000, 0x30, int(0), false)) }), LIM, LIM);
  add('nest-10000-indefinite-recipientinfos.ber', '10,000 nested indefinite SEQUENCEs inside recipientInfos', c.msg({ recipientInfos: indef(0x31, nest(10_000, 0x30, int(0), true)) }), LIM, LIM);
  add('nest-10000-definite-toplevel.der', 'the whole input: 10,000 nested definite SEQUENCEs', nest(10_000, 0x30, int(0), false), MAL, MAL);
  add('nest-10000-indefinite-toplevel.ber', 'the whole input: 10,000 nested indefinite SEQUENCEs', nest(10_000, 0x30, int(0), true), MAL, MAL);
  add('nest-10000-indefinite-ciphertext.ber', 'encryptedContent: 10,000 nested indefinite constructed OCTET STRINGs', c.msg({ indefinite: true, encryptedContent: indef(0xa0, nest(9_999, 0x24, octets(c.ct), true)) }), LIM, LIM);
  add('nest-10000-definite-ciphertext.der', 'encryptedContent: 10,000 nested definite constructed OCTET STRINGs', c.msg({ encryptedContent: tlv(0xa0, nest(9_999, 0x24, octets(c.ct), false)) }), LIM, LIM);
  add('nest-10000-originatorinfo.der', 'originatorInfo: 10,000 nested SEQUENCEs', c.msg({ version: int(2), originatorInfo: ctx(0, nest(10_000, 0x30, int(0), false)) }), LIM, LIM);
  add('nest-10000-alg-params.der', 'content-encryption parameters: 10,000 nested SEQUENCEs', c.msg({ contentAlg: algId(OIDS.aes256Cbc, nest(10_000, 0x30, octets(c.iv), false)) }), LIM, LIM);

  // --- indefinite primitives, end-of-contents ---
  {
    const o = oid(OIDS.envelopedData);
    const b = concat(Uint8Array.of(0x30, 0x80, 0x06, 0x80), o.subarray(2), Uint8Array.of(0, 0), valid.subarray(2 + o.length));
    add('indef-primitive-oid.ber', 'the content type OID with an indefinite length (only constructed elements may have one)', b, MAL, MAL);
    const indefPrim = c.msg({ indefinite: true });
    const at = indefPrim.length - 8 - c.ct.length - 2;
    add('indef-primitive-ciphertext.ber', 'primitive encryptedContent [0] with an indefinite length', concat(indefPrim.subarray(0, at), Uint8Array.of(0x80, 0x80), c.ct, Uint8Array.of(0, 0), indefPrim.subarray(at + 2 + c.ct.length)), MAL, MAL);
    add('indef-primitive-in-recipientinfo.ber', 'an OCTET STRING with an indefinite length inside a RecipientInfo', c.msg({ recipientInfos: indef(0x31, seq(int(0), c.rid, c.pkcs1Alg, concat(Uint8Array.of(0x04, 0x80), c.f.pkcs1(c.cek32), Uint8Array.of(0, 0)))) }), MAL, MAL);
  }
  add('eoc-toplevel.bin', 'the input is one end-of-contents: 00 00', Uint8Array.of(0, 0), MAL, MAL);
  add('eoc-after-message.ber', 'an extra end-of-contents after an indefinite message', concat(validIndef, Uint8Array.of(0, 0)), MAL, MAL);
  add('eoc-in-definite-set.der', 'end-of-contents as an element of a definite recipientInfos', c.msg({ recipientInfos: set(c.ri(), Uint8Array.of(0, 0)) }), MAL, MAL);
  add('eoc-closes-contentinfo-early.ber', 'an end-of-contents right after the content type', concat(Uint8Array.of(0x30, 0x80), oid(OIDS.envelopedData), Uint8Array.of(0, 0)), MAL, MAL);
  add('high-tag-number.der', 'a high-tag-number identifier (1f 81 00) where the EnvelopedData version is', c.msg({ version: Uint8Array.of(0x1f, 0x81, 0x00, 0x01, 0x00) }), MAL, MAL);

  // --- OIDs and INTEGERs ---
  add('oid-huge-arc-contenttype.der', 'ContentInfo content type with one arc of 2^1000 (144 octets)', c.msg({ contentInfoType: tlv(0x06, oidContent(`1.2.${(2n ** 1000n).toString()}`)) }), LIM, LIM);
  add('oid-huge-arc-cipher.der', 'content-encryption OID with one arc of 2^1000', c.msg({ contentAlg: seq(tlv(0x06, oidContent(`2.16.${(2n ** 1000n).toString()}`)), octets(c.iv)) }), LIM, LIM);
  add('oid-big-arc-cipher.der', 'content-encryption OID with one arc of 2^300 (within the 64-byte OID limit)', c.msg({ contentAlg: seq(tlv(0x06, oidContent(`2.16.${(2n ** 300n).toString()}`)), octets(c.iv)) }), 'ok', ALG);
  add('oid-big-arc-keytransport.der', 'key-transport OID with one arc of 2^300', c.msg({ recipientInfos: set(ktri({ rid: c.rid, alg: seq(tlv(0x06, oidContent(`1.2.${(2n ** 300n).toString()}`)), nul()), encryptedKey: c.f.pkcs1(c.cek32) })) }), 'ok', ALG);
  add('oid-empty-cipher.der', 'content-encryption OID of zero octets', c.msg({ contentAlg: seq(Uint8Array.of(0x06, 0x00), octets(c.iv)) }), MAL, MAL);
  add('oid-empty-contenttype.der', 'ContentInfo content type of zero octets', c.msg({ contentInfoType: Uint8Array.of(0x06, 0x00) }), MAL, MAL);
  add('oid-nonminimal-arc.der', 'content-encryption OID with an arc padded by 80 (X.690 §8.19.2 forbids it)', c.msg({ contentAlg: seq(tlv(0x06, concat(Uint8Array.of(0x60, 0x80, 0x86, 0x48)), oidContent('2.16.840.1.101.3.4.1.42').subarray(3)), octets(c.iv)) }), MAL, MAL);
  add('oid-unterminated-arc.der', 'content-encryption OID whose last arc has its continuation bit set', c.msg({ contentAlg: seq(tlv(0x06, Uint8Array.of(0x60, 0x86, 0x48, 0x81)), octets(c.iv)) }), MAL, MAL);
  add('version-5.der', 'EnvelopedData version 5', c.msg({ version: int(5) }), MAL, MAL);
  add('version-negative.der', 'EnvelopedData version -1', c.msg({ version: Uint8Array.of(0x02, 0x01, 0xff) }), MAL, MAL);
  add('version-9-octets.der', 'EnvelopedData version in 9 octets', c.msg({ version: tlv(0x02, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0)) }), MAL, MAL);
  add('version-empty.der', 'EnvelopedData version INTEGER of zero octets', c.msg({ version: Uint8Array.of(0x02, 0x00) }), MAL, MAL);
  add('serial-4096-octets.der', 'a RecipientInfo serial number of 4,096 octets (RFC 5280 §4.1.2.2: at most 20)', c.msg({ recipientInfos: set(ktri({ rid: ridIssuerSerial(c.m.issuer, new Uint8Array(4096).fill(0x42)), alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32) })) }), MAL, MAL);
  add('serial-empty.der', 'a RecipientInfo serial number INTEGER of zero octets', c.msg({ recipientInfos: set(ktri({ rid: seq(c.m.issuer, Uint8Array.of(0x02, 0x00)), alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32) })) }), MAL, MAL);

  // --- trailing data, truncated wrappers ---
  add('trailing-bytes.der', 'bytes after the ContentInfo', concat(valid, Buffer.from('trailing garbage')), MAL, MAL);
  add('trailing-zero-byte.der', 'one 00 after the ContentInfo', concat(valid, Uint8Array.of(0)), MAL, MAL);
  add('trailing-bytes-indefinite.ber', 'bytes after an indefinite-length ContentInfo', concat(validIndef, Uint8Array.of(0x30, 0x00)), MAL, MAL);
  add('trailing-text.pem', 'text after the PEM END line', concat(pem(valid), Buffer.from('and more text\n')), MAL, MAL);
  add('trailing-bytes-in-pem.pem', 'the PEM body holds bytes after the ContentInfo', pem(concat(valid, Uint8Array.of(1, 2, 3))), MAL, MAL);
  add('empty.bin', 'an empty input', new Uint8Array(0), MAL, MAL);

  // --- recipients ---
  add('recipients-zero.der', 'an empty recipientInfos SET', c.msg({ recipientInfos: set() }), MAL, MAL);
  add('recipients-duplicate.der', 'the same RecipientInfo twice', c.msg({ recipientInfos: set(c.ri(), c.ri()) }), 'ok', 'ok');
  add('recipients-duplicate-first-bad.der', 'two RecipientInfos with our identifier, the first with a bad encrypted key: the first match is the one used',
    c.msg({ recipientInfos: set(ktri({ rid: c.rid, alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32, 'block-type') }), c.ri()) }), 'ok', DEC, { random: true });
  add('recipients-unknown-choice.der', 'a RecipientInfo CHOICE [5], which RFC 5652 §6.2 does not define', c.msg({ recipientInfos: set(c.ri(), ctx(5, int(0))) }), MAL, MAL);
  add('recipients-unknown-choice-primitive.der', 'a primitive [1] where a RecipientInfo is', c.msg({ recipientInfos: set(tlv(0x81, Uint8Array.of(0))) }), MAL, MAL);
  add('recipients-kekri-only.der', 'only a KEKRecipientInfo [2], which p7m does not unwrap', c.msg({ version: int(2), recipientInfos: set(ctx(2, int(4), seq(octets(Uint8Array.of(1, 2, 3))), algId('2.16.840.1.101.3.4.1.45'), octets(new Uint8Array(40)))) }), 'ok', NOM);
  add('recipients-pwri-and-ktri.der', 'a PasswordRecipientInfo [3] and our KTRI', c.msg({ version: int(3), recipientInfos: set(ctx(3, int(0), algId('1.2.840.113549.1.9.16.3.9'), octets(new Uint8Array(40))), c.ri()) }), 'ok', 'ok');
  add('recipients-not-a-set.der', 'recipientInfos is a SEQUENCE', c.msg({ recipientInfos: seq(c.ri()) }), MAL, MAL);
  add('recipients-integer.der', 'a RecipientInfo that is an INTEGER', c.msg({ recipientInfos: set(int(7)) }), MAL, MAL);
  add('recipients-three-fields.der', 'a KTRI with three fields', c.msg({ recipientInfos: set(seq(int(0), c.rid, c.pkcs1Alg)) }), MAL, MAL);
  add('recipients-other-only.der', 'one KTRI addressed to someone else', c.msg({ recipientInfos: set(ktri({ rid: ridSki(new Uint8Array(20).fill(9)), alg: c.pkcs1Alg, encryptedKey: c.fOther.pkcs1(c.cek32) })) }), 'ok', NOM);
  add('rid-ski.der', 'our KTRI identified by subject key identifier', c.msg({ recipientInfos: set(ktri({ version: int(2), rid: ridSki(c.m.ski), alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32) })) }), 'ok', 'ok');
  add('rid-issuer-not-a-name.der', 'issuerAndSerialNumber whose issuer is an OCTET STRING', c.msg({ recipientInfos: set(ktri({ rid: seq(octets(c.m.issuer), int(c.m.serial)), alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32) })) }), MAL, MAL);
  add('originator-1001-certificates.der', 'originatorInfo with 1,001 (empty) certificates: over the limit of 1,000', c.msg({ version: int(2), originatorInfo: ctx(0, ctx(0, ...Array.from({ length: 1001 }, () => seq()))) }), LIM, LIM);

  // --- the RSA ciphertext ---
  const withEk = (ek: Uint8Array | { raw: Uint8Array }, alg = c.pkcs1Alg): Uint8Array => c.msg({ recipientInfos: set(ktri({ rid: c.rid, alg, encryptedKey: ek })) });
  const good = c.f.pkcs1(c.cek32);
  add('ek-empty.der', 'an empty encrypted key', withEk(new Uint8Array(0)), 'ok', DEC, { random: true });
  add('ek-shorter.der', 'an encrypted key one octet shorter than the modulus', withEk(good.subarray(1)), 'ok', DEC, { random: true });
  add('ek-longer.der', 'an encrypted key one octet longer than the modulus (a leading 00)', withEk(concat(Uint8Array.of(0), good)), 'ok', DEC, { random: true });
  add('ek-equal-modulus.der', 'an encrypted key equal to the modulus n', withEk(c.m.n), 'ok', DEC, { random: true });
  add('ek-all-ff.der', 'an encrypted key of k octets FF (≥ n)', withEk(new Uint8Array(c.f.k).fill(0xff)), 'ok', DEC, { random: true });
  add('ek-constructed.ber', 'the encrypted key as a constructed OCTET STRING of two segments (valid BER)', withEk({ raw: tlv(0x24, octets(good.subarray(0, 100)), octets(good.subarray(100))) }), 'ok', 'ok');
  add('ek-not-octet-string.der', 'the encrypted key as an INTEGER', withEk({ raw: tlv(0x02, good) }), MAL, MAL);
  for (const flaw of ['first-byte', 'block-type', 'no-separator', 'short-ps'] as const) {
    add(`pkcs1-bad-${flaw}.der`, `PKCS#1 v1.5 padding with a bad ${flaw.replace('-', ' ')}`, withEk(c.f.pkcs1(c.cek32, flaw)), 'ok', DEC, { random: true });
  }
  add('pkcs1-cek-16-for-aes256.der', 'PKCS#1 v1.5, correct padding, a 16-byte key where AES-256 needs 32', withEk(c.f.pkcs1(c.cek32.subarray(0, 16))), 'ok', DEC, { random: true });
  add('pkcs1-cek-33-for-aes256.der', 'PKCS#1 v1.5, correct padding, a 33-byte key', withEk(c.f.pkcs1(concat(c.cek32, Uint8Array.of(0)))), 'ok', DEC, { random: true });
  add('pkcs1-cek-empty.der', 'PKCS#1 v1.5, correct padding, an empty key', withEk(c.f.pkcs1(new Uint8Array(0))), 'ok', DEC, { random: true });
  add('pkcs1-wrong-key.der', 'the CEK encrypted to another key under our identifier', withEk(c.fOther.pkcs1(c.cek32)), 'ok', DEC, { random: true });
  add('pkcs1-params-absent.der', 'rsaEncryption without its NULL parameters (accepted, as openssl does)', withEk(good, algId(OIDS.rsaEncryption)), 'ok', 'ok');

  // --- OAEP ---
  const oaepAlg = (p: Uint8Array | undefined): Uint8Array => algId(OIDS.rsaesOaep, p);
  const sha256Params = oaepParams({ hash: OIDS.sha256, mgf1Hash: OIDS.sha256 });
  const o256 = { hash: 'sha256', mgf1Hash: 'sha256' } as const;
  add('oaep-valid-sha256.der', 'RSAES-OAEP SHA-256 / MGF1-SHA-256, correct', withEk(c.f.oaep(c.cek32, o256), oaepAlg(sha256Params)), 'ok', 'ok');
  add('oaep-valid-defaults.der', 'RSAES-OAEP with the all-defaults parameters 30 00 (SHA-1)', withEk(c.f.oaep(c.cek32, { hash: 'sha1', mgf1Hash: 'sha1' }), oaepAlg(seq())), 'ok', 'ok');
  add('oaep-label-mismatch.der', 'OAEP encrypted with label "p7m", parameters say the empty label', withEk(c.f.oaep(c.cek32, { ...o256, label: Buffer.from('p7m') }), oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  add('oaep-label-in-params.der', 'parameters carry a label the encryption did not use', withEk(c.f.oaep(c.cek32, o256), oaepAlg(oaepParams({ hash: OIDS.sha256, mgf1Hash: OIDS.sha256, label: Buffer.from('x') }))), 'ok', DEC, { random: true });
  add('oaep-hash-mismatch.der', 'OAEP encrypted with SHA-1, parameters say SHA-256', withEk(c.f.oaep(c.cek32, { hash: 'sha1', mgf1Hash: 'sha256' }), oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  add('oaep-mgf-mismatch.der', 'OAEP with MGF1-SHA-1, parameters say MGF1-SHA-256', withEk(c.f.oaep(c.cek32, { hash: 'sha256', mgf1Hash: 'sha1' }), oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  for (const flaw of ['y-nonzero', 'no-separator', 'lhash'] as const) {
    add(`oaep-bad-${flaw}.der`, `OAEP padding with a bad ${flaw.replace('-', ' ')}`, withEk(c.f.oaep(c.cek32, o256, flaw), oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  }
  add('oaep-cek-16-for-aes256.der', 'OAEP, correct padding, a 16-byte key where AES-256 needs 32', withEk(c.f.oaep(c.cek32.subarray(0, 16), o256), oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  add('oaep-params-pkcs1-ciphertext.der', 'OAEP parameters, but the encrypted key is PKCS#1 v1.5: no fallback', withEk(good, oaepAlg(sha256Params)), 'ok', DEC, { random: true });
  add('pkcs1-alg-oaep-ciphertext.der', 'rsaEncryption, but the encrypted key is OAEP', withEk(c.f.oaep(c.cek32, o256)), 'ok', DEC, { random: true });
  // Malformed parameters: refused, never read as defaults, never a reason to try PKCS#1 v1.5 (the key is PKCS#1 here).
  add('oaep-params-absent.der', 'id-RSAES-OAEP without parameters (RFC 4055 §4.1: MUST be present); the key is PKCS#1 v1.5', withEk(good, oaepAlg(undefined)), 'ok', MAL);
  add('oaep-params-null.der', 'id-RSAES-OAEP with NULL parameters', withEk(good, oaepAlg(nul())), 'ok', MAL);
  add('oaep-params-octet-string.der', 'id-RSAES-OAEP with an OCTET STRING for parameters', withEk(good, oaepAlg(octets(Uint8Array.of(1, 2, 3)))), 'ok', MAL);
  add('oaep-params-unknown-hash.der', 'OAEP hash MD5', withEk(good, oaepAlg(oaepParams({ hash: OIDS.md5 }))), 'ok', ALG);
  add('oaep-params-unknown-mgf.der', 'OAEP mask generation function other than MGF1', withEk(good, oaepAlg(seq(ctx(1, algId('1.2.840.113549.1.1.99', algId(OIDS.sha256, nul())))))), 'ok', ALG);
  add('oaep-params-unknown-psource.der', 'OAEP pSourceFunc other than pSpecified', withEk(good, oaepAlg(seq(ctx(2, algId('1.2.840.113549.1.1.98', octets(new Uint8Array(0))))))), 'ok', ALG);
  add('oaep-params-hash-params-integer.der', 'OAEP hash parameters an INTEGER (must be absent or NULL)', withEk(good, oaepAlg(oaepParams({ hash: OIDS.sha256, hashParams: int(1) }))), 'ok', MAL);
  add('oaep-params-out-of-order.der', 'OAEP parameter fields [1] before [0]', withEk(good, oaepAlg(seq(ctx(1, algId(OIDS.mgf1, algId(OIDS.sha256, nul()))), ctx(0, algId(OIDS.sha256, nul()))))), 'ok', MAL);
  add('oaep-params-mgf-without-hash.der', 'MGF1 without its hash', withEk(good, oaepAlg(seq(ctx(1, algId(OIDS.mgf1))))), 'ok', MAL);
  add('oaep-params-label-not-octets.der', 'pSpecified label is an INTEGER', withEk(good, oaepAlg(seq(ctx(2, algId(OIDS.pSpecified, int(5)))))), 'ok', MAL);
  add('oaep-params-extra-field.der', 'OAEP parameters with a fourth field [3]', withEk(good, oaepAlg(seq(ctx(0, algId(OIDS.sha256, nul())), ctx(3, nul())))), 'ok', MAL);
  add('keytransport-unknown.der', 'a key-transport algorithm OID p7m does not know, under our identifier', withEk(good, algId('1.2.840.113549.1.1.99', nul())), 'ok', ALG);

  // --- content encryption ---
  const cea = (alg: Uint8Array, ct = c.ct): Uint8Array => c.msg({ contentAlg: alg, encryptedContent: encryptedContent(ct) });
  add('cea-unknown.der', 'content-encryption OID 1.2.3.4', cea(algId('1.2.3.4', octets(c.iv))), 'ok', ALG);
  add('cea-rc2.der', 'RC2-CBC (refused: RFC 8551 §2.7)', cea(algId(OIDS.rc2Cbc, seq(int(58), octets(c.iv.subarray(0, 8))))), 'ok', ALG);
  add('cea-des.der', 'DES-CBC (refused)', cea(algId(OIDS.desCbc, octets(c.iv.subarray(0, 8)))), 'ok', ALG);
  add('cea-aes-gcm.der', 'AES-256-GCM in EnvelopedData (AuthEnvelopedData only, RFC 5084 §1)', cea(algId(OIDS.aes256Gcm, seq(octets(c.iv.subarray(0, 12))))), 'ok', ALG);
  add('cea-mismatch-aes128.der', 'content encrypted with AES-256 (32-byte CEK), algorithm says AES-128', cea(c.aesAlg(c.iv, OIDS.aes128Cbc)), 'ok', DEC, { random: true });
  {
    // A 24-byte CEK, content encrypted with AES-192, algorithm says 3DES (24-byte key too): garbage out.
    const cek24 = c.cek32.subarray(0, 24);
    const ct192 = c.f.cbc('aes-192-cbc', cek24, c.iv, CONTENT);
    add('cea-mismatch-3des-for-aes192.der', 'content encrypted with AES-192, algorithm says 3DES (same key size)',
      c.msg({ recipientInfos: set(c.ri(cek24)), contentAlg: algId(OIDS.desEde3Cbc, octets(c.iv.subarray(0, 8))), encryptedContent: encryptedContent(ct192) }), 'ok', DEC, { random: true });
    const ct3des = c.f.cbc('des-ede3-cbc', cek24, c.iv.subarray(0, 8), CONTENT);
    add('cea-3des.der', '3DES-CBC, read for openssl compatibility', c.msg({ recipientInfos: set(c.ri(cek24)), contentAlg: algId(OIDS.desEde3Cbc, octets(c.iv.subarray(0, 8))), encryptedContent: encryptedContent(ct3des) }), 'ok', 'ok');
  }
  for (const n of [0, 8, 15, 17]) add(`iv-${n}.der`, `a CBC IV of ${n} bytes`, cea(c.aesAlg(concat(c.iv, new Uint8Array(1)).subarray(0, n))), 'ok', MAL);
  add('iv-absent.der', 'AES-CBC without parameters (no IV)', cea(algId(OIDS.aes256Cbc)), 'ok', MAL);
  add('iv-null.der', 'AES-CBC with NULL parameters', cea(algId(OIDS.aes256Cbc, nul())), 'ok', MAL);
  add('iv-integer.der', 'AES-CBC with an INTEGER for the IV', cea(algId(OIDS.aes256Cbc, int(5))), 'ok', MAL);
  add('iv-constructed.ber', 'the IV as a constructed OCTET STRING of two segments (valid BER)', cea(algId(OIDS.aes256Cbc, tlv(0x24, octets(c.iv.subarray(0, 5)), octets(c.iv.subarray(5))))), 'ok', 'ok');
  add('alg-three-fields.der', 'content-encryption AlgorithmIdentifier with three fields', cea(seq(oid(OIDS.aes256Cbc), octets(c.iv), nul())), MAL, MAL);
  add('ct-empty.der', 'an empty ciphertext (CBC with padding gives at least one block)', cea(c.aesAlg(), new Uint8Array(0)), 'ok', MAL);
  add('ct-15-bytes.der', 'a 15-byte ciphertext: not a multiple of the block size', cea(c.aesAlg(), c.ct.subarray(0, 15)), 'ok', MAL);
  add('ct-one-byte-short.der', 'the ciphertext minus its last byte', cea(c.aesAlg(), c.ct.subarray(0, c.ct.length - 1)), 'ok', MAL);
  add('ct-segments-not-block-multiple.ber', 'a constructed ciphertext whose segments add up to a non-multiple of 16',
    c.msg({ indefinite: true, encryptedContent: encryptedContentSegments(c.ct.subarray(0, c.ct.length - 3), 7) }), 'ok', MAL);
  {
    const bad = (pad: Uint8Array, name: string, what: string): void => {
      const plain = CONTENT.subarray(0, 32); // two whole blocks, then a padding block we choose
      add(name, what, cea(c.aesAlg(), c.f.cbc('aes-256-cbc', c.cek32, c.iv, plain, pad)), 'ok', DEC);
    };
    bad(new Uint8Array(16).fill(0), 'cbc-padding-zero.der', 'last block padded with 00 bytes');
    bad(new Uint8Array(16).fill(17), 'cbc-padding-17.der', 'last block padded with 11 (17 > block size)');
    bad(concat(new Uint8Array(12).fill(4), Uint8Array.of(3, 4, 4, 4)), 'cbc-padding-inconsistent.der', 'last block 04 04 04 with a 03 among them');
    bad(concat(new Uint8Array(15).fill(0x41), Uint8Array.of(0)), 'cbc-padding-last-00.der', 'last byte 00');
  }
  add('ct-wrong-tag.der', 'encryptedContent as a universal OCTET STRING (04) instead of [0]', c.msg({ encryptedContent: octets(c.ct) }), MAL, MAL);
  add('ct-segment-wrong-tag.ber', 'a constructed encryptedContent with an INTEGER segment', c.msg({ indefinite: true, encryptedContent: indef(0xa0, octets(c.ct.subarray(0, 16)), int(5)) }), MAL, MAL);
  add('ct-detached.der', 'no encryptedContent (detached content)', c.msg({ encryptedContent: null }), CON, CON);
  add('unprotected-attrs.der', 'unprotectedAttrs present (allowed by RFC 5652 §6.1)', c.msg({ version: int(2), unprotectedAttrs: ctx(1, seq(oid('1.2.3.4'), set(int(1)))) }), 'ok', 'ok');
  add('unprotected-attrs-wrong-tag.der', 'an element [2] after EncryptedContentInfo', c.msg({ unprotectedAttrs: ctx(2, nul()) }), MAL, MAL);

  // --- content types ---
  add('contenttype-signeddata.der', 'a SignedData ContentInfo given to decrypt', seq(oid(OIDS.signedData), ctx(0, seq(int(1)))), CON, CON);
  add('contenttype-authenveloped.der', 'an EnvelopedData labelled AuthEnvelopedData (RFC 5083): no mac, and AES-CBC, which does not authenticate', c.msg({ contentInfoType: oid(OIDS.authEnvelopedData) }), MAL, ALG);
  add('contenttype-data.der', 'id-data at the top', seq(oid(OIDS.data), ctx(0, octets(CONTENT))), CON, CON);
  add('contenttype-unknown.der', 'content type 1.2.3.4', c.msg({ contentInfoType: oid('1.2.3.4') }), CON, CON);
  add('contentinfo-no-content.der', 'a ContentInfo with its content type only', seq(oid(OIDS.envelopedData)), MAL, MAL);
  add('contentinfo-implicit-content.der', 'ContentInfo content not wrapped in [0] EXPLICIT', concat(seq(oid(OIDS.envelopedData), valid.subarray(find(valid, Uint8Array.of(0xa0)) + 4))), MAL, MAL);

  // --- armor ---
  add('pem-wrong-label.pem', 'a PEM CERTIFICATE given as a message', pem(valid, 'CERTIFICATE'), MAL, MAL);
  add('pem-no-end.pem', 'PEM without its END line', Buffer.from(Buffer.from(pem(valid)).toString().replace(/-----END CMS-----\n/, '')), MAL, MAL);
  add('pem-bad-char.pem', 'PEM body with a character outside base64', Buffer.from(Buffer.from(pem(valid)).toString().replace(/\n([A-Za-z0-9+/]{10})/, '\n$1!')), MAL, MAL);
  add('pem-truncated-base64.pem', 'PEM body missing its last base64 character', Buffer.from(Buffer.from(pem(valid)).toString().replace(/.\n-----END/, '\n-----END')), MAL, MAL);
  add('pem-data-after-padding.pem', 'base64 continuing after = padding', Buffer.from(Buffer.from(pem(concat(valid, Uint8Array.of(1)))).toString().replace(/\n-----END/, 'QUJD\n-----END')), MAL, MAL);
  add('pem-long-first-line.pem', 'a 2,000-character first line', Buffer.from('-----BEGIN CMS-----' + ' '.repeat(2000) + '\n'), MAL, MAL);
  add('pem-garbage.pem', 'PEM around bytes that are not BER', pem(Buffer.from('this is not a CMS message at all')), MAL, MAL);
  add('smime-multipart-signed.eml', 'a clear-signed multipart/signed entity', Buffer.from('MIME-Version: 1.0\r\nContent-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary=x\r\n\r\n--x\r\n'), CON, CON);
  add('smime-text-plain.eml', 'a MIME entity of type text/plain', Buffer.from('Content-Type: text/plain\r\n\r\nhello\r\n'), MAL, MAL);
  add('smime-no-content-type.eml', 'a MIME entity without Content-Type', Buffer.from('Subject: x\r\n\r\nMIIB\r\n'), MAL, MAL);
  add('smime-no-body.eml', 'MIME headers and no blank line', Buffer.from('Content-Type: application/pkcs7-mime\r\n'), MAL, MAL);
  add('smime-quoted-printable.eml', 'Content-Transfer-Encoding quoted-printable', smime(valid, 'Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: quoted-printable\r\n'), MAL, MAL);
  add('smime-bad-header-line.eml', 'a header line without a colon', Buffer.from('Content-Type: application/pkcs7-mime\r\nthis line has no colon\r\n\r\nMIIB\r\n'), MAL, MAL);
  add('smime-header-70k.eml', 'a 70 KB header block (limit 64 KB)', Buffer.from('Content-Type: application/pkcs7-mime\r\nX-Filler: ' + 'a'.repeat(70_000) + '\r\n\r\nMIIB\r\n'), MAL, MAL);
  add('smime-binary.eml', 'Content-Transfer-Encoding binary with a DER body', concat(Buffer.from('Content-Type: application/pkcs7-mime\r\nContent-Transfer-Encoding: binary\r\n\r\n'), valid), 'ok', 'ok');
  add('smime-bad-base64.eml', 'an S/MIME body with a character outside base64', Buffer.from(Buffer.from(smime(valid)).toString().replace(/\r\n\r\n(.{5})/, '\r\n\r\n$1*')), MAL, MAL);
  add('garbage-text.bin', 'text that is neither DER, PEM nor MIME', Buffer.from('hello, this is not a message\n'), MAL, MAL);
  add('garbage-binary.bin', 'random bytes starting with 30', concat(Uint8Array.of(0x30), c.f.rng.bytes(300)), MAL, MAL);
  // Last: they draw from the PRNG, and the cases above keep their bytes.
  // --- AuthEnvelopedData (RFC 5083, AES-GCM RFC 5084) ---
  add('auth-gcm-valid.der', 'a well-formed AuthEnvelopedData, AES-256-GCM, 16-byte tag', c.authMsg(), 'ok', 'ok');
  add('auth-gcm-tag12-default.der', 'a 12-byte tag with aes-ICVlen left to its DEFAULT', c.authMsg({ tagLength: 12, paramsTagLength: null }), 'ok', 'ok');
  add('auth-gcm-tag-flipped.der', 'one bit of the tag changed', c.authMsg({ flipTag: true }), 'ok', DEC);
  add('auth-gcm-no-mac.der', 'no mac after the encrypted content', c.authMsg({ mac: null }), MAL, MAL);
  add('auth-gcm-mac-short.der', 'a 15-byte tag where the parameters say 16', c.authMsg({ mac: octets(new Uint8Array(15)) }), 'ok', MAL);
  add('auth-gcm-mac-huge.der', 'a 100-byte mac', c.authMsg({ mac: octets(new Uint8Array(100)) }), MAL, MAL);
  add('auth-gcm-mac-constructed.der', 'the mac as a constructed OCTET STRING', c.authMsg({ mac: tlv(0x24, octets(new Uint8Array(16))) }), MAL, MAL);
  add('auth-gcm-version-2.der', 'AuthEnvelopedData version 2 (RFC 5083: always 0)', c.authMsg({ version: int(2) }), MAL, MAL);
  add('auth-gcm-auth-attrs.der', 'authAttrs before the mac (the tag would cover them: not read by a streaming reader)',
    c.authMsg({ beforeMac: [ctx(1, seq(oid('1.2.840.113549.1.9.3'), set(oid(OIDS.data))))] }), 'ok', CON);
  add('auth-gcm-unauth-attrs.der', 'unauthAttrs [2] after the mac (allowed)', c.authMsg({ after: [ctx(2, seq(oid('1.2.3.4'), set(int(1))))] }), 'ok', 'ok');
  add('auth-gcm-trailing-element.der', 'an INTEGER after the mac', c.authMsg({ after: [int(1)] }), MAL, MAL);
  add('gcm-in-enveloped.der', 'AES-256-GCM parameters inside EnvelopedData (RFC 5084 §3: AuthEnvelopedData only)',
    c.msg({ contentAlg: algId(OIDS.aes256Gcm, seq(octets(c.iv.subarray(0, 12)), int(16))) }), 'ok', ALG);
  return out;
}

/** The big cases, made at run time by the tests (not committed). */
export function runtimeCases(c: Cases): (() => HostileCase)[] {
  const MB = 1 << 20;
  return [
    () => ({ name: 'oid-1mb-contenttype', what: 'a 1 MB content type OID', bytes: c.msg({ contentInfoType: tlv(0x06, hugeOid(MB)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'oid-1mb-cipher', what: 'a 1 MB content-encryption OID', bytes: c.msg({ contentAlg: seq(tlv(0x06, hugeOid(MB)), octets(c.iv)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'oid-1mb-keytransport', what: 'a 1 MB key-transport OID inside a RecipientInfo', bytes: c.msg({ recipientInfos: set(ktri({ rid: c.rid, alg: seq(tlv(0x06, hugeOid(MB)), nul()), encryptedKey: c.f.pkcs1(c.cek32) })) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'oid-1mb-one-arc', what: 'a content-encryption OID that is one arc of 1 MB', bytes: c.msg({ contentAlg: seq(tlv(0x06, concat(Uint8Array.of(0x60), new Uint8Array(MB).fill(0xff), Uint8Array.of(0x7f))), octets(c.iv)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'serial-1mb', what: 'a 1 MB RecipientInfo serial number', bytes: c.msg({ recipientInfos: set(ktri({ rid: ridIssuerSerial(c.m.issuer, new Uint8Array(MB).fill(0x11)), alg: c.pkcs1Alg, encryptedKey: c.f.pkcs1(c.cek32) })) }), inspect: 'ERR_MALFORMED_INPUT', decrypt: 'ERR_MALFORMED_INPUT' }),
    () => {
      // 100,000 small KTRIs addressed by SKI: 2.6 MB, inside the header budget, over maxRecipients.
      const one = ktri({ version: int(2), rid: ridSki(Uint8Array.of(1, 2, 3, 4)), alg: c.pkcs1Alg, encryptedKey: Uint8Array.of(0) });
      return { name: 'recipients-100000', what: '100,000 RecipientInfos (limit 10,000)', bytes: c.msg({ recipientInfos: tlv(0x31, repeat(one, 100_000)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' };
    },
    () => {
      const one = ktri({ version: int(2), rid: ridSki(Uint8Array.of(1, 2, 3, 4)), alg: c.pkcs1Alg, encryptedKey: Uint8Array.of(0) });
      return { name: 'recipients-100000-indefinite', what: '100,000 RecipientInfos in an indefinite SET', bytes: c.msg({ recipientInfos: concat(Uint8Array.of(0x31, 0x80), repeat(one, 100_000), Uint8Array.of(0, 0)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' };
    },
    () => ({ name: 'ciphertext-100000-segments', what: 'a constructed encryptedContent of 100,000 segments (valid BER)', bytes: segmented(c, 100_000), inspect: 'ok', decrypt: 'ok' }),
    () => {
      const cert = Buffer.from(Buffer.from(c.m.certPem).toString().replace(/-----[^-]+-----|\s/g, ''), 'base64');
      return { name: 'originator-10000-certificates', what: '10,000 real certificates in originatorInfo (12 MB, limit 1,000 certificates)', bytes: c.msg({ version: int(2), originatorInfo: ctx(0, tlv(0xa0, repeat(cert, 10_000))) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' };
    },
    () => ({ name: 'originator-10000-empty-certificates', what: '10,000 empty certificates in originatorInfo', bytes: c.msg({ version: int(2), originatorInfo: ctx(0, tlv(0xa0, repeat(seq(), 10_000))) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'nest-100000-indefinite-ciphertext', what: '100,000 nested indefinite constructed OCTET STRINGs', bytes: c.msg({ indefinite: true, encryptedContent: indef(0xa0, nest(99_999, 0x24, octets(c.ct), true)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
    () => ({ name: 'nest-100000-definite-recipientinfos', what: '100,000 nested definite SEQUENCEs inside recipientInfos', bytes: c.msg({ recipientInfos: set(nest(100_000, 0x30, int(0), false)) }), inspect: 'ERR_LIMIT_EXCEEDED', decrypt: 'ERR_LIMIT_EXCEEDED' }),
  ];
}

function hugeOid(n: number): Uint8Array {
  // 2.16.840.1 followed by single-octet arcs: a 1 MB OID of ~1M arcs.
  const b = new Uint8Array(n).fill(0x01);
  b.set(oidContent('2.16.840.1'));
  return b;
}

export function repeat(one: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(one.length * n);
  for (let i = 0; i < n; i++) out.set(one, i * one.length);
  return out;
}

function segmented(c: Cases, n: number): Uint8Array {
  // n segments of 1 byte (the ciphertext of an n-byte plaintext, rounded to whole blocks, then the rest).
  const plain = new Uint8Array(n - 16).fill(0x61);
  const ct = c.f.cbc('aes-256-cbc', c.cek32, c.iv, plain);
  const parts = new Uint8Array(ct.length * 3);
  for (let i = 0; i < ct.length; i++) { parts[3 * i] = 0x04; parts[3 * i + 1] = 1; parts[3 * i + 2] = ct[i]!; }
  return c.msg({ indefinite: true, encryptedContent: concat(Uint8Array.of(0xa0, 0x80), parts, Uint8Array.of(0, 0)) });
}
