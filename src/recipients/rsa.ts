/**
 * RSA key transport (RFC 5652 §6.2.1 KeyTransRecipientInfo): PKCS#1 v1.5 (rsaEncryption, RFC 3370 §4.2.1)
 * and RSAES-OAEP (RFC 3560, parameters per RFC 4055 §4.1).
 */
import type { KeyObject } from 'node:crypto';
import type { ContentCipher, HashName } from '../algorithms.js';
import { BadRecipientCertificateError, UnsupportedAlgorithmError } from '../errors.js';
import type { KeyTransRecipientInfo, RecipientId, RecipientInfo } from '../format/recipient-info.js';
import { decodeOaepParams, encodeOaepParams } from '../format/oaep-params.js';
import { type CertInfo, keyIdentifierOf } from '../keys/certificate.js';
import { OID } from '../oids.js';
import type { Identity, Match, Recipient } from '../recipient.js';
import { oaepEncrypt, unwrapOaepCek } from '../rsa/oaep.js';
import { pkcs1v15Encrypt, unwrapPkcs1Cek } from '../rsa/pkcs1.js';
import { rsaModulusBytes } from '../rsa/raw.js';

export type KeyTransport = 'pkcs1' | 'oaep';
export type RidKind = 'issuer-serial' | 'ski';

const NULL_PARAMS = Uint8Array.of(0x05, 0x00);
const RSA_KEY_TRANSPORT = new Set<string>([OID.rsaEncryption, OID.rsaesOaep]);

/** Minimum modulus for new messages (NIST SP 800-131A: RSA below 2048 bits is disallowed). */
export const MIN_RSA_BITS = 2048;

/**
 * Refuse certificates that must not receive messages: checked at encryption time, once, at the
 * boundary (the noble habit). `allowExpired` only lifts the validity-period check.
 */
export function checkRecipientCertificate(cert: CertInfo, opts: { now: Date; allowExpired?: boolean }): void {
  // The subject is formatted only for a refusal (it is computed lazily: src/keys/certificate.ts).
  const refuse = (why: string): never => { throw new BadRecipientCertificateError(`certificate ${cert.subject} ${why}`); };
  if (cert.keyType !== 'rsa') refuse(`has a key of type ${cert.keyType.toUpperCase()}; only RSA recipients are supported`);
  if ((cert.rsaBits ?? 0) < MIN_RSA_BITS) refuse(`has a ${cert.rsaBits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
  if (cert.keyUsage && !cert.keyUsage.keyEncipherment) refuse('does not allow key encipherment (keyUsage)');
  if (!opts.allowExpired) {
    if (opts.now < cert.notBefore) refuse(`is not valid before ${cert.notBefore.toISOString()}`);
    if (opts.now > cert.notAfter) refuse(`expired on ${cert.notAfter.toISOString()}`);
  }
}

export class RsaRecipient implements Recipient {
  private readonly rid: RecipientId;
  private readonly alg: { oid: string; params: Uint8Array };
  private readonly oaepHash: HashName;

  constructor(private readonly cert: CertInfo, opts: { keyTransport: KeyTransport; oaepHash: HashName; rid: RidKind }) {
    if (opts.rid === 'ski') {
      // RFC 5652 §6.2.1: the identifier must be the certificate's own subjectKeyIdentifier extension.
      if (!cert.subjectKeyIdentifier) {
        throw new BadRecipientCertificateError(`certificate ${cert.subject} has no subject key identifier; use --rid issuer-serial`);
      }
      this.rid = { kind: 'ski', ski: cert.subjectKeyIdentifier };
    } else {
      this.rid = { kind: 'issuerSerial', issuerDer: cert.issuerDer, serial: cert.serial };
    }
    this.oaepHash = opts.oaepHash;
    this.alg = opts.keyTransport === 'oaep'
      ? { oid: OID.rsaesOaep, params: encodeOaepParams({ hash: opts.oaepHash, mgf1Hash: opts.oaepHash, label: new Uint8Array(0) }) }
      : { oid: OID.rsaEncryption, params: NULL_PARAMS };
  }

  wrap(cek: Uint8Array): KeyTransRecipientInfo {
    const pub = this.cert.publicKey;
    const encryptedKey = this.alg.oid === OID.rsaesOaep
      ? oaepEncrypt(pub, cek, { hash: this.oaepHash, mgf1Hash: this.oaepHash, label: new Uint8Array(0) })
      : pkcs1v15Encrypt(pub, cek);
    return {
      type: 'ktri',
      version: this.rid.kind === 'ski' ? 2 : 0,
      rid: this.rid,
      keyEncryptionAlgorithm: this.alg,
      encryptedKey,
    };
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** INTEGER contents compared as numbers: a leading 00 (sign octet) does not make a different serial. */
function serialEqual(a: Uint8Array, b: Uint8Array): boolean {
  const strip = (x: Uint8Array): Uint8Array => { let i = 0; while (i < x.length - 1 && x[i] === 0) i++; return x.subarray(i); };
  return bytesEqual(strip(a), strip(b));
}

export class RsaIdentity implements Identity {
  private readonly modulusBytes: number;
  private readonly keyId: Uint8Array;

  constructor(private readonly key: KeyObject, private readonly cert?: CertInfo) {
    if (key.asymmetricKeyType !== 'rsa') {
      throw new UnsupportedAlgorithmError(`the private key is ${key.asymmetricKeyType ?? 'unknown'}; only RSA keys can decrypt key-transport recipients`);
    }
    this.modulusBytes = rsaModulusBytes(key);
    this.keyId = keyIdentifierOf(cert?.publicKey ?? key);
  }

  match(ri: RecipientInfo): Match {
    if (ri.type !== 'ktri') return 'no';
    const rid = ri.rid;
    if (this.cert) {
      if (rid.kind === 'issuerSerial') {
        return bytesEqual(rid.issuerDer, this.cert.issuerDer) && serialEqual(rid.serial, this.cert.serial) ? 'yes' : 'no';
      }
      const ski = this.cert.subjectKeyIdentifier ?? this.keyId;
      return bytesEqual(rid.ski, ski) ? 'yes' : 'no';
    }
    if (rid.kind === 'ski' && bytesEqual(rid.ski, this.keyId)) return 'yes';
    // A bare key cannot check an issuer and serial: any RSA recipient of our modulus size may be ours.
    return RSA_KEY_TRANSPORT.has(ri.keyEncryptionAlgorithm.oid) && ri.encryptedKey.length === this.modulusBytes ? 'maybe' : 'no';
  }

  unwrap(ri: RecipientInfo, cipher: ContentCipher): Uint8Array {
    if (ri.type !== 'ktri') throw new UnsupportedAlgorithmError(`cannot unwrap a ${ri.type} recipient with an RSA key`);
    const alg = ri.keyEncryptionAlgorithm;
    if (alg.oid === OID.rsaEncryption) return unwrapPkcs1Cek(this.key, ri.encryptedKey, cipher.keyLength);
    if (alg.oid === OID.rsaesOaep) return unwrapOaepCek(this.key, ri.encryptedKey, decodeOaepParams(alg.params), cipher.keyLength);
    throw new UnsupportedAlgorithmError(`unsupported key transport algorithm ${alg.oid}`);
  }
}
