/**
 * Streaming reader for ContentInfo → SignedData (RFC 5652 §3, §5.1–§5.2). Like src/stream/envelope-reader.ts:
 * the small elements before the content (version, digestAlgorithms, eContentType) and after it
 * (certificates, crls, signerInfos) are captured whole within a byte budget; the content is yielded as it
 * arrives, primitive or constructed, definite or indefinite, so a verifier can hash it on the way past.
 *
 *   SignedData ::= SEQUENCE {
 *     version CMSVersion, digestAlgorithms SET OF DigestAlgorithmIdentifier,
 *     encapContentInfo EncapsulatedContentInfo,          -- { eContentType, eContent [0] EXPLICIT OCTET STRING OPTIONAL }
 *     certificates [0] IMPLICIT CertificateSet OPTIONAL, crls [1] IMPLICIT RevocationInfoChoices OPTIONAL,
 *     signerInfos SET OF SignerInfo }
 */
import { LimitExceededError, MalformedInputError, UnsupportedContentError, UsageError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import { type Node, children, elementsOf, rawBytes, scanBer, smallInteger, parseBer } from '../format/asn1.js';
import { type AlgorithmIdentifier, decodeAlgorithmIdentifier } from '../format/algorithm-identifier.js';
import { type BerHeader, BerReader } from '../stream/ber-reader.js';
import { Frames, expectTag, octetStringContent } from '../stream/frames.js';

/** The subset of the lead's Limits (src/limits.ts) this reader honours; structurally compatible. */
export interface SignedDataLimits {
  /** Budget for the elements before the content, and separately for those after it. */
  readonly maxHeaderBytes: number;
  readonly maxDepth: number;
  readonly maxOidBytes: number;
  readonly maxCertificates: number;
}

export const DEFAULT_SIGNED_DATA_LIMITS: SignedDataLimits = {
  maxHeaderBytes: 4 << 20,
  maxDepth: 32,
  maxOidBytes: 64,
  maxCertificates: 64,
};

/** A message signed by more signers than this is refused: p7m messages have one. */
const MAX_SIGNER_INFOS = 8;
/** Distinct digest algorithms hashed while streaming (each costs a pass over the content). */
const MAX_DIGEST_ALGORITHMS = 4;

export interface SignedDataHeader {
  readonly version: number;
  readonly digestAlgorithms: readonly AlgorithmIdentifier[];
  readonly eContentType: string;
  /** No eContent: the signature is over content supplied separately (RFC 5652 §5.2). */
  readonly detached: boolean;
  /** Encoding fact, for inspect. */
  readonly indefinite: boolean;
}

export interface SignedDataTrailer {
  /** CertificateChoices of the 'certificate' kind, as received (others are skipped). */
  readonly certificates: readonly Uint8Array[];
  /**
   * The crls [1] field (RevocationInfoChoices) as received, unread: only a verifier that checks revocation
   * looks inside (crlsOf), so a field it cannot use does not fail a message it does not need it for.
   */
  readonly revocationInfo: Uint8Array | null;
  /** Each SignerInfo, as received. */
  readonly signerInfos: readonly Uint8Array[];
}

export interface SignedDataStream {
  readonly header: SignedDataHeader;
  /** Content chunks (views into the reader's buffer: consume or copy before the next). Empty when detached. */
  readonly content: AsyncGenerator<Uint8Array, void, void>;
  /** The certificates and signerInfos, after `content` has been read to its end (or at once when detached). */
  trailer(): Promise<SignedDataTrailer>;
}


/** Reads the SignedData up to its content; the content and the trailer follow on demand. */
export async function readSignedData(
  source: AsyncIterable<Uint8Array>,
  limits: SignedDataLimits = DEFAULT_SIGNED_DATA_LIMITS,
  opts: { bare?: boolean } = {},
): Promise<SignedDataStream> {
  const r = new BerReader(source);
  const f = new Frames(r);
  if ((await r.peekByte()) === null) throw new MalformedInputError('empty input');

  let budgetStart = 0;
  const budget = (): number => limits.maxHeaderBytes - (r.offset - budgetStart);
  const element = async (h: BerHeader, what: string): Promise<Uint8Array> => {
    f.check(h, what);
    if (h.length !== null && h.length > budget()) throw new LimitExceededError(`${what} is larger than the limit of ${limits.maxHeaderBytes} bytes`);
    return r.readElementBody(h, Math.max(budget(), 0) + h.raw.length, limits.maxDepth);
  };
  const readOid = async (what: string): Promise<string> => {
    const h = await expectTag(r, 0x06, what);
    if (h.length! > limits.maxOidBytes) throw new LimitExceededError(`${what}: object identifier longer than ${limits.maxOidBytes} bytes`);
    const node = parseBer(await element(h, what), what);
    return (node as unknown as { getValue(): string }).getValue();
  };

  // `bare`: a SignedData without ContentInfo, as decrypted from an EnvelopedData of type id-signedData.
  const ci = opts.bare ? undefined : await expectTag(r, 0x30, 'ContentInfo');
  if (ci) {
    f.open(ci, 'ContentInfo');
    const contentType = await readOid('ContentInfo content type');
    if (contentType !== OID.signedData) {
      const name = contentType === OID.envelopedData ? 'enveloped data' : oidName(contentType) ?? contentType;
      throw new UnsupportedContentError(`not a signed message: content type is ${name} (${contentType})`);
    }
    f.open(await expectTag(r, 0xa0, 'ContentInfo content'), 'ContentInfo content');
  }
  const sd = await expectTag(r, 0x30, 'SignedData');
  f.open(sd, 'SignedData');
  budgetStart = r.offset;

  const version = smallInteger(parseBer(await element(await expectTag(r, 0x02, 'SignedData version'), 'SignedData version'), 'SignedData version'), 'SignedData version');
  if (![1, 3, 4, 5].includes(version)) throw new MalformedInputError(`unknown SignedData version ${version}`);

  const daNode = parseBer(await element(await expectTag(r, 0x31, 'digestAlgorithms'), 'digestAlgorithms'), 'digestAlgorithms', { maxDepth: 8 });
  const digestAlgorithms = children(daNode, 'digestAlgorithms').map((n) => decodeAlgorithmIdentifier(n, 'digest algorithm'));
  if (new Set(digestAlgorithms.map((a) => a.oid)).size > MAX_DIGEST_ALGORITHMS) {
    throw new LimitExceededError(`more than ${MAX_DIGEST_ALGORITHMS} digest algorithms`);
  }

  const eci = await expectTag(r, 0x30, 'EncapsulatedContentInfo');
  f.open(eci, 'EncapsulatedContentInfo');
  const eContentType = await readOid('eContentType');
  let detached = true;
  let octets: BerHeader | undefined;
  if (await f.hasMore()) {
    const explicit = await expectTag(r, 0xa0, 'eContent');
    f.open(explicit, 'eContent');
    octets = await r.readHeader();
    if (octets.tag !== 0x04 && octets.tag !== 0x24) throw new MalformedInputError('malformed eContent: expected an OCTET STRING');
    f.check(octets, 'eContent');
    detached = false;
  }

  const header: SignedDataHeader = {
    version, digestAlgorithms, eContentType, detached,
    indefinite: ci?.length === null || sd.length === null || eci.length === null,
  };

  async function readTrailer(): Promise<SignedDataTrailer> {
    if (octets) await f.close(); // [0] EXPLICIT
    await f.close(); // EncapsulatedContentInfo
    budgetStart = r.offset;
    const certificates: Uint8Array[] = [];
    let h = await r.readHeader();
    if (h.tag === 0xa0) {
      // Count before building any tree: thousands of certificates must not cost thousands of parses.
      const bytes = await element(h, 'certificates');
      scanBer(bytes, 'certificates', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes });
      const choices = elementsOf(bytes, 'certificates', limits.maxCertificates);
      if (typeof choices === 'number') {
        throw new LimitExceededError(`message carries ${choices} certificates, more than the limit of ${limits.maxCertificates}`);
      }
      // CertificateChoices (§10.2.2): only the plain Certificate (a SEQUENCE) is usable for a chain.
      for (const c of choices) if (c[0] === 0x30) certificates.push(c);
      h = await r.readHeader();
    }
    let revocationInfo: Uint8Array | null = null;
    if (h.tag === 0xa1) {
      revocationInfo = await element(h, 'crls'); // within the trailer's byte budget, like the certificates
      h = await r.readHeader();
    }
    if (h.tag !== 0x31) throw new MalformedInputError('malformed SignedData: expected signerInfos');
    const siNode: Node = parseBer(await element(h, 'signerInfos'), 'signerInfos', { maxDepth: limits.maxDepth });
    const signerInfos = children(siNode, 'signerInfos').map(rawBytes);
    if (signerInfos.length > MAX_SIGNER_INFOS) throw new LimitExceededError(`more than ${MAX_SIGNER_INFOS} signers`);
    await f.close(); // SignedData
    if (ci) {
      await f.close(); // [0]
      await f.close(); // ContentInfo
    }
    if (!(await r.atEnd())) throw new MalformedInputError(`trailing data after the message at byte ${r.offset}`);
    return { certificates, revocationInfo, signerInfos };
  }

  let trailer: Promise<SignedDataTrailer> | undefined;
  let contentDone = false;
  async function* content(): AsyncGenerator<Uint8Array, void, void> {
    if (octets) {
      yield* octetStringContent(r, f, octets, 'eContent', limits.maxDepth);
    }
    contentDone = true;
  }

  return {
    header,
    content: content(),
    trailer(): Promise<SignedDataTrailer> {
      if (!contentDone && !detached) return Promise.reject(new UsageError('the signed content must be read before the trailer'));
      trailer ??= readTrailer();
      return trailer;
    },
  };
}

/**
 * The X.509 CRLs of a trailer's crls field (RevocationInfoChoice of the CertificateList kind, RFC 5652 §10.2.1;
 * other formats are skipped), scanned and counted like the certificates before anything is parsed.
 */
export function crlsOf(trailer: SignedDataTrailer, limits: SignedDataLimits): Uint8Array[] {
  if (!trailer.revocationInfo) return [];
  const bytes = trailer.revocationInfo;
  scanBer(bytes, 'crls', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes });
  const choices = elementsOf(bytes, 'crls', limits.maxCertificates);
  if (typeof choices === 'number') {
    throw new LimitExceededError(`message carries ${choices} CRLs, more than the limit of ${limits.maxCertificates}`);
  }
  return choices.filter((c) => c[0] === 0x30);
}
