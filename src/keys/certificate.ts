/**
 * X.509 certificates (RFC 5280) as p7m uses them: the identifiers a RecipientInfo / SignerInfo names (issuer Name
 * and serial, byte-exact from the certificate; SubjectKeyIdentifier), the public key, the fields the checks read
 * (keyUsage, extKeyUsage, validity, basicConstraints, critical extensions), and what a signature check over the
 * certificate needs (the TBSCertificate bytes, signatureAlgorithm, signatureValue). One parser for every
 * certificate p7m reads: recipient and key files here, the certificates in a signed message and the trust anchors
 * in src/signed/.
 *
 * The certificate is walked with src/keys/der.ts in DER mode rather than node:crypto.X509Certificate, which only
 * offers the serial as a re-encoded hex number and the names as OpenSSL's text; the public key goes through
 * createPublicKey. Signatures are not checked here: that is chain validation's business (src/signed/chain.ts).
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyFileError } from '../errors.js';
import { OID } from '../oids.js';
import * as der from './der.js';
import { TAG, ctx } from './der.js';
import { detectEncoding, parsePem } from './pem.js';

/** RFC 5280 §4.2.1.3 KeyUsage bits, by name. */
export interface KeyUsage {
  digitalSignature: boolean;
  nonRepudiation: boolean; // a.k.a. contentCommitment
  keyEncipherment: boolean;
  dataEncipherment: boolean;
  keyAgreement: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
  encipherOnly: boolean;
  decipherOnly: boolean;
}

const KEY_USAGE_BITS: readonly (keyof KeyUsage)[] = [
  'digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement',
  'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly',
];

export interface CertInfo {
  /** The whole certificate, DER. */
  der: Uint8Array;
  /** DER of the issuer Name, byte-exact from the certificate (compared against IssuerAndSerialNumber). */
  issuerDer: Uint8Array;
  /** DER of the subject Name, byte-exact (to match a child certificate's issuer). */
  subjectDer: Uint8Array;
  /** INTEGER contents octets of serialNumber, exactly as encoded (leading 00 kept). */
  serial: Uint8Array;
  /** Value of the SubjectKeyIdentifier extension (RFC 5280 §4.2.1.2), if present. */
  subjectKeyIdentifier?: Uint8Array;
  /** keyIdentifier of the AuthorityKeyIdentifier extension (RFC 5280 §4.2.1.1), if present. */
  authorityKeyIdentifier?: Uint8Array;
  publicKey: KeyObject;
  /** node:crypto's asymmetricKeyType: 'rsa', 'rsa-pss', 'ec', 'ed25519', … */
  keyType: 'rsa' | 'ec' | string;
  rsaBits?: number;
  /** For EC keys: node:crypto's curve name ('prime256v1', 'secp384r1', …). */
  ecCurve?: string;
  notBefore: Date;
  notAfter: Date;
  /** undefined when the certificate has no keyUsage extension (any usage allowed, RFC 5280 §4.2.1.3). */
  keyUsage?: KeyUsage;
  /** Key purpose OIDs of extKeyUsage (RFC 5280 §4.2.1.12); undefined when absent. */
  extKeyUsage?: string[];
  /** basicConstraints cA (RFC 5280 §4.2.1.9): `basicConstraints?.cA ?? false`. */
  isCA: boolean;
  /** The basicConstraints extension (RFC 5280 §4.2.1.9); undefined when absent (a v1 certificate, an end entity). */
  basicConstraints?: { readonly cA: boolean; readonly pathLenConstraint?: number };
  /** extnIDs of the extensions marked critical (RFC 5280 §4.2): a verifier refuses one it does not understand. */
  criticalExtensions: readonly string[];
  /** DER of tbsCertificate, byte-exact: what the issuer signed (RFC 5280 §4.1.1.1). */
  tbsCertificate: Uint8Array;
  /** Certificate.signatureAlgorithm (RFC 5280 §4.1.1.2); params as the DER of the parameters element. */
  signatureAlgorithm: { readonly oid: string; readonly params?: Uint8Array };
  /**
   * Whether tbsCertificate.signature is byte for byte the outer signatureAlgorithm, as RFC 5280 §4.1.2.3 requires
   * (and OpenSSL's X509_verify checks): a certificate where they differ never has a valid signature.
   */
  signatureAlgorithmsAgree: boolean;
  /** Certificate.signatureValue BIT STRING (RFC 5280 §4.1.1.3): unused-bit count and the bit octets. */
  signatureValue: { readonly unused: number; readonly bits: Uint8Array };
  /** Readable subject, RFC 4514 string order (most significant RDN last): `CN=Alice,O=Example`. */
  subject: string;
  issuer: string;
  /** First rfc822Name of subjectAltName, else the subject's emailAddress attribute. */
  email?: string;
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  fingerprintSha256: string;
}

/** RFC 4514 §3 short names, plus the ones OpenSSL prints that users recognise. */
const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  [OID.emailAddress]: 'emailAddress',
};

/**
 * Node imports an RSA key given as PKCS#1 (RFC 8017 §A.1.1) about 18× faster than as a
 * SubjectPublicKeyInfo (16 µs against 295 µs for RSA-3072): for rsaEncryption keys the BIT STRING
 * already holds the PKCS#1 RSAPublicKey, so pass that. Encrypting to 100 recipients parses 100 of these.
 */
function importSpki(spki: der.Tlv): KeyObject {
  const r = der.seq(spki, 'SubjectPublicKeyInfo');
  const alg = der.algorithmIdentifier(r.next(TAG.SEQUENCE, 'algorithm'), 'algorithm');
  if (alg.oid === OID.rsaEncryption) {
    const { unused, bits } = der.bitString(r.next(TAG.BIT_STRING, 'subjectPublicKey'));
    if (unused === 0) return createPublicKey({ key: Buffer.from(bits), format: 'der', type: 'pkcs1' });
  }
  return createPublicKey({ key: Buffer.from(spki.bytes), format: 'der', type: 'spki' });
}

/** Parses one DER certificate (RFC 5280 §4.1). Malformed input → KeyFileError. */
export function parseCertificate(derBytes: Uint8Array): CertInfo {
  const cert = der.parse(derBytes, 'der');
  const c = der.seq(cert, 'Certificate');
  const tbsT = c.next(TAG.SEQUENCE, 'tbsCertificate');
  const tbs = der.seq(tbsT, 'TBSCertificate');
  const sigAlgT = c.next(TAG.SEQUENCE, 'signatureAlgorithm');
  const sigAlg = der.algorithmIdentifier(sigAlgT, 'signatureAlgorithm');
  const signatureValue = der.bitString(c.next(TAG.BIT_STRING, 'signatureValue'));
  c.end();

  const versionTag = tbs.optional(ctx(0, true));
  let version = 0;
  if (versionTag) {
    const v = new der.Reader(versionTag, 'version');
    version = der.smallInt(v.next(TAG.INTEGER, 'version'));
    v.end();
    if (version > 2) throw new KeyFileError(`unknown certificate version ${version + 1}`);
  }
  const serial = der.integerBytes(tbs.next(TAG.INTEGER, 'serialNumber'));
  const innerSigAlgT = tbs.next(TAG.SEQUENCE, 'signature');
  der.algorithmIdentifier(innerSigAlgT, 'signature'); // §4.1.2.3: read as strictly as the outer one
  const issuerT = tbs.next(TAG.SEQUENCE, 'issuer');
  const validity = der.seq(tbs.next(TAG.SEQUENCE, 'validity'), 'Validity');
  const notBefore = der.time(validity.any('notBefore'));
  const notAfter = der.time(validity.any('notAfter'));
  validity.end();
  const subjectT = tbs.next(TAG.SEQUENCE, 'subject');
  const spki = tbs.next(TAG.SEQUENCE, 'subjectPublicKeyInfo');
  tbs.optional(ctx(1, false)); // issuerUniqueID
  tbs.optional(ctx(2, false)); // subjectUniqueID
  const extsTag = tbs.optional(ctx(3, true));
  tbs.end();

  let publicKey: KeyObject;
  try {
    publicKey = importSpki(spki);
  } catch (e) {
    throw new KeyFileError('the certificate holds a public key node:crypto cannot read', { cause: e });
  }

  // Both Names are walked now (a malformed one is refused here); the readable names, the e-mail
  // address and the fingerprint are for messages only, and formatting them cost ~20% of each recipient
  // when encrypting to 100 in a cold process: they are made on first use.
  const issuerAttributes = nameAttributes(issuerT);
  const subjectAttributes = nameAttributes(subjectT);
  let subject: string | undefined;
  let issuer: string | undefined;
  let fingerprint: string | undefined;
  let email: string | null | undefined; // null: looked for, none
  const info: CertInfo = {
    der: cert.bytes,
    issuerDer: issuerT.bytes,
    subjectDer: subjectT.bytes,
    serial,
    publicKey,
    keyType: publicKey.asymmetricKeyType ?? 'unknown',
    notBefore,
    notAfter,
    isCA: false,
    criticalExtensions: [],
    tbsCertificate: tbsT.bytes,
    signatureAlgorithm: sigAlg.params ? { oid: sigAlg.oid, params: sigAlg.params.bytes } : { oid: sigAlg.oid },
    signatureAlgorithmsAgree: Buffer.compare(sigAlgT.bytes, innerSigAlgT.bytes) === 0,
    signatureValue,
    get subject() { return (subject ??= formatName(subjectAttributes)); },
    get issuer() { return (issuer ??= formatName(issuerAttributes)); },
    get fingerprintSha256() { return (fingerprint ??= createHash('sha256').update(cert.bytes).digest('hex')); },
    // subjectAltName's rfc822Name (set while the extensions are read), else the subject's emailAddress.
    get email() {
      if (email === undefined) email = emailFromName(subjectAttributes) ?? null;
      return email ?? undefined;
    },
    set email(v: string | undefined) { email = v ?? null; },
  };
  const details = publicKey.asymmetricKeyDetails;
  if (info.keyType === 'rsa' || info.keyType === 'rsa-pss') info.rsaBits = details?.modulusLength;
  if (info.keyType === 'ec' && details?.namedCurve) info.ecCurve = details.namedCurve;

  if (extsTag) {
    const list = new der.Reader(extsTag, 'extensions');
    const exts = der.seq(list.next(TAG.SEQUENCE, 'Extensions'), 'Extensions').rest();
    list.end();
    // RFC 5280 §4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
    if (exts.length === 0) throw new KeyFileError('malformed ASN.1: Extensions: empty');
    const seen = new Set<string>();
    const critical: string[] = [];
    for (const e of exts) {
      // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
      const r = der.seq(e, 'Extension');
      const id = der.oid(r.next(TAG.OID, 'extnID'));
      const crit = r.optional(TAG.BOOLEAN);
      const value = r.next(TAG.OCTET_STRING, 'extnValue').content;
      r.end();
      // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
      if (seen.has(id)) throw new KeyFileError(`the certificate repeats extension ${id}`);
      seen.add(id);
      if (crit && der.boolean(crit)) critical.push(id);
      readExtension(info, id, value);
    }
    info.criticalExtensions = critical;
  }
  return info;
}

function readExtension(info: CertInfo, id: string, value: Uint8Array): void {
  switch (id) {
    case OID.subjectKeyIdentifier: {
      const t = der.parse(value, 'der');
      if (t.tag !== TAG.OCTET_STRING) throw new KeyFileError('bad SubjectKeyIdentifier extension');
      info.subjectKeyIdentifier = t.content;
      return;
    }
    case OID.authorityKeyIdentifier: {
      const r = der.seq(der.parse(value, 'der'), 'AuthorityKeyIdentifier');
      const kid = r.optional(ctx(0, false));
      r.rest();
      if (kid) info.authorityKeyIdentifier = kid.content;
      return;
    }
    case OID.keyUsage: {
      const { bits } = der.bitString(der.parse(value, 'der'));
      const ku = {} as KeyUsage;
      KEY_USAGE_BITS.forEach((name, i) => {
        const byte = bits[i >> 3] ?? 0;
        ku[name] = (byte & (0x80 >> (i & 7))) !== 0;
      });
      info.keyUsage = ku;
      return;
    }
    case OID.extKeyUsage: {
      // ExtKeyUsageSyntax ::= SEQUENCE SIZE (1..MAX) OF KeyPurposeId
      const r = der.seq(der.parse(value, 'der'), 'ExtKeyUsageSyntax');
      const purposes = r.rest().map((t) => der.oid(t));
      if (purposes.length === 0) throw new KeyFileError('malformed ASN.1: ExtKeyUsageSyntax: empty');
      info.extKeyUsage = purposes;
      return;
    }
    case OID.basicConstraints: {
      // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER (0..MAX) OPTIONAL }
      const r = der.seq(der.parse(value, 'der'), 'BasicConstraints');
      const ca = r.optional(TAG.BOOLEAN);
      const pathLen = r.optional(TAG.INTEGER);
      r.end();
      const cA = ca ? der.boolean(ca) : false;
      info.isCA = cA;
      info.basicConstraints = pathLen ? { cA, pathLenConstraint: der.smallInt(pathLen) } : { cA };
      return;
    }
    case OID.subjectAltName: {
      const r = der.seq(der.parse(value, 'der'), 'GeneralNames');
      for (const g of r.rest()) {
        // GeneralName (§4.2.1.6) is a CHOICE of context-specific tags [0]..[8]; anything else is malformed.
        if ((g.tag & 0xc0) !== 0x80) throw new KeyFileError('malformed ASN.1: GeneralName: expected a context-specific tag');
        // GeneralName rfc822Name [1] IMPLICIT IA5String
        if (g.tag === ctx(1, false)) {
          info.email = Buffer.from(g.content).toString('latin1');
          return;
        }
      }
      return;
    }
    default:
      return;
  }
}

interface NameAttribute {
  readonly rdn: number;
  readonly type: string;
  readonly value: der.Tlv;
  /** The value as text when it is a directory string (RFC 5280 §4.1.2.4), else undefined. */
  readonly text: string | undefined;
}

/**
 * Name ::= SEQUENCE OF RelativeDistinguishedName; RDN ::= SET OF AttributeTypeAndValue (RFC 5280
 * §4.1.2.4). Walked when the certificate is parsed, so that a malformed Name is refused there; only
 * the formatting for messages waits until it is asked for.
 */
function nameAttributes(name: der.Tlv): NameAttribute[] {
  const out: NameAttribute[] = [];
  const rdns = der.seq(name, 'Name').rest();
  for (let i = 0; i < rdns.length; i++) {
    const set = rdns[i]!;
    if (set.tag !== TAG.SET) throw new KeyFileError('malformed ASN.1: Name: expected a SET');
    for (const atv of der.children(set)) {
      const r = der.seq(atv, 'AttributeTypeAndValue');
      const type = der.oid(r.next(TAG.OID, 'type'));
      const value = r.any('value');
      r.end();
      out.push({ rdn: i, type, value, text: der.directoryString(value) });
    }
  }
  return out;
}

export function nameToString(name: der.Tlv): string {
  return formatName(nameAttributes(name));
}

/** RFC 4514 §2: RDNs in reverse order, `+` inside a multi-valued RDN, values escaped per §2.4. */
function formatName(attributes: readonly NameAttribute[]): string {
  const rdns: string[][] = [];
  for (const { rdn, type, value, text } of attributes) {
    const short = ATTR_NAMES[type];
    // §2.4: a value that is not a string (or a type without a short name) is written as #hex of its BER encoding.
    const v = short !== undefined && text !== undefined ? escapeValue(text) : '#' + Buffer.from(value.bytes).toString('hex');
    (rdns[rdn] ??= []).push(`${short ?? type}=${v}`);
  }
  // The whole sequence of AttributeTypeAndValues reversed, inside a multi-valued RDN as well: what
  // `openssl -nameopt RFC2253` prints, so the two can be compared by eye.
  return rdns
    .filter((x) => x !== undefined)
    .reverse()
    .map((x) => x.reverse().join('+'))
    .join(',');
}

function escapeValue(s: string): string {
  let out = s.replace(/[\\"+,;<>]/g, (c) => '\\' + c).replace(/\0/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = '\\' + out;
  if (out.endsWith(' ') && out.length > 1) out = out.slice(0, -1) + '\\ ';
  return out;
}

function emailFromName(attributes: readonly NameAttribute[]): string | undefined {
  for (const { type, text } of attributes) {
    if (type === OID.emailAddress) return text;
  }
  return undefined;
}

/**
 * Certificates from a file: DER (exactly one certificate) or PEM with one or more CERTIFICATE blocks (other blocks,
 * such as a private key in a combined file, are skipped). Anything else → KeyFileError.
 */
export function loadCertificates(bytes: Uint8Array): CertInfo[] {
  if (detectEncoding(bytes, 'certificate') === 'der') return [parseCertificate(bytes)];
  const certs = parsePem(bytes)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificate(b.der));
  if (certs.length === 0) throw new KeyFileError('the PEM file holds no CERTIFICATE block');
  return certs;
}

/**
 * RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING contents (the unused-bits octet excluded).
 * This is what OpenSSL, NSS and Windows put in SubjectKeyIdentifier, so it finds a recipient addressed by SKI when
 * only the key is at hand. (An EC key is hashed as node:crypto exports it: the uncompressed point.)
 */
export function keyIdentifierOf(publicKey: KeyObject): Uint8Array {
  const pub = publicKey.type === 'private' ? createPublicKey(publicKey) : publicKey;
  const spki = der.parse(new Uint8Array(pub.export({ type: 'spki', format: 'der' })), 'der');
  const r = der.seq(spki, 'SubjectPublicKeyInfo');
  r.next(TAG.SEQUENCE, 'algorithm');
  const { bits } = der.bitString(r.next(TAG.BIT_STRING, 'subjectPublicKey'));
  r.end();
  return new Uint8Array(createHash('sha1').update(bits).digest());
}

/** True when `cert` certifies the public half of `key` (a private or public KeyObject). */
export function certificateMatchesKey(cert: CertInfo, key: KeyObject): boolean {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.equals(cert.publicKey);
}
