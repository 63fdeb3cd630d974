/**
 * SignedData verification (RFC 5652 §5.4, §5.6) with the replay defence's freshness rules.
 *
 * Order of checks, each a typed error:
 *   1. structure: one SignerInfo, its signed attributes well formed (MalformedInputError);
 *   2. messageDigest and the signature (BadSignatureError);
 *   3. the chain to a trust anchor (UntrustedSignerError, ExpiredSignerError), and revocation when asked
 *      (RevokedCertificateError, RevocationUnknownError);
 *   4. signingTime present (MissingReplayAttributesError), unless not required; and a contentIdentifier
 *      too when requireContentIdentifier is set (without one the message's replay identity is the hash
 *      of its signed attributes, see ReplayIdentity);
 *   5. freshness: signingTime not older than maxAge, not further ahead than maxSkew
 *      (StaleMessageError, FutureMessageError).
 * The replay cache (src/replay/cache.ts) comes after all of these, in the caller, and the content is
 * released only after it: a message is "seen" only once it is known to be authentic and fresh.
 *
 * Streaming: readSignedData() yields the content; a SignedDataVerifier hashes it on the way past and
 * checks the trailer at the end. verify() is that pipeline over a buffer.
 */
import { X509Certificate, createHash, timingSafeEqual, verify as nodeVerify, type Hash } from 'node:crypto';
import type { HashName } from '../algorithms.js';
import {
  BadSignatureError, KeyFileError, MalformedInputError, MissingReplayAttributesError, P7mError,
  UnsupportedContentError, UntrustedSignerError, UsageError,
} from '../errors.js';
import { oidName } from '../oids.js';
import { parseSignedAttributes } from './attributes.js';
import { type FreshnessPolicy, checkFreshness } from './freshness.js';
import { type SignatureScheme, keyFitsScheme, nodeKeyOptions, verificationParams, verifyHashByOid } from './algorithms.js';
import { type CertInfo, parseCertificate } from '../keys/certificate.js';
import { type CrlInfo, loadCrls, parseCrl } from '../keys/crl.js';
import { validatePath } from './chain.js';
import { type SignedDataHeader, type SignedDataLimits, type SignedDataTrailer, DEFAULT_SIGNED_DATA_LIMITS, crlsOf, readSignedData } from './reader.js';
import { decodeSignerInfo, signerCertificate } from './signer-info.js';

export { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_SKEW_MS, checkFreshness } from './freshness.js';

export interface VerifyPolicy extends FreshnessPolicy {
  /** Trust anchors, DER certificates (normally CA certificates). */
  readonly trust: readonly Uint8Array[];
  /** Time of verification. Default: the system clock. */
  readonly clock?: () => Date;
  /**
   * Require signingTime (default true), which freshness and the replay cache need. false accepts messages
   * without it, which then cannot be checked against the replay cache; a signingTime that is present is
   * still held to maxAge / maxSkew. A contentIdentifier is not required: without one the message's replay
   * identity is derived from its signed attributes (see ReplayIdentity).
   */
  readonly requireReplayAttributes?: boolean;
  /**
   * Also require a contentIdentifier signed attribute (RFC 2634 §2.7), as p7m writes (default false):
   * for deployments that only receive from p7m, or that want every message named by its sender. Messages
   * from openssl, gpgsm, NSS/Thunderbird or Outlook, which carry none, are then refused
   * (MissingReplayAttributesError). Ignored when requireReplayAttributes is false.
   */
  readonly requireContentIdentifier?: boolean;
  /**
   * CRLs (DER or PEM bytes, RFC 5280 §5) to check the signer's chain against, besides any the message carries.
   * See `revocation`.
   */
  readonly crls?: readonly Uint8Array[];
  /**
   * Revocation checking (src/signed/chain.ts): 'signer' needs a current CRL from the signer's issuer that does
   * not list the signer's certificate, 'chain' the same for every certificate below the trust anchor, as
   * `openssl cms -verify -crl_check` / `-crl_check_all`. Default: 'signer' when `crls` are given, else 'off'.
   * A revoked certificate is RevokedCertificateError; one no usable CRL covers, RevocationUnknownError.
   */
  readonly revocation?: 'off' | 'signer' | 'chain';
  readonly limits?: SignedDataLimits;
}

export interface VerifyOptions extends VerifyPolicy {
  /** The signed content, for a detached signature. */
  readonly content?: Uint8Array;
  /** The input is a SignedData without ContentInfo (decrypted from an EnvelopedData of type id-signedData). */
  readonly bare?: boolean;
}

export interface SignerSummary {
  /** RFC 4514 subject: 'CN=alice,O=p7m demo'. */
  readonly subject: string;
  readonly email?: string;
  /** Lower-case hex SHA-256 of the signer's certificate. */
  readonly fingerprintSha256: string;
  /** DER issuer Name and serial INTEGER contents of the signer's certificate: the replay cache's signer key. */
  readonly issuerDer: Uint8Array;
  readonly serial: Uint8Array;
}

/**
 * What names a message in the replay cache (docs/replay.md):
 *  - 'contentIdentifier': the signed contentIdentifier (RFC 2634 §2.7), chosen by the sender (p7m: 16
 *    random bytes);
 *  - 'signedAttributes': without one, SHA-256 of the DER signed attributes exactly as the signature covers
 *    them (the SET OF, RFC 5652 §5.4: messageDigest, signingTime and the rest). A replay is the same signed
 *    message, so it has the same signed attributes whatever envelope carries it, and they cannot change
 *    without breaking the signature; a second valid signature over the same attributes (ECDSA s → n − s)
 *    has the same identity too. The cost: two sends of identical content by one signer within the same
 *    second (signingTime's resolution) have the same identity, and the second is refused as a replay.
 * The replay cache keeps the two kinds apart, so a chosen contentIdentifier cannot match a derived one.
 */
export interface ReplayIdentity {
  readonly kind: 'contentIdentifier' | 'signedAttributes';
  readonly value: Uint8Array;
}

/** What the signature establishes, without the content (the streaming verifier's result). */
export interface SignatureCheck {
  readonly eContentType: string;
  readonly signer: SignerSummary;
  /** Present whenever requireReplayAttributes is true (the default). */
  readonly signingTime?: Date;
  /** Present when the sender signed one (p7m always does; openssl, gpgsm, NSS and Outlook do not). */
  readonly contentIdentifier?: Uint8Array;
  /** The message's name in the replay cache: its contentIdentifier, else derived from its signed attributes. */
  readonly replayIdentity: ReplayIdentity;
  /** SHA-256 of the signature value: the replay cache's second key (catches a re-signed identifier). */
  readonly signatureHash: Uint8Array;
  readonly signerCertDer: Uint8Array;
  /** The validated chain, signer first, trust anchor last, DER. */
  readonly chain: readonly Uint8Array[];
  readonly digestAlgorithm: HashName;
  readonly signatureScheme: SignatureScheme;
}

export interface VerifyResult extends SignatureCheck {
  readonly content: Uint8Array;
}

/** Hashes the content as it streams past, then checks the trailer. */
export class SignedDataVerifier {
  private readonly digests = new Map<string, Hash>();
  private readonly anchors: CertInfo[];
  private readonly crls: CrlInfo[];
  private readonly revocation: 'off' | 'signer' | 'chain';
  private finished = false;

  constructor(private readonly header: SignedDataHeader, private readonly policy: VerifyPolicy) {
    if (policy.trust.length === 0) throw new UsageError('no trust anchor given to verify the signer against');
    for (const [name, v] of [['maxAge', policy.maxAgeMs], ['maxSkew', policy.maxSkewMs]] as const) {
      if (v !== undefined && !(v >= 0)) throw new UsageError(`${name} must be a non-negative duration`);
    }
    this.anchors = policy.trust.map((der, i) => {
      try { return readCertificate(der); } catch (e) {
        throw e instanceof P7mError ? new KeyFileError(`trust anchor ${i + 1} cannot be read: ${e.message}`, { cause: e }) : e;
      }
    });
    this.revocation = policy.revocation ?? (policy.crls?.length ? 'signer' : 'off');
    if (!['off', 'signer', 'chain'].includes(this.revocation)) throw new UsageError(`unknown revocation check ${String(this.revocation)}`);
    this.crls = (policy.crls ?? []).flatMap((bytes, i) => {
      try { return loadCrls(bytes); } catch (e) {
        throw e instanceof P7mError ? new KeyFileError(`CRL ${i + 1} cannot be read: ${e.message}`, { cause: e }) : e;
      }
    });
    // Hash with every supported digest the header announces: the SignerInfo naming one comes after the content.
    for (const a of header.digestAlgorithms) {
      let name: HashName;
      try { name = verifyHashByOid(a.oid); } catch { continue; } // an unsupported one matters only if the signer used it
      if (!this.digests.has(a.oid)) this.digests.set(a.oid, createHash(name));
    }
  }

  update(chunk: Uint8Array): void {
    if (this.finished) throw new UsageError('content added after verification');
    for (const h of this.digests.values()) h.update(chunk);
  }

  async finish(trailer: SignedDataTrailer): Promise<SignatureCheck> {
    if (this.finished) throw new UsageError('verification already finished');
    this.finished = true;
    const now = (this.policy.clock ?? ((): Date => new Date()))();
    const requireReplay = this.policy.requireReplayAttributes ?? true;

    if (trailer.signerInfos.length === 0) throw new MalformedInputError('the message has no signer');
    if (trailer.signerInfos.length > 1) {
      throw new UnsupportedContentError(`messages with ${trailer.signerInfos.length} signers are not supported`);
    }
    const si = decodeSignerInfo(trailer.signerInfos[0]!);
    const hashName = verifyHashByOid(si.digestAlgorithm.oid);
    const hash = this.digests.get(si.digestAlgorithm.oid);
    if (!hash) throw new MalformedInputError(`the signer's digest algorithm ${hashName} is not announced in digestAlgorithms`);
    if (!si.signedAttrs) {
      // Without signed attributes there is no signingTime and nothing to name the message by: a plain signature.
      if (requireReplay) throw new MissingReplayAttributesError('the message has no signed attributes, so no signingTime, which replay protection needs');
      throw new UnsupportedContentError('signatures without signed attributes are not supported');
    }
    const attrs = parseSignedAttributes(si.signedAttrs);
    // RFC 5652 §5.3: with signed attributes, contentType and messageDigest MUST be present.
    if (attrs.contentType === undefined) throw new MalformedInputError('malformed signed attributes: no contentType');
    if (attrs.messageDigest === undefined) throw new MalformedInputError('malformed signed attributes: no messageDigest');
    if (attrs.contentType !== this.header.eContentType) {
      throw new MalformedInputError(`the signed contentType ${oidName(attrs.contentType) ?? attrs.contentType} differs from the eContentType ${oidName(this.header.eContentType) ?? this.header.eContentType}`);
    }
    const params = verificationParams(si.signatureAlgorithm, hashName);

    const pool = trailer.certificates.map((der, i) => {
      // A certificate the message carries is part of the message: its faults are MalformedInputErrors.
      try { return readCertificate(der); } catch (e) {
        throw e instanceof KeyFileError ? new MalformedInputError(`malformed message certificate ${i + 1}: ${e.message}`, { cause: e }) : e;
      }
    });
    const signer = signerCertificate(si.sid, [...pool, ...this.anchors]);
    if (!signer) throw new UntrustedSignerError('the signer certificate is neither in the message nor among the trust anchors');

    // RFC 5652 §5.6: messageDigest must equal the digest of the content, then the signature must verify.
    const digest = hash.digest();
    if (digest.length !== attrs.messageDigest.length || !timingSafeEqual(digest, attrs.messageDigest)) {
      throw new BadSignatureError('the content does not match the signed message digest');
    }
    if (!keyFitsScheme(signer.publicKey, params.scheme)) {
      throw new BadSignatureError(`a ${params.scheme} signature cannot come from the signer's ${signer.publicKey.asymmetricKeyType} key`);
    }
    let ok = false;
    try {
      ok = nodeVerify(params.hash, attrs.signedBytes, nodeKeyOptions(signer.publicKey, params), si.signature);
    } catch {
      ok = false; // e.g. an RSA signature longer than the modulus: as bad as a wrong one
    }
    if (!ok) throw new BadSignatureError();

    const times = attrs.signingTime ? [attrs.signingTime, now] : [now];
    const revocation = this.revocation === 'off' ? undefined : {
      scope: this.revocation,
      now,
      crls: [...this.crls, ...crlsOf(trailer, this.policy.limits ?? DEFAULT_SIGNED_DATA_LIMITS).map((der, i) => {
        try { return parseCrl(der); } catch (e) {
          throw e instanceof KeyFileError ? new MalformedInputError(`malformed message CRL ${i + 1}: ${e.message}`, { cause: e }) : e;
        }
      })],
    };
    const chain = validatePath({ signer, pool, anchors: this.anchors, times, ...(revocation ? { revocation } : {}) });

    if (requireReplay) {
      // signingTime is what freshness, and so the replay cache's bounded memory, rests on: no derivation replaces it.
      if (!attrs.signingTime) throw new MissingReplayAttributesError('the message has no signingTime signed attribute, which replay protection needs');
      if (!attrs.contentIdentifier && this.policy.requireContentIdentifier) {
        throw new MissingReplayAttributesError(
          'the message has no contentIdentifier signed attribute (RFC 2634 §2.7), which this receiver requires: '
          + 'it was signed by something other than p7m (openssl cms -sign, gpgsm, NSS and Outlook add only signingTime)',
        );
      }
    }
    if (attrs.signingTime) checkFreshness(attrs.signingTime, now, this.policy);

    return {
      eContentType: this.header.eContentType,
      signer: {
        subject: signer.subject,
        ...(signer.email !== undefined ? { email: signer.email } : {}),
        fingerprintSha256: signer.fingerprintSha256,
        issuerDer: signer.issuerDer,
        serial: signer.serial,
      },
      ...(attrs.signingTime ? { signingTime: attrs.signingTime } : {}),
      ...(attrs.contentIdentifier ? { contentIdentifier: attrs.contentIdentifier } : {}),
      replayIdentity: attrs.contentIdentifier
        ? { kind: 'contentIdentifier', value: attrs.contentIdentifier }
        : { kind: 'signedAttributes', value: signedAttributesHash(attrs.signedBytes) },
      signatureHash: new Uint8Array(createHash('sha256').update(si.signature).digest()),
      signerCertDer: signer.der,
      chain: chain.map((c) => c.der),
      digestAlgorithm: hashName,
      signatureScheme: params.scheme,
    };
  }
}

/**
 * The derived replay identity: SHA-256 of the signed attributes' DER under the universal SET tag, the
 * bytes the signature covers (RFC 5652 §5.4), as received (not re-encoded).
 */
export function signedAttributesHash(signedBytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(signedBytes).digest());
}

/**
 * parseCertificate, with two checks at the verifier's boundary: the subject Name read at once (it is formatted
 * lazily, and a malformed Name must fail here as the certificate's fault, not inside a chain error's message), and
 * node:crypto (OpenSSL) able to read the certificate, which is stricter than the DER walk in places (a universal
 * tag 0, an issuer Name's structure): a certificate OpenSSL refuses is malformed here, as it always was.
 */
function readCertificate(der: Uint8Array): CertInfo {
  const c = parseCertificate(der);
  void c.subject;
  try {
    new X509Certificate(der);
  } catch (e) {
    throw new KeyFileError('node:crypto cannot read the certificate', { cause: e });
  }
  return c;
}


/**
 * Buffer API: checks a whole ContentInfo(SignedData) and returns the content with what the signature
 * establishes. Does not consult the replay cache: see src/replay/cache.ts (`checkAndRecord`) for that step.
 */
export async function verify(signedDataDer: Uint8Array, opts: VerifyOptions): Promise<VerifyResult> {
  const s = await readSignedData(once(signedDataDer), opts.limits ?? DEFAULT_SIGNED_DATA_LIMITS, { bare: opts.bare ?? false });
  if (s.header.detached && opts.content === undefined) throw new UsageError('the signature is detached: the signed content must be supplied');
  if (!s.header.detached && opts.content !== undefined) throw new UsageError('the message carries its content: do not supply it separately');
  const v = new SignedDataVerifier(s.header, opts);
  const parts: Uint8Array[] = [];
  for await (const chunk of s.content) { v.update(chunk); parts.push(chunk); }
  if (opts.content) v.update(opts.content);
  const check = await v.finish(await s.trailer());
  return { ...check, content: opts.content ?? new Uint8Array(Buffer.concat(parts)) };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, void> {
  yield bytes;
}
