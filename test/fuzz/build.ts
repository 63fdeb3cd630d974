/**
 * Hand-built CMS messages for the hostile corpus (scripts/make-hostile-corpus.ts) and the hostile tests
 * (test/hostile.test.ts): every field can be replaced, and the crypto is deterministic (a seeded PRNG
 * for keys, IVs and padding; raw RSA for the key transport), so that the committed corpus is the same
 * on every run of the generator, and bad paddings of every kind can be made on purpose.
 */
import { oidContent } from '../../src/format/der.js';
import { type KeyObject, constants, createCipheriv, createHash, createPublicKey, publicEncrypt } from 'node:crypto';
import { Prng } from './prng.js';
import { concat, lengthOctets } from './ber.js';

// --- ASN.1 ---

export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  md5: '1.2.840.113549.2.5',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  desEde3Cbc: '1.2.840.113549.3.7',
  desCbc: '1.3.14.3.2.7',
  rc2Cbc: '1.2.840.113549.3.2',
} as const;

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), lengthOctets(body.length), body);
}
/** Constructed, indefinite length: tag 80 … 00 00. */
export function indef(tag: number, ...content: Uint8Array[]): Uint8Array {
  return concat(Uint8Array.of(tag, 0x80), ...content, Uint8Array.of(0, 0));
}
export const seq = (...c: Uint8Array[]): Uint8Array => tlv(0x30, ...c);
export const set = (...c: Uint8Array[]): Uint8Array => tlv(0x31, ...c);
export const ctx = (n: number, ...c: Uint8Array[]): Uint8Array => tlv(0xa0 | n, ...c);
export const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
export const nul = (): Uint8Array => Uint8Array.of(0x05, 0x00);
export const int = (n: number | Uint8Array): Uint8Array => tlv(0x02, typeof n === 'number' ? intBytes(n) : n);

function intBytes(n: number): Uint8Array {
  const b: number[] = [];
  let v = n;
  do { b.unshift(v & 0xff); v = Math.floor(v / 256); } while (v > 0);
  if (b[0]! & 0x80) b.unshift(0);
  return Uint8Array.from(b);
}

export { oidContent };
export const oid = (dotted: string): Uint8Array => tlv(0x06, oidContent(dotted));
export const algId = (o: string, params?: Uint8Array): Uint8Array => seq(oid(o), ...(params ? [params] : []));

/** DER of the Name and the serial INTEGER contents of a certificate (PEM or DER). */
export function issuerAndSerial(certPemOrDer: Uint8Array): { issuer: Uint8Array; serial: Uint8Array; ski?: Uint8Array } {
  const text = Buffer.from(certPemOrDer).toString('latin1');
  const der = text.includes('-----BEGIN') ? Buffer.from(text.replace(/-----[^-]+-----|\s/g, ''), 'base64') : Buffer.from(certPemOrDer);
  // Certificate → tbsCertificate → [0] version, serial, signature, issuer.
  const read = (b: Uint8Array, at: number): { hdr: number; len: number } => {
    const first = b[at + 1]!;
    if (first < 0x80) return { hdr: 2, len: first };
    const n = first & 0x7f;
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[at + 2 + i]!;
    return { hdr: 2 + n, len };
  };
  let p = read(der, 0).hdr; // into Certificate
  p += read(der, p).hdr; // into tbsCertificate
  if (der[p] === 0xa0) { const e = read(der, p); p += e.hdr + e.len; }
  const s = read(der, p);
  const serial = new Uint8Array(der.subarray(p + s.hdr, p + s.hdr + s.len));
  p += s.hdr + s.len;
  const sig = read(der, p); p += sig.hdr + sig.len;
  const iss = read(der, p);
  const issuer = new Uint8Array(der.subarray(p, p + iss.hdr + iss.len));
  // SKI: find the extension OID 2.5.29.14 followed by OCTET STRING { OCTET STRING ski }.
  const marker = Buffer.from([0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04]);
  const at = der.indexOf(marker);
  let ski: Uint8Array | undefined;
  if (at >= 0) { const o = at + marker.length + 1; ski = new Uint8Array(der.subarray(o + 2, o + 2 + der[o + 1]!)); }
  return ski ? { issuer, serial, ski } : { issuer, serial };
}

/** KeyTransRecipientInfo with any field given raw. */
export function ktri(p: { version?: Uint8Array; rid: Uint8Array; alg: Uint8Array; encryptedKey: Uint8Array | { raw: Uint8Array } }): Uint8Array {
  const ek = 'raw' in p.encryptedKey ? p.encryptedKey.raw : octets(p.encryptedKey);
  return seq(p.version ?? int(0), p.rid, p.alg, ek);
}
export const ridIssuerSerial = (issuer: Uint8Array, serial: Uint8Array): Uint8Array => seq(issuer, int(serial));
export const ridSki = (ski: Uint8Array): Uint8Array => tlv(0x80, ski);

export interface EnvelopeParts {
  contentInfoType?: Uint8Array;
  version?: Uint8Array;
  originatorInfo?: Uint8Array;
  recipientInfos: Uint8Array;
  contentType?: Uint8Array;
  contentAlg: Uint8Array;
  /** The whole encryptedContent element, or null to leave it out (detached). */
  encryptedContent: Uint8Array | null;
  unprotectedAttrs?: Uint8Array;
  /** Indefinite lengths on ContentInfo, [0], EnvelopedData and EncryptedContentInfo. */
  indefinite?: boolean;
}

export function envelope(p: EnvelopeParts): Uint8Array {
  const wrap = p.indefinite ? indef : tlv;
  const eci = wrap(0x30, p.contentType ?? oid(OIDS.data), p.contentAlg, ...(p.encryptedContent ? [p.encryptedContent] : []));
  const ed = wrap(0x30, p.version ?? int(0), ...(p.originatorInfo ? [p.originatorInfo] : []), p.recipientInfos, eci, ...(p.unprotectedAttrs ? [p.unprotectedAttrs] : []));
  return wrap(0x30, p.contentInfoType ?? oid(OIDS.envelopedData), wrap(0xa0, ed));
}

/** encryptedContent [0] IMPLICIT OCTET STRING, primitive. */
export const encryptedContent = (ct: Uint8Array): Uint8Array => tlv(0x80, ct);
/** encryptedContent as a constructed string of segments (BER). */
export function encryptedContentSegments(ct: Uint8Array, segment: number, indefinite = true): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < ct.length; i += segment) parts.push(octets(ct.subarray(i, i + segment)));
  return indefinite ? indef(0xa0, ...parts) : tlv(0xa0, ...parts);
}

// --- deterministic crypto ---

type Hash = 'sha1' | 'sha256' | 'sha384' | 'sha512';
const HLEN: Record<Hash, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

function mgf1(hash: Hash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let c = 0, pos = 0; pos < length; c++) {
    const block = createHash(hash).update(seed).update(Uint8Array.of(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff)).digest();
    out.set(block.subarray(0, Math.min(block.length, length - pos)), pos);
    pos += block.length;
  }
  return out;
}

export type Pkcs1Flaw = 'none' | 'first-byte' | 'block-type' | 'no-separator' | 'short-ps';
export type OaepFlaw = 'none' | 'y-nonzero' | 'no-separator' | 'lhash';

export class Forge {
  readonly rng: Prng;
  readonly k: number;
  private readonly pub: KeyObject;

  constructor(seed: number, key: KeyObject) {
    this.rng = new Prng(seed);
    this.pub = key.type === 'private' ? createPublicKey(key) : key;
    this.k = (this.pub.asymmetricKeyDetails!.modulusLength! + 7) >> 3;
  }

  /** RSAEP on a k-byte representative that starts with 00 (so it is < n). */
  rsa(em: Uint8Array): Uint8Array {
    return new Uint8Array(publicEncrypt({ key: this.pub, padding: constants.RSA_NO_PADDING }, em));
  }

  /** RSAES-PKCS1-v1_5 (RFC 8017 §7.2.1) with deterministic padding, or with one flaw. */
  pkcs1(m: Uint8Array, flaw: Pkcs1Flaw = 'none'): Uint8Array {
    const em = new Uint8Array(this.k);
    em[1] = 2;
    const psLen = this.k - 3 - m.length;
    for (let i = 0; i < psLen; i++) em[2 + i] = 1 + this.rng.int(255);
    em.set(m, this.k - m.length);
    if (flaw === 'first-byte') { em[0] = 1; return this.rsaBelowN(em); }
    if (flaw === 'block-type') em[1] = 1;
    if (flaw === 'no-separator') em[this.k - m.length - 1] = 0x5a;
    if (flaw === 'short-ps') em[2 + 4] = 0; // a separator after 4 padding bytes: PS too short, M too long
    return this.rsa(em);
  }

  /** EM starting 01: still < n for our keys (top bit of n set, so n > 2^(8k-8)·0x80). */
  private rsaBelowN(em: Uint8Array): Uint8Array { return this.rsa(em); }

  /** RSAES-OAEP (RFC 8017 §7.1.1) with a deterministic seed, any hash/MGF/label, or one flaw. */
  oaep(m: Uint8Array, p: { hash: Hash; mgf1Hash: Hash; label?: Uint8Array }, flaw: OaepFlaw = 'none'): Uint8Array {
    const hLen = HLEN[p.hash];
    const lHash = createHash(p.hash).update(p.label ?? new Uint8Array(0)).digest();
    const dbLen = this.k - hLen - 1;
    const db = new Uint8Array(dbLen);
    db.set(flaw === 'lhash' ? lHash.map((x) => x ^ 0x01) : lHash, 0);
    db[dbLen - m.length - 1] = flaw === 'no-separator' ? 0x02 : 0x01;
    db.set(m, dbLen - m.length);
    const seed = this.rng.bytes(hLen);
    const maskedDb = db.map((x, i) => x ^ mgf1(p.mgf1Hash, seed, dbLen)[i]!);
    const maskedSeed = seed.map((x, i) => x ^ mgf1(p.mgf1Hash, maskedDb, hLen)[i]!);
    const em = concat(Uint8Array.of(0), maskedSeed, maskedDb);
    if (flaw === 'y-nonzero') em[0] = 1;
    return this.rsa(em);
  }

  /** CBC encryption with PKCS#7 padding, or with a given last-block padding. */
  cbc(cipher: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc', key: Uint8Array, iv: Uint8Array, plain: Uint8Array, pad?: Uint8Array): Uint8Array {
    const bs = cipher === 'des-ede3-cbc' ? 8 : 16;
    const padding = pad ?? new Uint8Array(bs - (plain.length % bs)).fill(bs - (plain.length % bs));
    const c = createCipheriv(cipher, key, iv);
    c.setAutoPadding(false);
    return new Uint8Array(Buffer.concat([c.update(concat(plain, padding)), c.final()]));
  }
}

/** RSAES-OAEP-params (RFC 4055 §4.1), each field given or left to its DEFAULT. */
export function oaepParams(p: { hash?: string; mgf1Hash?: string; label?: Uint8Array; hashParams?: Uint8Array | null }): Uint8Array {
  const hashAlg = (o: string): Uint8Array => algId(o, p.hashParams === null ? undefined : (p.hashParams ?? nul()));
  return seq(
    ...(p.hash ? [ctx(0, hashAlg(p.hash))] : []),
    ...(p.mgf1Hash ? [ctx(1, algId(OIDS.mgf1, hashAlg(p.mgf1Hash)))] : []),
    ...(p.label ? [ctx(2, algId(OIDS.pSpecified, octets(p.label)))] : []),
  );
}
