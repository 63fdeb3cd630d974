/**
 * What the signature and chain checks need from an X.509 certificate (RFC 5280 §4.1), read from DER.
 * Signature checking of the certificate itself and its public key come from node:crypto's X509Certificate;
 * the fields node does not expose exactly (raw issuer/subject names, serial bytes, validity, extensions
 * with their critical flag) are read here.
 *
 * (src/keys/certificate.ts has a CertInfo for key loading; this is the verifier's minimal view, parsed
 * from certificates found inside messages.)
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { MalformedInputError } from '../errors.js';
import { OID } from '../oids.js';
import { type Node, children, integerBytes, isContext, isUniversal, octetString, octets, oid, rawBytes, sequence, smallInteger } from '../format/asn1.js';
import { parseStrict } from './ber.js';
import { decodeTime } from './time.js';

/** KeyUsage bits (RFC 5280 §4.2.1.3), numbered as in the ASN.1. */
export const KEY_USAGE = { digitalSignature: 0, nonRepudiation: 1, keyEncipherment: 2, dataEncipherment: 3, keyAgreement: 4, keyCertSign: 5, cRLSign: 6 } as const;

/** Extensions whose meaning p7m either enforces or may safely ignore when marked critical. */
const UNDERSTOOD_EXTENSIONS = new Set<string>([
  OID.keyUsage, OID.basicConstraints, OID.extKeyUsage, OID.subjectKeyIdentifier,
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.17', // subjectAltName
]);

export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly subjectDer: Uint8Array;
  /** INTEGER contents octets, as encoded. */
  readonly serial: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly signatureAlgorithm: string;
  readonly subjectKeyIdentifier?: Uint8Array;
  /** Bit i set ⇔ KeyUsage bit i asserted; undefined when the extension is absent. */
  readonly keyUsage?: ReadonlySet<number>;
  readonly extKeyUsage?: readonly string[];
  readonly basicConstraints?: { readonly cA: boolean; readonly pathLen?: number };
  /** Critical extensions p7m does not understand: a path through this certificate is refused (RFC 5280 §4.2). */
  readonly unknownCritical: readonly string[];
  /** RFC 4514 string, most significant RDN last: 'CN=alice,O=p7m demo'. */
  readonly subject: string;
  readonly email?: string;
  /** Lower-case hex SHA-256 of the DER. */
  readonly fingerprintSha256: string;
  readonly publicKey: KeyObject;
  readonly x509: X509Certificate;
}

export function parseCertificate(der: Uint8Array, what = 'certificate'): ParsedCertificate {
  const top = sequence(parseStrict(der, what), what, 3, 3);
  const tbs = sequence(top[0]!, what, 6, 10);
  let i = 0;
  if (isContext(tbs[0]!, 0)) i++; // version [0] EXPLICIT
  const serial = integerBytes(tbs[i++]!, `${what} serial`);
  i++; // signature (inner AlgorithmIdentifier; node's verify uses the outer one)
  const issuer = tbs[i++]!;
  const validity = sequence(tbs[i++]!, `${what} validity`, 2, 2);
  const subject = tbs[i++]!;
  i++; // subjectPublicKeyInfo
  if (!isUniversal(issuer, 16) || !isUniversal(subject, 16)) throw new MalformedInputError(`malformed ${what}: names`);
  const sigAlg = oid(sequence(top[1]!, what, 1, 2)[0]!, what);

  let ski: Uint8Array | undefined;
  let keyUsage: Set<number> | undefined;
  let eku: string[] | undefined;
  let bc: { cA: boolean; pathLen?: number } | undefined;
  let email: string | undefined;
  const unknownCritical: string[] = [];
  for (; i < tbs.length; i++) {
    const f = tbs[i]!;
    if (!isContext(f, 3)) continue; // issuerUniqueID / subjectUniqueID
    const seen = new Set<string>();
    // [3] EXPLICIT Extensions: exactly one SEQUENCE inside (RFC 5280 §4.1); an empty [3] is malformed.
    const wrapped = children(f, what);
    if (wrapped.length !== 1) throw new MalformedInputError(`malformed ${what}: extensions`);
    for (const ext of sequence(wrapped[0]!, `${what} extensions`, 1, 1000)) {
      const e = sequence(ext, `${what} extension`, 2, 3);
      const id = oid(e[0]!, `${what} extension`);
      if (seen.has(id)) throw new MalformedInputError(`malformed ${what}: extension ${id} appears twice`);
      seen.add(id);
      const critical = e.length === 3 && isUniversal(e[1]!, 1) && octets(e[1]!, what)[0] !== 0;
      const value = octetString(e[e.length - 1]!, `${what} extension ${id}`);
      const ewhat = `${what} extension ${id}`;
      if (id === OID.subjectKeyIdentifier) {
        ski = octetString(parseStrict(value, ewhat), ewhat);
      } else if (id === OID.keyUsage) {
        keyUsage = decodeKeyUsage(parseStrict(value, ewhat), ewhat);
      } else if (id === OID.extKeyUsage) {
        eku = sequence(parseStrict(value, ewhat), ewhat, 1, 100).map((n) => oid(n, ewhat));
      } else if (id === OID.basicConstraints) {
        bc = decodeBasicConstraints(parseStrict(value, ewhat), ewhat);
      } else if (id === '2.5.29.17') {
        email = firstRfc822Name(parseStrict(value, ewhat), ewhat);
      }
      if (critical && !UNDERSTOOD_EXTENSIONS.has(id)) unknownCritical.push(id);
    }
  }

  let x509: X509Certificate;
  let publicKey: KeyObject;
  try {
    x509 = new X509Certificate(der);
    publicKey = x509.publicKey; // decoded lazily by node: a bad key surfaces here
  } catch (e) {
    throw new MalformedInputError(`malformed ${what}: node:crypto cannot read it`, { cause: e });
  }
  const names = rdnStrings(subject, what);
  const anyEmail = email ?? names.email;
  return {
    der,
    issuerDer: rawBytes(issuer),
    subjectDer: rawBytes(subject),
    serial,
    notBefore: decodeTime(validity[0]!, `${what} notBefore`),
    notAfter: decodeTime(validity[1]!, `${what} notAfter`),
    signatureAlgorithm: sigAlg,
    ...(ski ? { subjectKeyIdentifier: ski } : {}),
    ...(keyUsage ? { keyUsage } : {}),
    ...(eku ? { extKeyUsage: eku } : {}),
    ...(bc ? { basicConstraints: bc } : {}),
    unknownCritical,
    subject: names.text,
    ...(anyEmail !== undefined ? { email: anyEmail } : {}),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    publicKey,
    x509,
  };
}

function decodeKeyUsage(n: Node, what: string): Set<number> {
  if (!isUniversal(n, 3) || n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: expected BIT STRING`);
  const bytes = (n.valueBlock as unknown as { valueHexView: Uint8Array }).valueHexView;
  const set = new Set<number>();
  bytes.forEach((b, i) => { for (let bit = 0; bit < 8; bit++) if (b & (0x80 >> bit)) set.add(i * 8 + bit); });
  return set;
}

function decodeBasicConstraints(n: Node, what: string): { cA: boolean; pathLen?: number } {
  const f = sequence(n, what, 0, 2);
  let cA = false;
  let pathLen: number | undefined;
  for (const x of f) {
    if (isUniversal(x, 1)) cA = octets(x, what)[0] !== 0;
    else pathLen = smallInteger(x, what);
  }
  return pathLen === undefined ? { cA } : { cA, pathLen };
}

function firstRfc822Name(n: Node, what: string): string | undefined {
  for (const g of sequence(n, what, 0, 1000)) {
    if (isContext(g, 1) && !g.idBlock.isConstructed) return new TextDecoder().decode(octets(g, what));
  }
  return undefined;
}

/** RFC 4514 short names for the attribute types a person reads; others print as dotted OIDs. */
const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.9': 'STREET', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
  [OID.emailAddress]: 'emailAddress', '2.5.4.5': 'serialNumber',
};

function rdnStrings(name: Node, what: string): { text: string; email?: string } {
  const rdns: string[] = [];
  let email: string | undefined;
  for (const rdn of children(name, what)) {
    const parts: string[] = [];
    for (const atv of children(rdn, what)) {
      const [t, v] = sequence(atv, `${what} name`, 2, 2);
      const type = oid(t!, `${what} name`);
      const value = directoryString(v!);
      if (type === OID.emailAddress && email === undefined) email = value;
      parts.push(`${SHORT_NAMES[type] ?? type}=${escapeRdnValue(value)}`);
    }
    rdns.push(parts.join('+'));
  }
  return { text: rdns.reverse().join(','), ...(email ? { email } : {}) };
}

function directoryString(v: Node): string {
  const raw = v.idBlock.isConstructed ? new Uint8Array(0) : octets(v, 'name');
  switch (v.idBlock.tagClass === 1 ? v.idBlock.tagNumber : -1) {
    case 12: return new TextDecoder().decode(raw); // UTF8String
    case 19: case 22: case 26: case 20: return String.fromCharCode(...raw); // Printable, IA5, Visible, Teletex (latin-1)
    case 30: { // BMPString, UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < raw.length; i += 2) s += String.fromCharCode((raw[i]! << 8) | raw[i + 1]!);
      return s;
    }
    default: return '#' + Buffer.from(rawBytes(v)).toString('hex');
  }
}

/** RFC 4514 §2.4 escaping. */
function escapeRdnValue(s: string): string {
  let out = s.replace(/[\\",+;<>=]/g, (c) => '\\' + c);
  if (out.startsWith(' ') || out.startsWith('#')) out = '\\' + out;
  if (out.endsWith(' ')) out = out.slice(0, -1) + '\\ ';
  return out;
}

/** Validity check: both bounds inclusive (RFC 5280 §4.1.2.5). */
export function validAt(c: ParsedCertificate, t: Date): boolean {
  return c.notBefore.getTime() <= t.getTime() && t.getTime() <= c.notAfter.getTime();
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
