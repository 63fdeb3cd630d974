/**
 * Private key files: PKCS#1 RSA, SEC1 EC, PKCS#8, encrypted PKCS#8 (RFC 5958 §3), each as PEM or DER; legacy
 * OpenSSL encrypted PEM ("Proc-Type: 4,ENCRYPTED"); a PEM holding the key and its certificate(s); and, recognised by
 * its structure, a PKCS#12 file (handed to pkcs12.ts).
 *
 * The file's structure is read first and the password getter is called only when the key is encrypted, so the CLI
 * prompts only when it must.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { BadPasswordError, KeyFileError, PasswordRequiredError, UnsupportedAlgorithmError, UsageError } from '../errors.js';
import { certificateMatchesKey, parseCertificate, type CertInfo } from './certificate.js';
import * as der from './der.js';
import { TAG } from './der.js';
import type { PasswordSource } from './pass.js';
import type { PbeLimits } from './pbe.js';
import { detectEncoding, parsePem, type PemBlock } from './pem.js';

export interface LoadedKey {
  key: KeyObject;
  /** Every certificate in the file, in file order (for a PKCS#12 file: the key's certificate, then the chain). */
  certificates: CertInfo[];
  /** The certificate among `certificates` whose public key is this key's, if any. */
  certificate?: CertInfo;
}

export interface LoadKeyOptions extends PbeLimits {}

/** A password given directly, or a lazy getter (see pass.ts). */
export type PasswordInput = string | PasswordSource;

type KeyForm =
  | { kind: 'plain'; der: Uint8Array; type: 'pkcs1' | 'pkcs8' | 'sec1' }
  | { kind: 'encrypted-pkcs8'; tlv: der.Tlv }
  | { kind: 'legacy-pem'; block: PemBlock }
  | { kind: 'pkcs12' };

/** RFC 1421 DEK-Info ciphers OpenSSL writes and node:crypto's default provider can undo. */
const LEGACY_PEM_CIPHERS = new Set(['AES-128-CBC', 'AES-192-CBC', 'AES-256-CBC', 'DES-EDE3-CBC']);

export async function resolvePassword(password: PasswordInput | undefined, what: string): Promise<string> {
  if (password === undefined) throw new PasswordRequiredError(`${what} is encrypted: a password is needed`);
  const p = typeof password === 'string' ? password : await password();
  if (typeof p !== 'string') throw new UsageError('the password source returned no text');
  return p;
}

/**
 * Loads a private key (and any certificates stored with it). Malformed or unrecognised input → KeyFileError;
 * wrong password → BadPasswordError; encrypted but no password → UsageError.
 */
export async function loadPrivateKey(bytes: Uint8Array, password?: PasswordInput, options: LoadKeyOptions = {}): Promise<LoadedKey> {
  let form: KeyForm;
  let certificates: CertInfo[] = [];
  if (detectEncoding(bytes, 'private key') === 'der') {
    form = classifyDer(der.parse(bytes, 'ber'));
    if (form.kind === 'pkcs12') {
      const { loadPkcs12 } = await import('./pkcs12.js');
      const p = await loadPkcs12(bytes, password, options);
      return { key: p.key, certificate: p.certificate, certificates: [p.certificate, ...p.chain] };
    }
  } else {
    const blocks = parsePem(bytes);
    const keys = blocks.filter((b) => PEM_KEY_LABELS.has(b.label));
    if (keys.length === 0) {
      const certOnly = blocks.some((b) => b.label === 'CERTIFICATE');
      throw new KeyFileError(certOnly ? 'the file holds certificates but no private key' : 'the PEM file holds no private key');
    }
    if (keys.length > 1) throw new KeyFileError(`the PEM file holds ${keys.length} private keys; expected one`);
    form = classifyPem(keys[0]!);
    certificates = blocks.filter((b) => b.label === 'CERTIFICATE').map((b) => parseCertificate(b.der));
  }

  const key = await openKey(form, password, options);
  const certificate = certificates.find((c) => certificateMatchesKey(c, key));
  return certificate ? { key, certificates, certificate } : { key, certificates };
}

const PEM_KEY_LABELS = new Set(['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);

function classifyPem(block: PemBlock): KeyForm {
  if (block.headers.get('Proc-Type') !== undefined) {
    if (!/^4,\s*ENCRYPTED$/.test(block.headers.get('Proc-Type')!)) throw new KeyFileError('unknown Proc-Type in PEM key');
    const cipher = (block.headers.get('DEK-Info') ?? '').split(',')[0]!.trim().toUpperCase();
    if (!LEGACY_PEM_CIPHERS.has(cipher)) {
      throw new UnsupportedAlgorithmError(`unsupported legacy PEM encryption ${cipher || '(no DEK-Info)'}`);
    }
    return { kind: 'legacy-pem', block };
  }
  const t = der.parse(block.der, 'ber');
  const form = classifyDer(t);
  const expected: Record<string, string> = {
    'PRIVATE KEY': 'pkcs8',
    'ENCRYPTED PRIVATE KEY': 'encrypted-pkcs8',
    'RSA PRIVATE KEY': 'pkcs1',
    'EC PRIVATE KEY': 'sec1',
  };
  const got = form.kind === 'plain' ? form.type : form.kind;
  if (expected[block.label] !== got) throw new KeyFileError(`PEM block "${block.label}" does not hold that kind of key`);
  return form;
}

/**
 * Tells the DER key structures apart by their shape (each is unambiguous):
 * - PrivateKeyInfo (RFC 5958 §2): SEQUENCE { INTEGER 0|1, AlgorithmIdentifier, OCTET STRING, … }
 * - EncryptedPrivateKeyInfo (RFC 5958 §3): SEQUENCE { AlgorithmIdentifier, OCTET STRING }
 * - RSAPrivateKey (RFC 8017 §A.1.2): SEQUENCE { INTEGER 0|1, INTEGER n, INTEGER e, … }
 * - ECPrivateKey (RFC 5915 §3): SEQUENCE { INTEGER 1, OCTET STRING, [0]?, [1]? }
 * - PFX (RFC 7292 §4): SEQUENCE { INTEGER 3, ContentInfo SEQUENCE, MacData? }
 * - a Certificate (SEQUENCE { SEQUENCE, SEQUENCE, BIT STRING }) gets a message of its own.
 */
function classifyDer(t: der.Tlv): KeyForm {
  if (t.tag !== TAG.SEQUENCE) throw new KeyFileError('not a private key: expected a SEQUENCE');
  const items = der.children(t);
  const [a, b, c] = items;
  const tags = items.map((x) => x.tag);
  if (a?.tag === TAG.INTEGER) {
    const version = a.content.length === 1 ? a.content[0]! : -1;
    if (b?.tag === TAG.SEQUENCE && c?.tag === TAG.OCTET_STRING && (version === 0 || version === 1)) {
      return { kind: 'plain', der: t.bytes, type: 'pkcs8' };
    }
    if (version === 3 && b?.tag === TAG.SEQUENCE) return { kind: 'pkcs12' };
    if ((version === 0 || version === 1) && tags.length >= 9 && tags.slice(0, 9).every((x) => x === TAG.INTEGER)) {
      return { kind: 'plain', der: t.bytes, type: 'pkcs1' };
    }
    if (version === 1 && b?.tag === TAG.OCTET_STRING) return { kind: 'plain', der: t.bytes, type: 'sec1' };
  }
  if (items.length === 2 && a?.tag === TAG.SEQUENCE && (b?.tag === TAG.OCTET_STRING || b?.tag === (TAG.OCTET_STRING | 0x20))) {
    return { kind: 'encrypted-pkcs8', tlv: t };
  }
  if (items.length === 3 && a?.tag === TAG.SEQUENCE && b?.tag === TAG.SEQUENCE && c?.tag === TAG.BIT_STRING) {
    throw new KeyFileError('this is a certificate, not a private key');
  }
  throw new KeyFileError('not a private key: unrecognised structure');
}

async function openKey(form: KeyForm, password: PasswordInput | undefined, options: LoadKeyOptions): Promise<KeyObject> {
  switch (form.kind) {
    case 'plain':
      return importKey(form.der, form.type);
    case 'encrypted-pkcs8': {
      const { encodePassword, parseEncryptedPrivateKeyInfo, pbeDecrypt } = await import('./pbe.js'); // only when encrypted
      const { alg, data } = parseEncryptedPrivateKeyInfo(form.tlv);
      const pw = encodePassword(await resolvePassword(password, 'the private key'));
      const plain = await pbeDecrypt(alg, pw, data, options);
      if (!plain) throw new BadPasswordError();
      // A wrong password passes the padding check 1 time in 256; the result is then not a PrivateKeyInfo.
      try {
        return importKey(plain, 'pkcs8');
      } catch {
        throw new BadPasswordError();
      }
    }
    case 'legacy-pem': {
      // RFC 1421 / OpenSSL "traditional" encryption: node:crypto (OpenSSL's PEM reader) undoes it itself.
      const passphrase = await resolvePassword(password, 'the private key');
      try {
        return createPrivateKey({ key: form.block.text, format: 'pem', passphrase });
      } catch {
        throw new BadPasswordError();
      }
    }
    case 'pkcs12':
      throw new KeyFileError('unexpected PKCS#12 structure');
  }
}

/** node:crypto import of an unencrypted DER key; its errors become KeyFileError. */
export function importKey(derBytes: Uint8Array, type: 'pkcs1' | 'pkcs8' | 'sec1'): KeyObject {
  try {
    return createPrivateKey({ key: Buffer.from(derBytes), format: 'der', type });
  } catch (e) {
    throw new KeyFileError('the private key is malformed or of a kind node:crypto cannot read', { cause: e });
  }
}
