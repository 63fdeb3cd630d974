/**
 * Streaming reader for ContentInfo → EnvelopedData → EncryptedContentInfo (RFC 5652 §3, §6.1), and for
 * AuthEnvelopedData (RFC 5083 §2.1), whose authentication tag and authenticated attributes follow the
 * encrypted content and are handed over once it has been read (EnvelopeStream.authentication).
 * The header (everything before the ciphertext) is bounded by `limits.maxHeaderBytes` and parsed
 * with asn1js; the ciphertext is yielded as it arrives, primitive or constructed, definite or
 * indefinite, with any segment size.
 */
import { LimitExceededError, MalformedInputError, UnsupportedContentError } from '../errors.js';
import { OID, oidName } from '../oids.js';
import type { Limits } from '../limits.js';
import { elementsOf, oid, parseBer, scanBer, smallInteger } from '../format/asn1.js';
import { type AlgorithmIdentifier, decodeAlgorithmIdentifier } from '../format/algorithm-identifier.js';
import { type RecipientInfo, decodeRecipientInfosDer } from '../format/recipient-info.js';
import { type BerHeader, BerReader } from './ber-reader.js';
import { Frames, expectTag, octetStringContent } from './frames.js';

export interface EnvelopeHeader {
  /** AuthEnvelopedData (RFC 5083) rather than EnvelopedData. */
  readonly authenticated: boolean;
  readonly version: number;
  /** Raw DER of originatorInfo when present (certificates the sender attached; unused for decryption). */
  readonly originatorInfo?: Uint8Array;
  readonly originatorCertificates: number;
  readonly recipientInfos: RecipientInfo[];
  /** Type of the enveloped content: id-data, or id-signedData for sign-then-encrypt. */
  readonly contentType: string;
  readonly contentEncryptionAlgorithm: AlgorithmIdentifier;
  /** Encoding facts, for inspect. */
  readonly indefinite: boolean;
  /** Ciphertext length when the encryptedContent is primitive (known before reading it). */
  readonly ciphertextLength: number | null;
}

export interface EnvelopeAuthentication {
  /** The tag (MessageAuthenticationCode). */
  readonly mac: Uint8Array;
  /** DER of authAttrs with the universal SET tag: the additional authenticated data (RFC 5083 §2.1). */
  readonly aad?: Uint8Array;
}

export interface EnvelopeStream {
  readonly header: EnvelopeHeader;
  /** Ciphertext chunks; ends after the structure was closed and checked to end exactly. */
  readonly content: AsyncGenerator<Uint8Array, void, void>;
  /** AuthEnvelopedData: the tag and authenticated attributes, once `content` has been read to its end. */
  authentication(): EnvelopeAuthentication;
}

/** Largest tag read (RFC 5084 §3.2: 12 to 16 octets; a little room for other algorithms' MACs). */
const MAX_MAC_BYTES = 64;


async function readOid(r: BerReader, f: Frames, what: string, limits: Limits): Promise<string> {
  const h = await expectTag(r, 0x06, what);
  f.check(h, what);
  if (h.length! > limits.maxOidBytes) throw new LimitExceededError(`${what}: object identifier longer than ${limits.maxOidBytes} bytes`);
  const body = await r.readElementBody(h, limits.maxOidBytes + 16, 1);
  return oid(parseBer(body, what), what, limits.maxOidBytes);
}

/** Reads the header; the returned generator streams the ciphertext and validates the trailer. */
export async function readEnvelope(source: AsyncIterable<Uint8Array>, limits: Limits): Promise<EnvelopeStream> {
  const r = new BerReader(source);
  const f = new Frames(r);
  if ((await r.peekByte()) === null) throw new MalformedInputError('empty input');

  const ci = await expectTag(r, 0x30, 'ContentInfo');
  f.open(ci, 'ContentInfo');
  const contentType = await readOid(r, f, 'ContentInfo content type', limits);
  const authenticated = contentType === OID.authEnvelopedData;
  if (contentType !== OID.envelopedData && !authenticated) {
    const name = contentType === OID.signedData ? 'signed data' : contentType === OID.authEnvelopedData ? 'authenticated-enveloped data' : oidName(contentType) ?? 'unknown';
    throw new UnsupportedContentError(`not an enveloped message: content type is ${name} (${contentType})`);
  }
  const explicit = await expectTag(r, 0xa0, 'ContentInfo content');
  f.open(explicit, 'ContentInfo content');
  const kind = authenticated ? 'AuthEnvelopedData' : 'EnvelopedData';
  const ed = await expectTag(r, 0x30, kind);
  f.open(ed, kind);

  const headerStart = r.offset;
  const budget = (): number => limits.maxHeaderBytes - (r.offset - headerStart);
  const element = async (h: BerHeader, what: string): Promise<Uint8Array> => {
    f.check(h, what);
    if (h.length !== null && h.length > budget()) throw new LimitExceededError(`${what} is larger than the header limit of ${limits.maxHeaderBytes} bytes`);
    return r.readElementBody(h, Math.max(budget(), 0) + h.raw.length, limits.maxDepth);
  };

  const vh = await expectTag(r, 0x02, `${kind} version`);
  const vbytes = await element(vh, `${kind} version`);
  // smallInteger refuses an empty, negative or long INTEGER (asn1js's valueDec reads those as 0).
  const version = smallInteger(parseBer(vbytes, `${kind} version`), `${kind} version`);
  // RFC 5083 §2.1: "version is the syntax version number. It MUST be set to 0."
  if (version > (authenticated ? 0 : 4)) throw new MalformedInputError(`unknown ${kind} version ${version}`);

  let h = await r.readHeader();
  let originatorInfo: Uint8Array | undefined;
  let originatorCertificates = 0;
  if (h.tag === 0xa0) {
    originatorInfo = await element(h, 'originatorInfo');
    // Only counted, never used: checked as BER and split without building a tree (10,000 certificates
    // would be a million asn1js objects).
    scanBer(originatorInfo, 'originatorInfo', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes });
    const certs = elementsOf(originatorInfo, 'originatorInfo').find((c) => c[0] === 0xa0);
    const n = certs ? elementsOf(certs, 'originatorInfo certificates', limits.maxCertificates) : [];
    originatorCertificates = typeof n === 'number' ? n : n.length;
    if (originatorCertificates > limits.maxCertificates) {
      throw new LimitExceededError(`message carries ${originatorCertificates} certificates, more than the limit of ${limits.maxCertificates}`);
    }
    h = await r.readHeader();
  }
  if (h.tag !== 0x31) throw new MalformedInputError(`malformed ${kind}: expected recipientInfos`);
  const risBytes = await element(h, 'recipientInfos');
  const recipientInfos = decodeRecipientInfosDer(risBytes, limits);

  const eci = await expectTag(r, 0x30, 'EncryptedContentInfo');
  f.open(eci, 'EncryptedContentInfo');
  const innerType = await readOid(r, f, 'encrypted content type', limits);
  const ah = await expectTag(r, 0x30, 'content encryption algorithm');
  const contentEncryptionAlgorithm = decodeAlgorithmIdentifier(
    parseBer(await element(ah, 'content encryption algorithm'), 'content encryption algorithm', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes }),
    'content encryption algorithm', limits.maxOidBytes,
  );

  if (!(await f.hasMore())) {
    throw new UnsupportedContentError('the encrypted content is detached (not inside the message)');
  }
  const ch = await r.readHeader();
  if (ch.tag !== 0x80 && ch.tag !== 0xa0) throw new MalformedInputError('malformed EncryptedContentInfo: expected encryptedContent [0]');
  f.check(ch, 'encryptedContent');

  const header: EnvelopeHeader = {
    authenticated,
    version,
    ...(originatorInfo ? { originatorInfo } : {}),
    originatorCertificates,
    recipientInfos,
    contentType: innerType,
    contentEncryptionAlgorithm,
    indefinite: ci.length === null || ch.length === null,
    ciphertextLength: ch.constructed ? null : ch.length,
  };

  let auth: EnvelopeAuthentication | undefined;
  async function* content(): AsyncGenerator<Uint8Array, void, void> {
    yield* octetStringContent(r, f, ch, 'encryptedContent', limits.maxDepth);
    await f.close(); // EncryptedContentInfo
    if (authenticated) {
      // authAttrs [1] IMPLICIT SET OF Attribute OPTIONAL, mac OCTET STRING, unauthAttrs [2] OPTIONAL.
      let t = await r.readHeader();
      let aad: Uint8Array | undefined;
      if (t.tag === 0xa1) {
        const body = await element(t, 'authAttrs');
        scanBer(body, 'authAttrs', { maxDepth: limits.maxDepth, maxOidLength: limits.maxOidBytes });
        // The tag covers the DER of the attributes under their universal SET tag, not the [1] IMPLICIT one.
        aad = new Uint8Array(body);
        aad[0] = 0x31;
        t = await r.readHeader();
      }
      if (t.tag !== 0x04) throw new MalformedInputError('malformed AuthEnvelopedData: expected the mac (an OCTET STRING)');
      f.check(t, 'mac');
      if (t.length === null || t.length > MAX_MAC_BYTES) throw new MalformedInputError('malformed AuthEnvelopedData: the mac is not a short OCTET STRING');
      const macTlv = await r.readElementBody(t, MAX_MAC_BYTES + 4, 1);
      const mac = macTlv.subarray(macTlv.length - t.length);
      if (await f.hasMore()) {
        const ua = await r.readHeader();
        if (ua.tag !== 0xa2) throw new MalformedInputError('malformed AuthEnvelopedData: unexpected element after the mac');
        await element(ua, 'unauthAttrs');
      }
      auth = { mac: new Uint8Array(mac), ...(aad ? { aad } : {}) };
    } else if (await f.hasMore()) {
      const ua = await r.readHeader();
      if (ua.tag !== 0xa1) throw new MalformedInputError('malformed EnvelopedData: unexpected element after EncryptedContentInfo');
      await element(ua, 'unprotectedAttrs');
    }
    await f.close(); // EnvelopedData / AuthEnvelopedData
    await f.close(); // [0]
    await f.close(); // ContentInfo
    if (!(await r.atEnd())) throw new MalformedInputError(`trailing data after the message at byte ${r.offset}`);
  }

  return {
    header,
    content: content(),
    authentication() {
      if (!auth) throw new Error('unreachable: the authentication tag is read after the content');
      return auth;
    },
  };
}
