// A small, independent BER reader for the interop harness.
//
// The matrix must check what each side *wrote* (did the peer really use OAEP-SHA-256? did p7m
// really stream indefinite lengths?) without trusting p7m's own parser or any one peer, so this
// file reads just enough of X.690 to describe an EnvelopedData (RFC 5652 §6) and a certificate.
// It does no crypto.

export interface BerNode {
  /** First identifier octet (class, constructed bit, low tag number). */
  readonly tag: number;
  readonly constructed: boolean;
  /** True when the length octets were 0x80 (X.690 §8.1.3.6). */
  readonly indefinite: boolean;
  readonly start: number;
  readonly contentStart: number;
  readonly contentEnd: number;
  /** Offset just past the node, end-of-contents octets included. */
  readonly end: number;
  readonly children: readonly BerNode[];
}

export class BerError extends Error {}

const MAX_DEPTH = 64;

export function parseBer(buf: Uint8Array, offset = 0, depth = 0): BerNode {
  if (depth > MAX_DEPTH) throw new BerError('nesting too deep');
  let p = offset;
  const need = (n: number): void => {
    if (p + n > buf.length) throw new BerError(`truncated at offset ${p}`);
  };
  need(2);
  const tag = buf[p++]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError(`high tag number at offset ${offset} not supported`);
  const constructed = (tag & 0x20) !== 0;
  const first = buf[p++]!;
  let indefinite = false;
  let length = 0;
  if (first === 0x80) {
    if (!constructed) throw new BerError(`indefinite length on a primitive at offset ${offset}`);
    indefinite = true;
  } else if (first & 0x80) {
    const n = first & 0x7f;
    if (n > 4) throw new BerError(`length of ${n} octets at offset ${offset}`);
    need(n);
    for (let i = 0; i < n; i++) length = length * 256 + buf[p++]!;
  } else {
    length = first;
  }
  const contentStart = p;
  const children: BerNode[] = [];
  if (indefinite) {
    for (;;) {
      need(2);
      if (buf[p] === 0 && buf[p + 1] === 0) {
        return { tag, constructed, indefinite, start: offset, contentStart, contentEnd: p, end: p + 2, children };
      }
      const child = parseBer(buf, p, depth + 1);
      children.push(child);
      p = child.end;
    }
  }
  const contentEnd = contentStart + length;
  if (contentEnd > buf.length) throw new BerError(`length ${length} at offset ${offset} runs past the end`);
  if (constructed) {
    while (p < contentEnd) {
      const child = parseBer(buf, p, depth + 1);
      if (child.end > contentEnd) throw new BerError(`child at ${p} overruns its parent at ${offset}`);
      children.push(child);
      p = child.end;
    }
  }
  return { tag, constructed, indefinite, start: offset, contentStart, contentEnd, end: contentEnd, children };
}

export function content(buf: Uint8Array, n: BerNode): Uint8Array {
  return buf.subarray(n.contentStart, n.contentEnd);
}

export function decodeOid(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const b of bytes) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) {
        const first = v < 80 ? Math.floor(v / 40) : 2;
        arcs.push(first, v - first * 40);
      } else {
        arcs.push(v);
      }
      v = 0;
    }
  }
  return arcs.join('.');
}

function anyIndefinite(n: BerNode): boolean {
  return n.indefinite || n.children.some(anyIndefinite);
}

function child(n: BerNode, i: number, what: string): BerNode {
  const c = n.children[i];
  if (!c) throw new BerError(`missing ${what}`);
  return c;
}

function expectTag(n: BerNode, tag: number, what: string): BerNode {
  if (n.tag !== tag) throw new BerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${n.tag.toString(16)}`);
  return n;
}

function oidOf(buf: Uint8Array, n: BerNode, what: string): string {
  return decodeOid(content(buf, expectTag(n, 0x06, what)));
}

/** The bytes of a possibly constructed OCTET STRING (BER allows chunks, X.690 §8.7.3). */
function octets(buf: Uint8Array, n: BerNode): Uint8Array {
  if (!n.constructed) return content(buf, n);
  return Buffer.concat(n.children.map((c) => octets(buf, c)));
}

export const OID = {
  envelopedData: '1.2.840.113549.1.7.3',
  data: '1.2.840.113549.1.7.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  des3: '1.2.840.113549.3.7',
  aes128: '2.16.840.1.101.3.4.1.2',
  aes192: '2.16.840.1.101.3.4.1.22',
  aes256: '2.16.840.1.101.3.4.1.42',
  'aes256-gcm': '2.16.840.1.101.3.4.1.46',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
  subjectKeyIdentifier: '2.5.29.14',
  signedData: '1.2.840.113549.1.7.2',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilities: '1.2.840.113549.1.9.15',
  contentIdentifier: '1.2.840.113549.1.9.16.2.7',
  cmsAlgorithmProtection: '1.2.840.113549.1.9.52',
} as const;

const NAMES: Record<string, string> = Object.fromEntries(Object.entries(OID).map(([k, v]) => [v, k]));
export function oidName(oid: string): string {
  return NAMES[oid] ?? oid;
}

export type RecipientId =
  | { readonly kind: 'issuer-serial'; readonly issuer: string; readonly serial: string }
  | { readonly kind: 'ski'; readonly ski: string };

export interface KeyTransRecipient {
  readonly version: number;
  readonly rid: RecipientId;
  /** 'pkcs1', 'oaep-sha1', 'oaep-sha256', … or the raw OID for anything else. */
  readonly keyTransport: string;
}

export interface EnvelopeSummary {
  /** Outer ContentInfo used the indefinite length form. */
  readonly outerIndefinite: boolean;
  /** Some node anywhere used the indefinite form. */
  readonly anyIndefinite: boolean;
  readonly cipher: string;
  /** encryptedContentInfo.contentType: 'data', or 'signedData' for p7m's sign-then-encrypt. */
  readonly contentType: string;
  readonly recipients: readonly KeyTransRecipient[];
  readonly encryptedContentLength: number;
}

function hashName(oid: string): string {
  const n = oidName(oid);
  return n === oid ? `hash(${oid})` : n;
}

/** RFC 4055 §4.1: RSAES-OAEP-params, every field DEFAULT (sha1, mgf1SHA1, pSpecifiedEmpty). */
function describeOaep(buf: Uint8Array, params: BerNode | undefined): string {
  let hash: string = OID.sha1;
  let mgfHash: string = OID.sha1;
  if (params && params.tag === 0x30) {
    for (const f of params.children) {
      if (f.tag === 0xa0) hash = oidOf(buf, child(child(f, 0, 'hashAlgorithm'), 0, 'hash OID'), 'hash OID');
      if (f.tag === 0xa1) {
        const alg = child(f, 0, 'maskGenAlgorithm');
        const mgf = oidOf(buf, child(alg, 0, 'mgf OID'), 'mgf OID');
        if (mgf !== OID.mgf1) return `oaep-mgf(${mgf})`;
        mgfHash = oidOf(buf, child(child(alg, 1, 'mgf1 hash'), 0, 'mgf1 hash OID'), 'mgf1 hash OID');
      }
    }
  }
  const h = hashName(hash);
  return mgfHash === hash ? `oaep-${h}` : `oaep-${h}-mgf1-${hashName(mgfHash)}`;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/**
 * Describes a BER/DER ContentInfo holding EnvelopedData, or AuthEnvelopedData (RFC 5083: the same fields
 * up to the EncryptedContentInfo), with KeyTransRecipientInfos.
 */
export function summarizeEnvelope(der: Uint8Array): EnvelopeSummary {
  const root = parseBer(der);
  if (root.end !== der.length) throw new BerError(`${der.length - root.end} trailing bytes after ContentInfo`);
  expectTag(root, 0x30, 'ContentInfo');
  const type = oidOf(der, child(root, 0, 'contentType'), 'contentType');
  if (type !== OID.envelopedData && type !== OID.authEnvelopedData) throw new BerError(`contentType is ${oidName(type)}, not envelopedData`);
  const ed = child(expectTag(child(root, 1, 'content'), 0xa0, '[0] content'), 0, 'EnvelopedData');
  expectTag(ed, 0x30, 'EnvelopedData');
  let i = 1; // children[0] is the version
  if (ed.children[i]?.tag === 0xa0) i++; // originatorInfo
  const ris = expectTag(child(ed, i, 'recipientInfos'), 0x31, 'recipientInfos');
  const eci = expectTag(child(ed, i + 1, 'encryptedContentInfo'), 0x30, 'EncryptedContentInfo');
  const contentType = oidName(oidOf(der, child(eci, 0, 'contentType'), 'contentType'));
  const cipherOid = oidOf(der, child(child(eci, 1, 'contentEncryptionAlgorithm'), 0, 'cipher OID'), 'cipher OID');
  const ec = eci.children[2];
  const recipients = ris.children.map((ri): KeyTransRecipient => {
    expectTag(ri, 0x30, 'KeyTransRecipientInfo');
    const version = content(der, child(ri, 0, 'version'))[0] ?? -1;
    const ridNode = child(ri, 1, 'rid');
    let rid: RecipientId;
    if (ridNode.tag === 0x30) {
      const issuer = child(ridNode, 0, 'issuer');
      rid = {
        kind: 'issuer-serial',
        issuer: hex(der.subarray(issuer.start, issuer.end)),
        serial: hex(content(der, child(ridNode, 1, 'serialNumber'))),
      };
    } else if (ridNode.tag === 0x80 || ridNode.tag === 0xa0) {
      rid = { kind: 'ski', ski: hex(octets(der, ridNode)) };
    } else {
      throw new BerError(`rid with tag 0x${ridNode.tag.toString(16)} (not a KeyTransRecipientInfo?)`);
    }
    const alg = child(ri, 2, 'keyEncryptionAlgorithm');
    const ktOid = oidOf(der, child(alg, 0, 'keyEncryptionAlgorithm OID'), 'keyEncryptionAlgorithm OID');
    const keyTransport =
      ktOid === OID.rsaEncryption ? 'pkcs1' : ktOid === OID.rsaesOaep ? describeOaep(der, alg.children[1]) : ktOid;
    return { version, rid, keyTransport };
  });
  const gcm = cipherOid === OID['aes256-gcm'];
  // GCM belongs in AuthEnvelopedData and CBC in EnvelopedData: a writer that mixes them wrote something else.
  if (gcm !== (type === OID.authEnvelopedData)) throw new BerError(`${oidName(cipherOid)} inside ${oidName(type)}`);
  return {
    outerIndefinite: root.indefinite,
    anyIndefinite: anyIndefinite(root),
    cipher: oidName(cipherOid),
    contentType,
    recipients,
    encryptedContentLength: ec ? octets(der, ec).length : 0,
  };
}

export interface SignedSummary {
  /** A SignedData without its ContentInfo (what RFC 5652 §6.1 nesting under id-signedData means). */
  readonly bare: boolean;
  readonly outerIndefinite: boolean;
  readonly eContentType: string;
  readonly detached: boolean;
  readonly eContentLength: number;
  readonly certificates: number;
  readonly signers: readonly {
    readonly digest: string;
    /** 'rsa-pkcs1', 'rsa-pss', 'ecdsa', or the raw OID. */
    readonly scheme: string;
    /** Signed attribute types by name (contentType, signingTime, contentIdentifier, …). */
    readonly attrs: readonly string[];
  }[];
}

const SCHEMES: Record<string, string> = {
  [OID.rsaEncryption]: 'rsa-pkcs1',
  [OID.sha256WithRSAEncryption]: 'rsa-pkcs1',
  [OID.sha384WithRSAEncryption]: 'rsa-pkcs1',
  [OID.sha512WithRSAEncryption]: 'rsa-pkcs1',
  [OID.rsassaPss]: 'rsa-pss',
  [OID.ecdsaWithSHA256]: 'ecdsa',
  [OID.ecdsaWithSHA384]: 'ecdsa',
  [OID.ecdsaWithSHA512]: 'ecdsa',
};

/** Describes a SignedData, in a ContentInfo or bare (RFC 5652 §5.1, §5.3). */
export function summarizeSigned(der: Uint8Array): SignedSummary {
  const root = parseBer(der);
  if (root.end !== der.length) throw new BerError(`${der.length - root.end} trailing bytes after the SignedData`);
  expectTag(root, 0x30, 'ContentInfo or SignedData');
  const bare = root.children[0]?.tag === 0x02;
  let sd = root;
  if (!bare) {
    const type = oidOf(der, child(root, 0, 'contentType'), 'contentType');
    if (type !== OID.signedData) throw new BerError(`contentType is ${oidName(type)}, not signedData`);
    sd = expectTag(child(expectTag(child(root, 1, 'content'), 0xa0, '[0] content'), 0, 'SignedData'), 0x30, 'SignedData');
  }
  const encap = expectTag(child(sd, 2, 'encapContentInfo'), 0x30, 'EncapsulatedContentInfo');
  const eContent = encap.children[1];
  const certs = sd.children.find((c) => c.tag === 0xa0);
  const signerInfos = expectTag(sd.children[sd.children.length - 1]!, 0x31, 'signerInfos');
  const signers = signerInfos.children.map((si) => {
    let i = 2; // version, sid
    const digest = hashName(oidOf(der, child(child(si, i++, 'digestAlgorithm'), 0, 'digest OID'), 'digest OID'));
    const attrs: string[] = [];
    if (si.children[i]?.tag === 0xa0) {
      for (const a of si.children[i]!.children) attrs.push(oidName(oidOf(der, child(a, 0, 'attribute type'), 'attribute type')));
      i++;
    }
    const sigOid = oidOf(der, child(child(si, i, 'signatureAlgorithm'), 0, 'signature OID'), 'signature OID');
    return { digest, scheme: SCHEMES[sigOid] ?? sigOid, attrs };
  });
  return {
    bare,
    outerIndefinite: root.indefinite,
    eContentType: oidName(oidOf(der, child(encap, 0, 'eContentType'), 'eContentType')),
    detached: eContent === undefined,
    eContentLength: eContent ? octets(der, child(eContent, 0, 'eContent')).length : 0,
    certificates: certs?.children.length ?? 0,
    signers,
  };
}

export interface CertIds {
  readonly issuer: string;
  readonly serial: string;
  readonly ski: string | null;
}

/** issuer (DER, hex), serialNumber (content octets, hex) and SKI of an X.509 certificate. */
export function certIds(der: Uint8Array): CertIds {
  const tbs = child(parseBer(der), 0, 'tbsCertificate');
  const i = tbs.children[0]?.tag === 0xa0 ? 1 : 0;
  const serial = hex(content(der, child(tbs, i, 'serialNumber')));
  const issuer = child(tbs, i + 2, 'issuer');
  let ski: string | null = null;
  const ext = tbs.children.find((c) => c.tag === 0xa3);
  for (const e of ext?.children[0]?.children ?? []) {
    if (oidOf(der, child(e, 0, 'extnID'), 'extnID') === OID.subjectKeyIdentifier) {
      const value = child(e, e.children.length - 1, 'extnValue');
      const inner = content(der, value);
      ski = hex(content(inner, parseBer(inner)));
    }
  }
  return { issuer: hex(der.subarray(issuer.start, issuer.end)), serial, ski };
}

export type Framing =
  | { readonly form: 'der' }
  | { readonly form: 'pem'; readonly label: string }
  | { readonly form: 'smime'; readonly contentType: string; /** multipart/signed: the micalg parameter, lower case */ readonly micalg?: string }
  | { readonly form: 'base64' };

/**
 * Tells how a message is framed (binary, PEM, S/MIME entity, bare base64) and returns the BER
 * inside. Strict enough to tell the forms apart, lenient about line endings.
 */
export function unframe(bytes: Uint8Array): { framing: Framing; ber: Uint8Array } {
  if (bytes.length > 0 && bytes[0] === 0x30) return { framing: { form: 'der' }, ber: bytes };
  const text = Buffer.from(bytes).toString('latin1');
  const pem = /^\s*-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----\s*$/.exec(text);
  if (pem) return { framing: { form: 'pem', label: pem[1]! }, ber: decodeBase64Strict(pem[2]!) };
  const split = /\r?\n\r?\n/.exec(text);
  if (split && /^[A-Za-z-]+:/.test(text)) {
    const headers = text.slice(0, split.index);
    const ct = /^content-type:\s*([^;\r\n]+)/im.exec(headers);
    const cte = /^content-transfer-encoding:\s*(\S+)/im.exec(headers);
    if (!ct) throw new BerError('MIME headers without Content-Type');
    if (!cte || cte[1]!.toLowerCase() !== 'base64') throw new BerError(`S/MIME body is not base64 (${cte?.[1] ?? 'no CTE'})`);
    return {
      framing: { form: 'smime', contentType: ct[1]!.trim() },
      ber: decodeBase64Strict(text.slice(split.index + split[0].length)),
    };
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(text)) return { framing: { form: 'base64' }, ber: decodeBase64Strict(text) };
  throw new BerError('neither DER, PEM, S/MIME nor base64');
}

function decodeBase64Strict(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new BerError('invalid base64');
  return Buffer.from(clean, 'base64');
}
