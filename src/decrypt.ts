/**
 * Decryption orchestration: read the envelope header, pick the RecipientInfo(s) addressed to the
 * identity, unwrap, and stream the content through the content cipher into a sink that is committed
 * only after the last block's padding was checked.
 */
import { type CipherGCMTypes, type DecipherGCM, createDecipheriv, createPublicKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import { type ContentCipher, contentCipherByOid } from './algorithms.js';
import { DecryptionFailedError, KeyFileError, LimitExceededError, MalformedInputError, NoMatchingRecipientError, P7mError, UnsupportedAlgorithmError, UnsupportedContentError, UsageError } from './errors.js';
import { octetString, parseBer } from './format/asn1.js';
import { checkGcmParams, decodeGcmParams } from './format/gcm-params.js';
import type { RecipientInfo } from './format/recipient-info.js';
import { type CertInfo } from './keys/certificate.js';
import { type Limits, resolveLimits } from './limits.js';
import type { Identity } from './recipient.js';
import { RsaIdentity } from './recipients/rsa.js';
import { describeRecipient } from './describe.js';
import { MemorySink, type Sink } from './io/sink.js';
import type { ReceivePolicy, Verified, VerifyingSink } from './receive.js';
import { openInput } from './stream/armor.js';
import { type EnvelopeHeader, readEnvelope } from './stream/envelope-reader.js';

/** What identifies the decrypting party. */
export type DecryptKeyOptions =
  | { key: KeyObject | Uint8Array | string; certificate?: CertInfo | Uint8Array | string; password?: string | (() => string | Promise<string>) }
  | { pkcs12: Uint8Array; password: string | (() => string | Promise<string>) }
  | { identity: Identity };

export type DecryptOptions = DecryptKeyOptions & {
  limits?: Partial<Limits>;
  /**
   * Require a signed message and check it (signature, chain, freshness, replay cache) before the
   * content is released. `allowUnsigned` lets a plain envelope through (replay cannot be detected).
   */
  verify?: ReceivePolicy & { allowUnsigned?: boolean };
};

export interface DecryptInfo {
  /** Index (0-based) and description of the RecipientInfo that was used. */
  readonly recipient: { index: number; description: string };
  readonly contentCipher: ContentCipher['name'];
  /** Type of the decrypted content: id-data, or id-signedData for a signed message. */
  readonly contentType: string;
  readonly header: EnvelopeHeader;
}

export interface DecryptResult extends DecryptInfo {
  readonly content: Uint8Array;
  /** With `verify`: what the signature established (undefined for an allowed unsigned message). */
  readonly signature?: Verified;
}

const toBytes = (x: Uint8Array | string): Uint8Array => (typeof x === 'string' ? Buffer.from(x) : x);

/** Builds the Identity from key material (lazy-loading the key parsers). */
export async function resolveIdentity(opts: DecryptKeyOptions): Promise<Identity> {
  if (typeof opts !== 'object' || opts === null || !('identity' in opts || 'pkcs12' in opts || 'key' in opts)) {
    throw new UsageError('give a key (with an optional certificate), a pkcs12, or an identity to decrypt with');
  }
  if ('identity' in opts) return opts.identity;
  if ('pkcs12' in opts) {
    const { loadPkcs12 } = await import('./keys/pkcs12.js');
    const pw = typeof opts.password === 'function' ? await opts.password() : opts.password;
    const p = await loadPkcs12(opts.pkcs12, pw);
    return new RsaIdentity(p.key, p.certificate);
  }
  let key: KeyObject;
  let certs: CertInfo[] = [];
  if (isKeyObject(opts.key)) {
    key = opts.key;
  } else {
    const { loadPrivateKey } = await import('./keys/private-key.js');
    const loaded = await loadPrivateKey(toBytes(opts.key), opts.password);
    key = loaded.key;
    certs = loaded.certificates;
  }
  const pub = createPublicKey(key); // certificates' keys are public KeyObjects: compare against this
  let cert: CertInfo | undefined;
  if (opts.certificate !== undefined) {
    if (isCertInfo(opts.certificate)) cert = opts.certificate;
    else {
      const { loadCertificates } = await import('./keys/certificate.js');
      // A chain file may hold the CA certificates too: take the one for our key, if any.
      const list = loadCertificates(toBytes(opts.certificate));
      cert = list.find((c) => pub.equals(c.publicKey)) ?? list[0];
    }
    // A certificate that is not the key's would select another party's RecipientInfo and end in a
    // misleading "decryption failed": say what is wrong (public facts only: no oracle).
    if (cert && !pub.equals(cert.publicKey)) {
      throw new KeyFileError(`the certificate ${cert.subject} does not belong to the private key`);
    }
  } else if (certs.length > 0) {
    // A PEM holding key and certificate together: use the certificate whose key is ours.
    // (createPublicKey() of an already public KeyObject throws: compare KeyObjects directly.)
    cert = certs.find((c) => pub.equals(c.publicKey));
  }
  return new RsaIdentity(key, cert);
}

function isKeyObject(x: unknown): x is KeyObject {
  return typeof x === 'object' && x !== null && (x as KeyObject).type === 'private' && typeof (x as KeyObject).export === 'function';
}
function isCertInfo(x: unknown): x is CertInfo {
  return typeof x === 'object' && x !== null && 'issuerDer' in x && 'publicKey' in x;
}

/**
 * The content cipher, which must fit the structure: RFC 5084 §3 puts AES-GCM in AuthEnvelopedData only,
 * and an AuthEnvelopedData needs an authenticated cipher (RFC 5083 §2.1).
 */
function cipherOf(header: EnvelopeHeader): ContentCipher {
  const cipher = contentCipherByOid(header.contentEncryptionAlgorithm.oid);
  if (header.authenticated && cipher.mode !== 'gcm') {
    throw new UnsupportedAlgorithmError(`AuthEnvelopedData with ${cipher.name}, which does not authenticate: only AES-GCM is read there`);
  }
  if (!header.authenticated && cipher.mode === 'gcm') {
    throw new UnsupportedAlgorithmError(`${cipher.name} inside EnvelopedData: AES-GCM belongs in AuthEnvelopedData (RFC 5084 §3)`);
  }
  return cipher;
}

/** The content-encryption IV from the algorithm parameters (RFC 3565 §4.1, RFC 3370 §5.1). */
function ivOf(header: EnvelopeHeader, cipher: ContentCipher): Uint8Array {
  const params = header.contentEncryptionAlgorithm.params;
  if (!params) throw new MalformedInputError(`content encryption algorithm ${cipher.name} has no IV`);
  const iv = octetString(parseBer(params, 'content encryption IV'), 'content encryption IV');
  if (iv.length !== cipher.ivLength) throw new MalformedInputError(`content encryption IV is ${iv.length} bytes, ${cipher.name} needs ${cipher.ivLength}`);
  return iv;
}

/**
 * CBC with PKCS#7 padding gives a whole number of blocks, at least one (RFC 5652 §6.3). The length is
 * public, so a wrong one is a malformed message, not a "decryption failed" (which would suggest a key).
 */
function checkCiphertextLength(length: number, cipher: ContentCipher): void {
  if (cipher.mode === 'gcm') return; // a stream cipher: any length, 0 included
  if (length === 0 || length % cipher.blockSize !== 0) {
    throw new MalformedInputError(`malformed encrypted content: ${length} bytes, not a whole number of ${cipher.blockSize}-byte ${cipher.name} blocks`);
  }
}

interface Candidate { index: number; cek: Uint8Array }

/**
 * Choose which RecipientInfos to unwrap. Identified matches ('yes') win, and only the first is used;
 * otherwise every 'maybe' (a bare RSA key against RSA recipients of its size, as `openssl cms
 * -decrypt` without -recip). Each goes through the same oracle-free unwrap.
 */
function candidates(ris: readonly RecipientInfo[], identity: Identity, cipher: ContentCipher, maxCandidates: number): Candidate[] {
  const matches = ris.map((ri) => identity.match(ri));
  const yes = matches.indexOf('yes');
  const chosen = yes >= 0 ? [yes] : matches.flatMap((m, i) => (m === 'maybe' ? [i] : []));
  if (chosen.length === 0) {
    const list = ris.map((ri, i) => `${i + 1}: ${describeRecipient(ri)}`);
    throw new NoMatchingRecipientError('no recipient in this message matches the given key or certificate', list);
  }
  // Each candidate costs an RSA operation and a plaintext copy, and adds a ~1/256 chance that a wrong
  // key's padding checks by accident: past a few, the certificate must say which recipient is ours.
  if (chosen.length > maxCandidates) {
    throw new LimitExceededError(`${chosen.length} recipients could belong to this key (more than the limit of ${maxCandidates} to try): give the certificate to pick the recipient`);
  }
  const all = chosen.map((index) => ({ index, cek: unwrapOrRandom(identity, ris[index]!, cipher) }));
  // The same key may be addressed twice (one certificate listed twice, or one key under two
  // certificates): both unwrap to the same CEK and both paddings check, which is one answer, not an
  // ambiguity. Keep the first of each CEK.
  return all.filter((c, i) => !all.slice(0, i).some((d) => d.cek.length === c.cek.length && timingSafeEqual(d.cek, c.cek)));
}

/**
 * An unwrap that fails on public facts (encrypted key not k bytes long, or ≥ the modulus) must not end
 * the whole decryption: with a bare key, every RSA recipient of our size is a candidate, and another
 * recipient's encrypted key is ≥ our modulus about half the time. Like any other unwrap failure, it
 * becomes a random key (RFC 3218 §2.3.2) and the one DecryptionFailedError comes at the padding check.
 */
function unwrapOrRandom(identity: Identity, ri: RecipientInfo, cipher: ContentCipher): Uint8Array {
  try {
    return identity.unwrap(ri, cipher);
  } catch (e) {
    if (e instanceof DecryptionFailedError) return randomBytes(cipher.keyLength);
    throw e;
  }
}

export interface DecryptCore {
  readonly info: Omit<DecryptInfo, 'recipient'>;
  /** Streams the content into one sink per candidate; returns the candidate whose padding was right. */
  run(sinkFor: (candidate: number, count: number) => Promise<Sink>): Promise<DecryptInfo>;
}

/** Opens a message (any input form) and prepares its decryption; nothing is written yet. */
export async function openDecryption(source: AsyncIterable<Uint8Array>, identity: Identity, limits?: Partial<Limits>): Promise<DecryptCore> {
  const input = await openInput(source);
  const l = resolveLimits(limits);
  const env = await readEnvelope(input.der, l);
  const { header } = env;
  const cipher = cipherOf(header);
  const gcm = cipher.mode === 'gcm' ? checkGcmParams(decodeGcmParams(header.contentEncryptionAlgorithm.params)) : null;
  const iv = gcm ? gcm.nonce : ivOf(header, cipher);
  if (header.ciphertextLength !== null) checkCiphertextLength(header.ciphertextLength, cipher);
  const cands = candidates(header.recipientInfos, identity, cipher, l.maxCandidates);
  const info = { contentCipher: cipher.name, contentType: header.contentType, header };

  return {
    info,
    async run(sinkFor) {
      const sinks: Sink[] = [];
      try {
        for (let i = 0; i < cands.length; i++) sinks.push(await sinkFor(i, cands.length));
        const deciphers = cands.map((c) => (gcm
          ? createDecipheriv(cipher.nodeName as CipherGCMTypes, c.cek, iv, { authTagLength: gcm.tagLength })
          : createDecipheriv(cipher.nodeName, c.cek, iv)));
        let length = 0;
        for await (const chunk of env.content) {
          length += chunk.length;
          for (let i = 0; i < deciphers.length; i++) await sinks[i]!.write(deciphers[i]!.update(chunk));
        }
        checkCiphertextLength(length, cipher);
        if (gcm) {
          // The tag follows the content (RFC 5083 §2.1); nothing is committed before final() checked it.
          const { mac, aad } = env.authentication();
          // authAttrs come after the content but enter GCM before it (RFC 5083 §2.2): a streaming reader
          // cannot check them. openssl, Bouncy Castle and p7m write none for id-data content.
          if (aad) throw new UnsupportedContentError('AuthEnvelopedData with authenticated attributes is not supported');
          if (mac.length !== gcm.tagLength) throw new MalformedInputError(`the AuthEnvelopedData tag is ${mac.length} bytes, its parameters say ${gcm.tagLength}`);
          for (const d of deciphers) (d as DecipherGCM).setAuthTag(mac);
        }
        // Padding of the last block (RFC 5652 §6.3), or GCM's tag. A wrong key (random CEK after a failed
        // unwrap) ends here too, so every failure is the same DecryptionFailedError.
        let winner = -1;
        let winners = 0;
        for (let i = 0; i < deciphers.length; i++) {
          let last: Uint8Array | null = null;
          try { last = deciphers[i]!.final(); } catch { last = null; }
          if (last !== null) {
            await sinks[i]!.write(last);
            winners++;
            if (winner < 0) winner = i;
          }
        }
        if (winners !== 1) throw new DecryptionFailedError();
        for (let i = 0; i < sinks.length; i++) if (i !== winner) await sinks[i]!.abort();
        await sinks[winner]!.commit();
        const c = cands[winner]!;
        return { ...info, recipient: { index: c.index, description: describeRecipient(header.recipientInfos[c.index]!) } };
      } catch (e) {
        await Promise.all(sinks.map((s) => s.abort().catch(() => undefined)));
        if (e instanceof P7mError) throw e;
        throw new MalformedInputError(`cannot read the message: ${(e as Error).message}`, { cause: e });
      } finally {
        // Drain nothing more: close the content generator so the source is released.
        await env.content.return(undefined).catch(() => undefined);
      }
    },
  };
}

/** Buffer API: decrypts a whole message (DER, PEM or S/MIME) held in memory. */
export async function decrypt(p7m: Uint8Array, opts: DecryptOptions): Promise<DecryptResult> {
  const identity = await resolveIdentity(opts);
  const core = await openDecryption(Readable.from([p7m]), identity, opts.limits);
  const sinks: MemorySink[] = [];
  const verifiers: VerifyingSink[] = [];
  const v = opts.verify;
  const receive = v ? await import('./receive.js') : undefined;
  const info = await core.run(async () => {
    const s = new MemorySink(); sinks.push(s);
    if (!v) return s;
    const vs = new receive!.VerifyingSink(s, v, core.info.contentType, v.allowUnsigned ?? false); verifiers.push(vs);
    return vs;
  });
  // Exactly one sink is committed: the candidate whose padding (and signature) checked.
  const i = sinks.findIndex((s) => s.committed);
  const signature = verifiers[i]?.result;
  return { ...info, content: sinks[i]!.bytes(), ...(signature ? { signature } : {}) };
}
