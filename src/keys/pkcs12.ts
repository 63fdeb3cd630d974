/**
 * PKCS#12 / PFX files (RFC 7292) in password integrity and password privacy mode, as written by
 * - OpenSSL 3 by default: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) key and certificate bags, HMAC-SHA256 MAC;
 * - Windows, Java, OpenSSL before 3.0 or with -legacy: pbeWithSHAAnd3-KeyTripleDES-CBC key bag, certificates under
 *   pbeWithSHAAnd40BitRC2-CBC (or 3DES), HMAC-SHA1 MAC keyed by the Appendix B KDF;
 * - OpenSSL 3.4+ with -pbmac1_pbkdf2: a PBMAC1 MAC (RFC 9579).
 *
 * Order of work: parse the structure, verify the MAC (the one place a wrong password is told apart from a corrupt
 * file, RFC 7292 §5.1), then decrypt. The password getter is called only when the file has a MAC or encrypted parts.
 */
import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';
import { BadPasswordError, KeyFileError, LimitExceededError, UnsupportedAlgorithmError } from '../errors.js';
import { OID } from '../oids.js';
import { certificateMatchesKey, parseCertificate, type CertInfo } from './certificate.js';
import * as der from './der.js';
import { TAG, ctx } from './der.js';
import {
  deriveKey, parseEncryptedPrivateKeyInfo, passwordVariants, pbeDecrypt, pkcs12Kdf,
  type Password, type PbeLimits,
} from './pbe.js';
import { importKey, resolvePassword, type PasswordInput } from './private-key.js';
import { hashByHmacOid, hashByOid } from '../algorithms.js';

export interface Pkcs12 {
  key: KeyObject;
  /** The certificate whose public key is `key`'s. */
  certificate: CertInfo;
  /** The other certificates in the file, in file order. */
  chain: CertInfo[];
}

export interface Pkcs12Options extends PbeLimits {
  /** Most SafeBags read from one file (all levels). Default 1000. */
  maxBags?: number;
}

const MAX_SAFE_CONTENTS_DEPTH = 4;

/** What the walk over the bags carries along. */
interface Walk {
  keys: KeyObject[];
  certs: CertInfo[];
  count: number;
  readonly options: Pkcs12Options;
  readonly macVerified: boolean;
  /** Password encodings to try, resolved (and the password asked for) on first need. */
  readonly candidates: () => Promise<Password[]>;
}

/**
 * Loads the private key and certificates of a PKCS#12 file. Not PKCS#12 → KeyFileError; MAC fails → BadPasswordError;
 * encrypted and no password → PasswordRequiredError; unsupported schemes → UnsupportedAlgorithmError.
 */
export async function loadPkcs12(bytes: Uint8Array, password?: PasswordInput, options: Pkcs12Options = {}): Promise<Pkcs12> {
  if (bytes[0] !== TAG.SEQUENCE) throw new KeyFileError('not a PKCS#12 file: it is not DER (PEM cannot hold PKCS#12)');
  // PFX ::= SEQUENCE { version INTEGER {v3(3)}, authSafe ContentInfo, macData MacData OPTIONAL }
  const pfx = der.seq(der.parse(bytes, 'ber'), 'PFX');
  const version = der.smallInt(pfx.next(TAG.INTEGER, 'version'));
  if (version !== 3) throw new KeyFileError(`not a PKCS#12 v3 file (version ${version})`);
  const authSafe = contentInfo(pfx.next(TAG.SEQUENCE, 'authSafe'));
  const macData = pfx.optional(TAG.SEQUENCE);
  pfx.end();
  if (authSafe.type !== OID.data) {
    throw new UnsupportedAlgorithmError('PKCS#12 public-key integrity mode (a signed authSafe) is not supported');
  }
  const authSafeOctets = der.octets(authSafe.content);

  let text: string | undefined;
  const getText = async (): Promise<string> => (text ??= await resolvePassword(password, 'the PKCS#12 file'));

  // RFC 7292 §5.1 step 1: integrity first. With a MAC, the verified encoding of the password is also the one
  // the PKCS#12 PBE uses; without one, every encoding is a candidate.
  let candidates: Password[] | undefined;
  if (macData) {
    const variants = passwordVariants(await getText());
    const good: Password[] = [];
    for (const v of variants) {
      if (await verifyMac(macData, authSafeOctets, v, options)) {
        good.push(v);
        break;
      }
    }
    if (good.length === 0) throw new BadPasswordError('wrong password, or the PKCS#12 file is corrupt (MAC does not verify)');
    candidates = good;
  }
  const getCandidates = async (): Promise<Password[]> => (candidates ??= passwordVariants(await getText()));

  const bags: Walk = { keys: [], certs: [], count: 0, options, macVerified: macData !== undefined, candidates: getCandidates };
  const ctxs = der.seq(der.parse(authSafeOctets, 'ber'), 'AuthenticatedSafe').rest();
  for (const ci of ctxs) {
    const { type, content } = contentInfo(ci);
    if (type === OID.data) {
      await readSafeContents(der.octets(content), bags, 0);
    } else if (type === OID.encryptedData) {
      await readSafeContents(await decryptEncryptedData(content, bags), bags, 0);
    } else {
      throw new UnsupportedAlgorithmError(`PKCS#12 content of type ${type} (public-key privacy mode) is not supported`);
    }
  }

  if (bags.keys.length === 0) throw new KeyFileError('the PKCS#12 file holds no private key');
  if (bags.keys.length > 1) throw new KeyFileError(`the PKCS#12 file holds ${bags.keys.length} private keys; expected one`);
  const key = bags.keys[0]!;
  const certificate = bags.certs.find((c) => certificateMatchesKey(c, key));
  if (!certificate) {
    throw new KeyFileError(bags.certs.length === 0
      ? 'the PKCS#12 file holds no certificate'
      : 'no certificate in the PKCS#12 file matches its private key');
  }
  return { key, certificate, chain: bags.certs.filter((c) => c !== certificate) };
}

/** ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY } (RFC 5652 §3). */
function contentInfo(t: der.Tlv): { type: string; content: der.Tlv } {
  const r = der.seq(t, 'ContentInfo');
  const type = der.oid(r.next(TAG.OID, 'contentType'));
  const wrap = new der.Reader(r.next(ctx(0, true), 'content'), 'content');
  const content = wrap.any('content');
  wrap.end();
  r.end();
  return { type, content };
}

/**
 * MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING, iterations INTEGER DEFAULT 1 } (RFC 7292 §4).
 * The HMAC key comes from the Appendix B KDF (ID 3) with the MAC's own hash, or, for PBMAC1, from PBKDF2 over the
 * UTF-8 password (RFC 9579 §3, where macSalt and iterations are ignored).
 */
async function verifyMac(macData: der.Tlv, data: Uint8Array, password: Password, limits: PbeLimits): Promise<boolean> {
  const r = der.seq(macData, 'MacData');
  const di = der.seq(r.next(TAG.SEQUENCE, 'mac'), 'DigestInfo');
  const alg = der.algorithmIdentifier(di.next(TAG.SEQUENCE, 'digestAlgorithm'), 'digestAlgorithm');
  const expected = der.octets(di.next(TAG.OCTET_STRING, 'digest'));
  di.end();
  const salt = der.octets(r.next(TAG.OCTET_STRING, 'macSalt'));
  const itT = r.optional(TAG.INTEGER);
  r.end();
  const iterations = itT ? der.smallInt(itT) : 1;

  let hash: string;
  let key: Uint8Array;
  if (alg.oid === OID.pbmac1) {
    // PBMAC1-params ::= SEQUENCE { keyDerivationFunc AlgorithmIdentifier, messageAuthScheme AlgorithmIdentifier }
    if (!alg.params) throw new KeyFileError('PBMAC1 without parameters');
    const p = der.seq(alg.params, 'PBMAC1-params');
    const kdf = der.algorithmIdentifier(p.next(TAG.SEQUENCE, 'keyDerivationFunc'), 'keyDerivationFunc');
    const mac = der.algorithmIdentifier(p.next(TAG.SEQUENCE, 'messageAuthScheme'), 'messageAuthScheme');
    p.end();
    const h = hashByHmacOid(mac.oid)?.name;
    if (!h) throw new UnsupportedAlgorithmError(`unsupported PBMAC1 MAC ${mac.oid}`);
    if (kdf.oid !== OID.pbkdf2) throw new UnsupportedAlgorithmError(`unsupported PBMAC1 key derivation ${kdf.oid}`);
    hash = h;
    key = await deriveKey(kdf, password.utf8, undefined, limits); // RFC 9579 §3: keyLength MUST be present
  } else {
    hash = hashByOid(alg.oid).name;
    const max = limits.maxIterations ?? 10_000_000;
    if (iterations < 1) throw new KeyFileError('PKCS#12 MAC with an iteration count below 1');
    if (iterations > max) throw new LimitExceededError(`PKCS#12 MAC iteration count ${iterations} exceeds the limit ${max}`);
    const len = createHmac(hash, '').digest().length;
    key = pkcs12Kdf(hash, password.bmp, salt, iterations, 3, len);
  }
  const actual = createHmac(hash, key).update(data).digest();
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * EncryptedData ::= SEQUENCE { version INTEGER, encryptedContentInfo EncryptedContentInfo, unprotectedAttrs [1] … }
 * EncryptedContentInfo ::= SEQUENCE { contentType OID, contentEncryptionAlgorithm AlgorithmIdentifier,
 *                                     encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }   (RFC 5652 §8, §6.1)
 */
async function decryptEncryptedData(t: der.Tlv, walk: Walk): Promise<Uint8Array> {
  const r = der.seq(t, 'EncryptedData');
  der.smallInt(r.next(TAG.INTEGER, 'version'));
  const eci = der.seq(r.next(TAG.SEQUENCE, 'encryptedContentInfo'), 'EncryptedContentInfo');
  r.rest();
  const type = der.oid(eci.next(TAG.OID, 'contentType'));
  const alg = der.algorithmIdentifier(eci.next(TAG.SEQUENCE, 'contentEncryptionAlgorithm'), 'contentEncryptionAlgorithm');
  const enc = eci.any('encryptedContent');
  eci.end();
  if (type !== OID.data) throw new KeyFileError('PKCS#12 encrypted content is not SafeContents');
  const data = der.octets(enc, ctx(0, false));
  return decryptTrying(alg, data, walk, (plain) => {
    der.seq(der.parse(plain, 'ber'), 'SafeContents');
  });
}

/** Tries each password encoding; the first that decrypts to something `check` accepts wins. */
async function decryptTrying(
  alg: { oid: string; params?: der.Tlv },
  data: Uint8Array,
  walk: Walk,
  check: (plain: Uint8Array) => void,
): Promise<Uint8Array> {
  for (const pw of await walk.candidates()) {
    const plain = await pbeDecrypt(alg, pw, data, walk.options);
    if (!plain) continue;
    try {
      check(plain);
      return plain;
    } catch {
      continue;
    }
  }
  throw new BadPasswordError(walk.macVerified
    ? 'the PKCS#12 MAC verifies but a part of the file does not decrypt: it is corrupt or uses a second password'
    : undefined);
}

/** SafeContents ::= SEQUENCE OF SafeBag; SafeBag ::= SEQUENCE { bagId OID, bagValue [0] EXPLICIT ANY, bagAttributes SET OPTIONAL } */
async function readSafeContents(octets: Uint8Array, bags: Walk, depth: number): Promise<void> {
  if (depth > MAX_SAFE_CONTENTS_DEPTH) throw new LimitExceededError('PKCS#12 SafeContents nested too deep');
  const maxBags = bags.options.maxBags ?? 1000;
  for (const bag of der.seq(der.parse(octets, 'ber'), 'SafeContents').rest()) {
    if (++bags.count > maxBags) throw new LimitExceededError(`the PKCS#12 file holds more than ${maxBags} bags`);
    const r = der.seq(bag, 'SafeBag');
    const bagId = der.oid(r.next(TAG.OID, 'bagId'));
    const wrap = new der.Reader(r.next(ctx(0, true), 'bagValue'), 'bagValue');
    const value = wrap.any('bagValue');
    wrap.end();
    r.optional(TAG.SET); // bagAttributes (friendlyName, localKeyId): the key is matched by its public half instead
    r.end();
    switch (bagId) {
      case OID.keyBag:
        bags.keys.push(importKey(value.bytes, 'pkcs8'));
        break;
      case OID.pkcs8ShroudedKeyBag: {
        const { alg, data } = parseEncryptedPrivateKeyInfo(value);
        let key: KeyObject | undefined;
        await decryptTrying(alg, data, bags, (plain) => {
          key = importKey(plain, 'pkcs8');
        });
        bags.keys.push(key!);
        break;
      }
      case OID.certBag: {
        // CertBag ::= SEQUENCE { certId OID, certValue [0] EXPLICIT ANY }; x509Certificate: OCTET STRING of DER
        const c = der.seq(value, 'CertBag');
        const certId = der.oid(c.next(TAG.OID, 'certId'));
        const cw = new der.Reader(c.next(ctx(0, true), 'certValue'), 'certValue');
        const certValue = cw.any('certValue');
        cw.end();
        c.end();
        if (certId === OID.x509Certificate) bags.certs.push(parseCertificate(der.octets(certValue)));
        break;
      }
      case OID.safeContentsBag:
        await readSafeContents(value.bytes, bags, depth + 1);
        break;
      default:
        break; // crlBag, secretBag: nothing p7m uses
    }
  }
}
