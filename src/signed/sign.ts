/**
 * SignedData creation (RFC 5652 §5), one signer, with the signed attributes the replay defence needs
 * (attributes.ts). The content digest is fed incrementally, so the same builder serves the one-shot
 * `sign()` and the streamed sign-then-encrypt (`createSignedDataStreamEncoder`).
 */
import { createHash, createPublicKey, randomBytes, sign as nodeSign, type Hash, type KeyObject } from 'node:crypto';
import { KeyFileError, P7mError, UsageError } from '../errors.js';
import { OID } from '../oids.js';
import { CONTENT_IDENTIFIER_LENGTH, encodeSignedAttributes } from './attributes.js';
import {
  type SignatureParams, type SigningHash, digestAlgorithmIdentifier, nodeKeyOptions, signatureAlgorithmIdentifier, signingParams,
} from './algorithms.js';
import { type CertInfo, parseCertificate } from '../keys/certificate.js';
import { parseCrl } from '../keys/crl.js';
import {
  type SignedDataParts, type SignerId, encodeSignedData, encodeSignerInfo, signedDataStreamHeader, signedDataStreamSegment,
  signedDataStreamTrailer, signedDataVersion,
} from './signer-info.js';

export interface SignOptions {
  /** The signer's certificate, DER. */
  readonly signerCert: Uint8Array;
  readonly signerKey: KeyObject;
  /** Intermediate certificates (DER) to carry in the message, so that receivers can build the chain. */
  readonly chain?: readonly Uint8Array[];
  /** CRLs (DER) to carry in the message, so that receivers can check revocation (`openssl cms -verify -crl_check` uses them). */
  readonly crls?: readonly Uint8Array[];
  /** Leave the content out of the message (RFC 5652 §5.2: eContent absent). */
  readonly detached?: boolean;
  /** Default sha256 for RSA; for EC keys the digest paired with the curve (P-256 → sha256, P-384 → sha384). */
  readonly digest?: SigningHash;
  /** RSASSA-PSS (RFC 4056) instead of PKCS#1 v1.5; implied by an rsa-pss key. */
  readonly pss?: boolean;
  /** How the SignerInfo names the signer's certificate (RFC 5652 §5.3). Default issuer-serial. */
  readonly rid?: 'issuer-serial' | 'ski';
  /** Source of signingTime. Default: the system clock. */
  readonly clock?: () => Date;
  /** Testing only: a fixed contentIdentifier instead of 16 random bytes. */
  readonly contentIdentifier?: Uint8Array;
  /** eContentType (and the contentType attribute). Default id-data; id-envelopedData for a triple wrap's outer layer. */
  readonly eContentType?: string;
  /**
   * Write the SignedData without its ContentInfo wrapper: what an EnvelopedData of contentType id-signedData
   * encrypts (RFC 5652 §6.1: the content of that type is the SignedData itself). Default false.
   */
  readonly bare?: boolean;
}

export interface SignerInfoResult {
  /** DER SignerInfo. */
  readonly signerInfo: Uint8Array;
  /** Certificates to carry: the signer's first, then the chain. */
  readonly certificates: readonly Uint8Array[];
  readonly crls: readonly Uint8Array[];
  readonly signingTime: Date;
  readonly contentIdentifier: Uint8Array;
  readonly signature: Uint8Array;
}

/** Feeds a content digest incrementally; `finish()` signs the attributes and returns the SignerInfo. */
export class SignedDataBuilder {
  /** version, digestAlgorithm and eContentType: all the SignedData header needs, known before the content. */
  readonly parts: Omit<SignedDataParts, 'certificates' | 'signerInfo'>;
  readonly detached: boolean;
  readonly bare: boolean;
  private readonly key: KeyObject;
  private readonly params: SignatureParams;
  private readonly sid: SignerId;
  private readonly certificates: readonly Uint8Array[];
  private readonly crls: readonly Uint8Array[];
  private readonly clock: () => Date;
  private readonly contentIdentifier: Uint8Array;
  private readonly hash: Hash;
  private finished = false;

  constructor(opts: SignOptions) {
    const signer = readCertificate(opts.signerCert, 'signer certificate');
    const chain = (opts.chain ?? []).map((c, i) => { readCertificate(c, `chain certificate ${i + 1}`); return c; });
    this.params = signingParams(opts.signerKey, opts);
    if (!createPublicKey(opts.signerKey).equals(signer.publicKey)) {
      throw new KeyFileError('the private key does not belong to the signer certificate');
    }
    this.key = opts.signerKey;
    this.sid = signerId(signer, opts.rid ?? 'issuer-serial');
    const eContentType = opts.eContentType ?? OID.data;
    this.parts = {
      version: signedDataVersion(eContentType, this.sid),
      digestAlgorithm: digestAlgorithmIdentifier(this.params.hash),
      eContentType,
    };
    this.detached = opts.detached ?? false;
    this.bare = opts.bare ?? false;
    this.certificates = [opts.signerCert, ...chain];
    this.crls = (opts.crls ?? []).map((c, i) => {
      try { parseCrl(c); } catch (e) { throw e instanceof P7mError ? new KeyFileError(`CRL ${i + 1}: ${e.message}`, { cause: e }) : e; }
      return c;
    });
    this.clock = opts.clock ?? ((): Date => new Date());
    if (opts.contentIdentifier && (opts.contentIdentifier.length === 0 || opts.contentIdentifier.length > 256)) {
      throw new UsageError('contentIdentifier must be 1 to 256 bytes');
    }
    // RFC 2634 §2.7: unique per message; 128 random bits make a collision across any realistic cache negligible.
    this.contentIdentifier = opts.contentIdentifier ?? new Uint8Array(randomBytes(CONTENT_IDENTIFIER_LENGTH));
    this.hash = createHash(this.params.hash);
  }

  update(chunk: Uint8Array): this {
    if (this.finished) throw new UsageError('content added after the signature was made');
    this.hash.update(chunk);
    return this;
  }

  async finish(): Promise<SignerInfoResult> {
    if (this.finished) throw new UsageError('the signature was already made');
    this.finished = true;
    const signingTime = this.clock();
    const signedAttrs = encodeSignedAttributes({
      contentType: this.parts.eContentType,
      messageDigest: new Uint8Array(this.hash.digest()),
      signingTime,
      contentIdentifier: this.contentIdentifier,
    });
    // RFC 5652 §5.4: the signature covers the DER of the attributes with the universal SET tag.
    const signature = new Uint8Array(nodeSign(this.params.hash, signedAttrs, nodeKeyOptions(this.key, this.params)));
    const signerInfo = encodeSignerInfo({
      sid: this.sid,
      digestAlgorithm: this.parts.digestAlgorithm,
      signedAttrsDer: signedAttrs,
      signatureAlgorithm: signatureAlgorithmIdentifier(this.params),
      signature,
    });
    return { signerInfo, certificates: this.certificates, crls: this.crls, signingTime: new Date(Math.floor(signingTime.getTime() / 1000) * 1000), contentIdentifier: this.contentIdentifier, signature };
  }
}

function readCertificate(der: Uint8Array, what: string): CertInfo {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (e instanceof P7mError) throw new KeyFileError(`the ${what} cannot be read: ${e.message}`, { cause: e });
    throw e;
  }
}

function signerId(c: CertInfo, rid: 'issuer-serial' | 'ski'): SignerId {
  if (rid === 'issuer-serial') return { kind: 'issuerSerial', issuerDer: c.issuerDer, serial: c.serial };
  if (rid !== 'ski') throw new UsageError(`unknown signer identifier kind ${String(rid)}`);
  if (!c.subjectKeyIdentifier) throw new UsageError('the signer certificate has no subjectKeyIdentifier: use issuer-serial');
  return { kind: 'ski', ski: c.subjectKeyIdentifier };
}

/** One-shot: DER ContentInfo(SignedData). */
export async function sign(content: Uint8Array, opts: SignOptions): Promise<Uint8Array> {
  const b = new SignedDataBuilder(opts);
  b.update(content);
  const r = await b.finish();
  return encodeSignedData({ ...b.parts, certificates: r.certificates, crls: r.crls, signerInfo: r.signerInfo }, b.detached ? null : content, b.bare);
}

export interface SignedDataStreamEncoder {
  /** Bytes up to the first content byte (indefinite-length BER). Call once, first. */
  header(): Uint8Array;
  /** One content chunk, hashed and framed as an OCTET STRING segment (empty output when detached). */
  segment(chunk: Uint8Array): Uint8Array;
  /** Signs and returns the closing bytes: end-of-contents, certificates, signerInfos. */
  finish(): Promise<Uint8Array>;
  /** Set after finish(): what was signed, for the caller's records. */
  readonly result: SignerInfoResult | undefined;
}

/** Streams a SignedData: header, then segments as the content arrives, then the trailer. */
export function createSignedDataStreamEncoder(opts: SignOptions): SignedDataStreamEncoder {
  const b = new SignedDataBuilder(opts);
  let state: 'new' | 'content' | 'done' = 'new';
  let result: SignerInfoResult | undefined;
  return {
    header(): Uint8Array {
      if (state !== 'new') throw new UsageError('header() must be called once, first');
      state = 'content';
      return signedDataStreamHeader(b.parts, b.detached, b.bare);
    },
    segment(chunk: Uint8Array): Uint8Array {
      if (state !== 'content') throw new UsageError('segment() must come between header() and finish()');
      b.update(chunk);
      return b.detached ? new Uint8Array(0) : signedDataStreamSegment(chunk);
    },
    async finish(): Promise<Uint8Array> {
      if (state !== 'content') throw new UsageError('finish() must follow header()');
      state = 'done';
      result = await b.finish();
      return signedDataStreamTrailer({ certificates: result.certificates, crls: result.crls, signerInfo: result.signerInfo }, b.detached, b.bare);
    },
    get result() { return result; },
  };
}
