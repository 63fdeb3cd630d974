/**
 * src/keys/: certificates, private keys, PKCS#12, RC2, password specs.
 *
 * Inputs come from other implementations wherever one exists: keys, certificates and PKCS#12 files are written by the
 * `openssl` command into a temporary directory (and by @peculiar/x509 + openssl for the committed certs/), and the
 * byte-exact fields are checked against `openssl asn1parse`. RC2 is checked against RFC 2268 §5 and, where OpenSSL's
 * legacy provider is present, against `openssl enc`.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac, createPublicKey, pbkdf2Sync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import {
  BadPasswordError, IoError, KeyFileError, LimitExceededError, PasswordRequiredError, UnsupportedAlgorithmError, UsageError,
} from '../src/errors.js';
import { OID } from '../src/oids.js';
import { nameToString as describeName } from '../src/describe.js';
import { keyIdentifierOf, loadCertificates, parseCertificate } from '../src/keys/certificate.js';
import * as der from '../src/keys/der.js';
import { parsePassSpec, passwordSource, promptPassword } from '../src/keys/pass.js';
import { parsePem } from '../src/keys/pem.js';
import { pkcs12Kdf } from '../src/keys/pbe.js';
import { loadPkcs12 } from '../src/keys/pkcs12.js';
import { loadPrivateKey } from '../src/keys/private-key.js';
import { rc2CbcDecrypt, rc2CbcEncrypt, rc2DecryptBlock, rc2EncryptBlock, rc2ExpandKey } from '../src/keys/rc2.js';

const CERTS = fileURLToPath(new URL('../certs/', import.meta.url));
const DEMO_PASSWORD = 'demo-password';
const PW = 'correct horse';

let dir: string;
const file = (name: string): string => join(dir, name);
const read = (name: string): Uint8Array => new Uint8Array(readFileSync(file(name)));
const demo = (name: string): Uint8Array => new Uint8Array(readFileSync(join(CERTS, name)));

function openssl(...args: string[]): Buffer {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether this openssl has the legacy provider (RC2), needed to write RC2-40 PKCS#12 and keys. */
function hasLegacyProvider(): boolean {
  try {
    execFileSync('openssl', ['list', '-providers', '-provider', 'legacy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Public key SPKI DER, to compare keys across formats. */
const spki = (k: KeyObject): string =>
  ((k.type === 'public' ? k : createPublicKey(k)).export({ type: 'spki', format: 'der' }) as Buffer).toString('hex');

const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

/** A getter that counts its calls, to check the loaders ask for a password only when needed. */
function counting(password: string): { get: () => Promise<string>; calls: () => number } {
  let n = 0;
  return { get: async () => (n++, password), calls: () => n };
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'p7m-keys-'));
  openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'rsa.pkcs8.pem');
  openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pkcs8.pem');
});
after(() => rmSync(dir, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------------------------------

describe('rc2 (RFC 2268)', () => {
  // RFC 2268 §5 test vectors: key, effective key bits, plaintext, ciphertext.
  const VECTORS: [string, number, string, string][] = [
    ['0000000000000000', 63, '0000000000000000', 'ebb773f993278eff'],
    ['ffffffffffffffff', 64, 'ffffffffffffffff', '278b27e42e2f0d49'],
    ['3000000000000000', 64, '1000000000000001', '30649edf9be7d2c2'],
    ['88', 64, '0000000000000000', '61a8a244adacccf0'],
    ['88bca90e90875a', 64, '0000000000000000', '6ccf4308974c267f'],
    ['88bca90e90875a7f0f79c384627bafb2', 64, '0000000000000000', '1a807d272bbe5db1'],
    ['88bca90e90875a7f0f79c384627bafb2', 128, '0000000000000000', '2269552ab0f85ca6'],
    ['88bca90e90875a7f0f79c384627bafb216f80a6f85920584c42fceb0be255daf1e', 129, '0000000000000000', '5b78d3a43dfff1f1'],
  ];
  for (const [key, bits, pt, ct] of VECTORS) {
    test(`vector key=${key.slice(0, 16)}… T1=${bits}`, () => {
      const K = rc2ExpandKey(Buffer.from(key, 'hex'), bits);
      const block = Buffer.from(pt, 'hex');
      rc2EncryptBlock(K, block);
      assert.equal(block.toString('hex'), ct);
      rc2DecryptBlock(K, block);
      assert.equal(block.toString('hex'), pt);
    });
  }

  test('CBC round trip and bad padding', () => {
    const key = randomBytes(5);
    const iv = randomBytes(8);
    for (const len of [0, 1, 7, 8, 9, 100]) {
      const pt = randomBytes(len);
      const ct = rc2CbcEncrypt(key, 40, iv, pt);
      assert.equal(ct.length % 8, 0);
      assert.equal(hex(rc2CbcDecrypt(key, 40, iv, ct)!), pt.toString('hex'));
    }
    const ct = rc2CbcEncrypt(key, 40, iv, Buffer.from('x'));
    ct[ct.length - 1]! ^= 0x55;
    assert.equal(rc2CbcDecrypt(key, 40, iv, ct), null);
  });

  test('RC2-40-CBC agrees with openssl enc (legacy provider)', { skip: !hasLegacyProvider() && 'no legacy provider' }, () => {
    const key = Buffer.from('0102030405', 'hex');
    const iv = Buffer.from('0a0b0c0d0e0f1011', 'hex');
    const pt = Buffer.from('RC2 in PKCS#12 certificate bags, as Windows writes them');
    writeFileSync(file('rc2.in'), pt);
    const ct = openssl('enc', '-rc2-40-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', 'rc2.in',
      '-provider', 'legacy', '-provider', 'default');
    assert.equal(hex(rc2CbcEncrypt(key, 40, iv, pt)), ct.toString('hex'));
    assert.equal(hex(rc2CbcDecrypt(key, 40, iv, ct)!), pt.toString('hex'));
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('pkcs12 KDF (RFC 7292 Appendix B)', () => {
  test('matches an independent straightforward implementation for odd lengths and ids', () => {
    // Written from the RFC text with BigInt arithmetic for the I_j + B + 1 step, independently of pbe.ts.
    function reference(hash: string, pw: Uint8Array, salt: Uint8Array, iter: number, id: number, n: number): string {
      const v = hash === 'sha512' ? 128 : 64;
      const u = createHash(hash).digest().length;
      const rep = (s: Uint8Array): number[] => (s.length ? Array.from({ length: v * Math.ceil(s.length / v) }, (_, i) => s[i % s.length]!) : []);
      let I = [...rep(salt), ...rep(pw)];
      let out: number[] = [];
      while (out.length < n) {
        let A = createHash(hash).update(Buffer.alloc(v, id)).update(Buffer.from(I)).digest();
        for (let r = 1; r < iter; r++) A = createHash(hash).update(A).digest();
        out = out.concat([...A]);
        const B = BigInt('0x' + Buffer.from(Array.from({ length: v }, (_, i) => A[i % u]!)).toString('hex'));
        const next: number[] = [];
        for (let j = 0; j < I.length; j += v) {
          const Ij = BigInt('0x' + Buffer.from(I.slice(j, j + v)).toString('hex'));
          const sum = (Ij + B + 1n) % (1n << BigInt(8 * v));
          next.push(...Buffer.from(sum.toString(16).padStart(2 * v, '0'), 'hex'));
        }
        I = next;
      }
      return Buffer.from(out.slice(0, n)).toString('hex');
    }
    const pw = Buffer.from('0073006d006500670000', 'hex'); // "smeg" as BMPString
    for (const [hash, id, n, iter] of [['sha1', 1, 24, 1], ['sha1', 2, 8, 1000], ['sha1', 3, 20, 7], ['sha256', 1, 70, 3], ['sha512', 3, 64, 2]] as const) {
      const salt = randomBytes(9);
      assert.equal(hex(pkcs12Kdf(hash, pw, salt, iter, id, n)), reference(hash, pw, salt, iter, id, n), `${hash} id=${id} n=${n}`);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('certificates', () => {
  test('demo certificates: fields', () => {
    const [ca] = loadCertificates(demo('ca.pem'));
    const [alice] = loadCertificates(demo('alice.pem'));
    const [bob] = loadCertificates(demo('bob.pem'));
    const [carol] = loadCertificates(demo('carol.pem'));
    assert.ok(ca && alice && bob && carol);
    assert.equal(ca.isCA, true);
    assert.equal(ca.subject, 'CN=p7m Demo CA,O=p7m demo');
    assert.equal(alice.isCA, false);
    assert.equal(alice.subject, 'CN=Alice,O=p7m demo');
    assert.equal(alice.issuer, ca.subject);
    assert.equal(hex(alice.issuerDer), hex(ca.subjectDer));
    assert.equal(hex(alice.authorityKeyIdentifier), hex(ca.subjectKeyIdentifier));
    assert.equal(alice.email, 'alice@example.org');
    assert.equal(bob.email, 'bob@example.org');
    assert.equal(alice.keyType, 'rsa');
    assert.equal(alice.rsaBits, 2048);
    assert.equal(bob.rsaBits, 3072);
    assert.equal(carol.keyType, 'ec');
    assert.equal(carol.ecCurve, 'prime256v1');
    assert.deepEqual(alice.extKeyUsage, [OID.emailProtection]);
    assert.equal(alice.keyUsage?.keyEncipherment, true);
    assert.equal(alice.keyUsage?.digitalSignature, true);
    assert.equal(alice.keyUsage?.dataEncipherment, false);
    assert.equal(carol.keyUsage?.digitalSignature, true);
    assert.equal(carol.keyUsage?.keyEncipherment, false);
    assert.equal(ca.keyUsage?.keyCertSign, true);
    // RFC 5280 §4.1.2.5: UTCTime until 2049, GeneralizedTime from 2050 — both read back.
    assert.equal(alice.notBefore.toISOString(), '2025-01-01T00:00:00.000Z');
    assert.equal(alice.notAfter.toISOString(), '2125-01-01T00:00:00.000Z');
  });

  test('fingerprint, serial, issuer, subject, SKI agree with openssl', () => {
    for (const name of ['ca', 'alice', 'bob', 'carol']) {
      const c = loadCertificates(demo(`${name}.pem`))[0]!;
      const out = execFileSync('openssl', ['x509', '-in', join(CERTS, `${name}.pem`), '-noout', '-fingerprint', '-sha256',
        '-serial', '-subject', '-issuer', '-nameopt', 'RFC2253', '-ext', 'subjectKeyIdentifier']).toString();
      assert.match(out, new RegExp(`Fingerprint=${c.fingerprintSha256.replace(/(..)(?!$)/g, '$1:')}`, 'i'));
      assert.match(out, new RegExp(`serial=${hex(c.serial).replace(/^00/, '')}`, 'i'));
      assert.match(out, new RegExp(`subject=${c.subject}\n`));
      assert.match(out, new RegExp(`issuer=${c.issuer}\n`));
      const ski = /Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(out)![1]!.replace(/:/g, '');
      assert.equal(hex(c.subjectKeyIdentifier), ski.toLowerCase());
      // The demo certificates' SKIs were computed by @peculiar/x509; method (1) gives the same.
      assert.equal(hex(keyIdentifierOf(c.publicKey)), ski.toLowerCase());
    }
  });

  test('names with escapes and a multi-valued RDN: as openssl -nameopt RFC2253 prints them, in certificates and recipient descriptions alike', () => {
    const dir = mkdtempSync(join(tmpdir(), 'p7m-names-'));
    try {
      const key = join(dir, 'k.pem');
      const cert = join(dir, 'c.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
        '-multivalue-rdn', '-subj', '/C=DE/O=Acme, Inc. <R;D>/OU= lead+trail /CN=Bob+UID=42'], { stdio: 'ignore' });
      const c = loadCertificates(readFileSync(cert))[0]!;
      const out = execFileSync('openssl', ['x509', '-in', cert, '-noout', '-subject', '-nameopt', 'RFC2253']).toString();
      assert.equal(`subject=${c.subject}\n`, out);
      assert.match(c.subject, /\\,/); // the comma in O is escaped
      // inspect and error messages (src/describe.ts) print a Name with the same formatter.
      assert.equal(describeName(c.subjectDer), c.subject);
      assert.equal(describeName(c.issuerDer), c.issuer);
      assert.match(describeName(Uint8Array.of(0x30, 0x05, 0x31)), /^<unreadable name 300531>$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('issuer DER and serial are byte-exact (vs openssl asn1parse)', () => {
    // Serials needing a leading 00, a small one, a negative one (RFC 5280 forbids it, real CAs issued them).
    const cases: [string, string[]][] = [
      ['s1', ['-set_serial', '0x80aa']],
      ['s2', ['-set_serial', '1']],
      ['s3', ['-set_serial', '0x00ff00ff00ff00ff00ff00ff00ff00ff00ff']],
      ['s4', ['-set_serial', '-1234']],
      ['s5', ['-set_serial', '0x7fffffffffffffffffffffffffffffffffffffff']],
    ];
    for (const [name, extra] of cases) {
      openssl('req', '-x509', '-key', 'ec.pkcs8.pem', '-subj', '/C=DE/O=Ex "q", Inc./CN=a+UID=x', '-multivalue-rdn', '-utf8',
        '-days', '1', '-outform', 'DER', '-out', `${name}.der`, ...extra);
      const bytes = read(`${name}.der`);
      const c = loadCertificates(bytes)[0]!;
      // openssl asn1parse: the children of tbsCertificate are the d=2 lines: [0] version, serial, sigAlg, issuer, ...
      const lines = openssl('asn1parse', '-inform', 'DER', '-in', `${name}.der`).toString().split('\n');
      const d2 = lines.map((l) => /^\s*(\d+):d=2\s+hl=(\d+)\s+l=\s*(\d+)/.exec(l)).filter((m) => m !== null)
        .map((m) => ({ off: Number(m[1]), hl: Number(m[2]), len: Number(m[3]) }));
      const slice = (i: number, contentOnly: boolean): string => {
        const e = d2[i]!;
        return hex(bytes.subarray(contentOnly ? e.off + e.hl : e.off, e.off + e.hl + e.len));
      };
      assert.equal(hex(c.serial), slice(1, true), `serial ${name}`);
      assert.equal(hex(c.issuerDer), slice(3, false), `issuer ${name}`);
      assert.equal(hex(c.subjectDer), slice(5, false), `subject ${name}`);
      assert.equal(hex(c.der), hex(bytes));
      // A self-signed certificate: readable names as openssl prints them in RFC 2253 form.
      const rfc2253 = openssl('x509', '-inform', 'DER', '-in', `${name}.der`, '-noout', '-subject', '-nameopt', 'RFC2253')
        .toString().trim().replace(/^subject=/, '');
      assert.equal(c.subject, rfc2253);
      assert.equal(c.issuer, rfc2253);
    }
    assert.equal(hex(loadCertificates(read('s1.der'))[0]!.serial), '0080aa');
    assert.equal(hex(loadCertificates(read('s4.der'))[0]!.serial), 'fb2e');
  });

  test('keyIdentifierOf equals the SKI openssl computes (RSA and EC)', () => {
    for (const key of ['rsa.pkcs8.pem', 'ec.pkcs8.pem']) {
      openssl('req', '-x509', '-key', key, '-subj', '/CN=ski', '-days', '1', '-out', 'ski.pem',
        '-addext', 'subjectKeyIdentifier=hash');
      const c = loadCertificates(read('ski.pem'))[0]!;
      assert.ok(c.subjectKeyIdentifier);
      assert.equal(hex(keyIdentifierOf(c.publicKey)), hex(c.subjectKeyIdentifier));
      const sha1 = /([0-9A-F:]{59})/.exec(openssl('x509', '-in', 'ski.pem', '-noout', '-ext', 'subjectKeyIdentifier').toString())![1]!;
      assert.equal(hex(c.subjectKeyIdentifier), sha1.replace(/:/g, '').toLowerCase());
    }
  });

  test('no keyUsage / extKeyUsage extension → undefined; emailAddress in subject', () => {
    openssl('req', '-x509', '-key', 'rsa.pkcs8.pem', '-subj', '/CN=plain/emailAddress=plain@example.net', '-days', '1',
      '-out', 'plain.pem', '-addext', 'basicConstraints=critical,CA:FALSE');
    const c = loadCertificates(read('plain.pem'))[0]!;
    assert.equal(c.keyUsage, undefined);
    assert.equal(c.extKeyUsage, undefined);
    assert.equal(c.isCA, false);
    assert.equal(c.email, 'plain@example.net');
    assert.equal(c.subject, 'emailAddress=plain@example.net,CN=plain');
  });

  test('DER, PEM, multi-certificate PEM, combined key+certificate PEM', () => {
    const ca = readFileSync(join(CERTS, 'ca.pem'), 'utf8');
    const alice = readFileSync(join(CERTS, 'alice.pem'), 'utf8');
    const bob = readFileSync(join(CERTS, 'bob.pem'), 'utf8');
    const multi = loadCertificates(Buffer.from(`Some explanatory text\n${alice}\n${ca}${bob}`));
    assert.deepEqual(multi.map((c) => c.subject), ['CN=Alice,O=p7m demo', 'CN=p7m Demo CA,O=p7m demo', 'CN=Bob,O=p7m demo']);
    const combined = loadCertificates(Buffer.from(readFileSync(join(CERTS, 'alice.key.pem'), 'utf8') + alice));
    assert.equal(combined.length, 1);
    openssl('x509', '-in', join(CERTS, 'bob.pem'), '-outform', 'DER', '-out', 'bob.der');
    const fromDer = loadCertificates(read('bob.der'));
    assert.equal(fromDer.length, 1);
    assert.equal(fromDer[0]!.fingerprintSha256, multi[2]!.fingerprintSha256);
    // CRLF line endings
    assert.equal(loadCertificates(Buffer.from(alice.replace(/\n/g, '\r\n')))[0]!.subject, 'CN=Alice,O=p7m demo');
  });

  test('PEM layout: blanks, CRLF, indented END, headers, text around; what is refused', () => {
    const der0 = loadCertificates(demo('alice.pem'))[0]!.der;
    const b64 = Buffer.from(der0).toString('base64');
    const lines = b64.match(/.{1,64}/g)!;
    const block = (body: string, label = 'CERTIFICATE', end = `-----END ${label}-----`): string => `-----BEGIN ${label}-----\n${body}\n${end}\n`;
    const same = (text: string, what: string): void => {
      const blocks = parsePem(Buffer.from(text, 'latin1'));
      assert.equal(blocks.length, 1, what);
      assert.deepEqual(Buffer.from(blocks[0]!.der), Buffer.from(der0), what);
    };
    same(block(lines.join('\n')), 'plain');
    same(block(lines.join('\n')).replace(/\n/g, '\r\n'), 'CRLF');
    same(block(lines.join('\n\n')), 'blank lines between');
    same(block(lines.map((l) => `  ${l}\t `).join('\n')), 'blanks around each line');
    same(block(lines.join('\n'), 'CERTIFICATE', '   -----END CERTIFICATE-----  '), 'indented END line');
    same(block(b64), 'one long line');
    same(`Subject: x\nissuer: y -----BEGIN CERTIFICATE----- not at a line start\n${block(lines.join('\n'))}trailing text\n`, 'explanatory text');
    const twice = parsePem(Buffer.from(block(lines.join('\n')) + block(lines.join('\n'), 'X509 CRL')));
    assert.deepEqual(twice.map((b) => b.label), ['CERTIFICATE', 'X509 CRL']);
    assert.equal(twice[0]!.text, block(lines.join('\n')));
    // RFC 1421 encapsulated headers (legacy encrypted keys) are read, not taken for base64.
    const legacy = parsePem(Buffer.from(block(`Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n${lines.join('\n')}`, 'RSA PRIVATE KEY')));
    assert.equal(legacy[0]!.headers.get('DEK-Info'), 'AES-128-CBC,00112233445566778899AABBCCDDEEFF');
    assert.deepEqual(Buffer.from(legacy[0]!.der), Buffer.from(der0));
    const refused: [string, string][] = [
      ['space inside a line', block(lines.map((l) => `${l.slice(0, 10)} ${l.slice(10)}`).join('\n'))],
      ['END text inside a body line', block(`${lines[0]}-----END CERTIFICATE-----\n${lines.slice(1).join('\n')}`)],
      ['no END', `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n`],
      ['other END label', block(lines.join('\n'), 'CERTIFICATE', '-----END PRIVATE KEY-----')],
      ['empty body', block('')],
      ['bad padding', block(`${b64}=`)],
    ];
    for (const [what, text] of refused) assert.throws(() => parsePem(Buffer.from(text, 'latin1')), KeyFileError, what);
  });

  test('a malformed issuer or subject Name is refused when the certificate is read, not when it is shown', () => {
    const good = loadCertificates(demo('alice.pem'))[0]!;
    for (const field of ['issuerDer', 'subjectDer'] as const) {
      const der = Uint8Array.from(good.der);
      // The first RelativeDistinguishedName's SET tag made a SEQUENCE: every length stays as it was.
      const at = good[field].byteOffset - good.der.byteOffset + 2;
      assert.equal(der[at], 0x31, field);
      der[at] = 0x30;
      assert.throws(() => parseCertificate(der), (e: unknown) => e instanceof KeyFileError && /Name: expected a SET/.test((e as Error).message), field);
    }
  });

  test('garbage → KeyFileError', () => {
    const alice = readFileSync(join(CERTS, 'alice.pem'), 'utf8');
    const der0 = loadCertificates(demo('alice.pem'))[0]!.der;
    const bad: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['text', Buffer.from('hello world\n')],
      ['random', Uint8Array.from([0x42, ...randomBytes(64)])],
      ['truncated DER', der0.subarray(0, der0.length - 10)],
      ['DER with trailing bytes', Buffer.concat([der0, Buffer.from([0])])],
      ['no END line', Buffer.from(alice.replace(/-----END CERTIFICATE-----/, ''))],
      ['bad base64', Buffer.from(alice.replace(/^MII/m, 'MI*'))],
      ['mismatched END', Buffer.from(alice.replace('END CERTIFICATE', 'END X509 CRL'))],
      ['key only', demo('alice.key.pem')],
      ['a public key (SPKI DER)', new Uint8Array(createPublicKey(readFileSync(join(CERTS, 'alice.key.pem'))).export({ type: 'spki', format: 'der' }))],
    ];
    for (const [what, bytes] of bad) assert.throws(() => loadCertificates(bytes), KeyFileError, what);
    // indefinite length is not DER
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), der0.subarray(4), Buffer.from([0, 0])]);
    assert.throws(() => parseCertificate(indefinite), KeyFileError);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('private keys', () => {
  let rsaRef: string;
  let ecRef: string;

  before(() => {
    rsaRef = spki(createPublicKey(readFileSync(file('rsa.pkcs8.pem'))));
    ecRef = spki(createPublicKey(readFileSync(file('ec.pkcs8.pem'))));
    const p = `pass:${PW}`;
    // RSA: PKCS#8, PKCS#1 ("traditional"), each PEM and DER.
    openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'rsa.pkcs8.pem', '-outform', 'DER', '-out', 'rsa.pkcs8.der');
    openssl('rsa', '-in', 'rsa.pkcs8.pem', '-traditional', '-out', 'rsa.pkcs1.pem');
    openssl('rsa', '-in', 'rsa.pkcs8.pem', '-traditional', '-outform', 'DER', '-out', 'rsa.pkcs1.der');
    // Encrypted PKCS#8: OpenSSL 3 default (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC), other PRFs and ciphers, scrypt,
    // and the PKCS#12 PBE schemes.
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-out', 'rsa.enc.pem');
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-outform', 'DER', '-out', 'rsa.enc.der');
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA512', '-out', 'rsa.enc-sha512.pem');
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-v2', 'des3', '-v2prf', 'hmacWithSHA1', '-out', 'rsa.enc-des3.pem');
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-scrypt', '-out', 'rsa.enc-scrypt.pem');
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-v1', 'PBE-SHA1-3DES', '-outform', 'DER', '-out', 'rsa.enc-p12-3des.der');
    // Legacy OpenSSL encrypted PEM (RFC 1421 headers).
    openssl('rsa', '-in', 'rsa.pkcs8.pem', '-traditional', '-aes256', '-passout', p, '-out', 'rsa.legacy-enc.pem');
    // EC: SEC1 PEM and DER, PKCS#8 DER, encrypted.
    openssl('ec', '-in', 'ec.pkcs8.pem', '-out', 'ec.sec1.pem');
    openssl('ec', '-in', 'ec.pkcs8.pem', '-outform', 'DER', '-out', 'ec.sec1.der');
    openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'ec.pkcs8.pem', '-outform', 'DER', '-out', 'ec.pkcs8.der');
    openssl('pkcs8', '-topk8', '-in', 'ec.pkcs8.pem', '-passout', p, '-out', 'ec.enc.pem');
    if (hasLegacyProvider()) {
      openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', p, '-v1', 'PBE-SHA1-RC2-40', '-out', 'rsa.enc-p12-rc2.pem',
        '-provider', 'legacy', '-provider', 'default');
    }
  });

  const plain: [string, 'rsa' | 'ec'][] = [
    ['rsa.pkcs8.pem', 'rsa'], ['rsa.pkcs8.der', 'rsa'], ['rsa.pkcs1.pem', 'rsa'], ['rsa.pkcs1.der', 'rsa'],
    ['ec.pkcs8.pem', 'ec'], ['ec.pkcs8.der', 'ec'], ['ec.sec1.pem', 'ec'], ['ec.sec1.der', 'ec'],
  ];
  for (const [name, kind] of plain) {
    test(`unencrypted ${name}: loads without asking for a password`, async () => {
      const pw = counting('unused');
      const { key, certificates, certificate } = await loadPrivateKey(read(name), pw.get);
      assert.equal(spki(key), kind === 'rsa' ? rsaRef : ecRef);
      assert.equal(key.type, 'private');
      assert.deepEqual(certificates, []);
      assert.equal(certificate, undefined);
      assert.equal(pw.calls(), 0);
      // no password at all is fine too
      await loadPrivateKey(read(name));
    });
  }

  const encrypted: [string, 'rsa' | 'ec'][] = [
    ['rsa.enc.pem', 'rsa'], ['rsa.enc.der', 'rsa'], ['rsa.enc-sha512.pem', 'rsa'], ['rsa.enc-des3.pem', 'rsa'],
    ['rsa.enc-scrypt.pem', 'rsa'], ['rsa.enc-p12-3des.der', 'rsa'], ['rsa.legacy-enc.pem', 'rsa'], ['ec.enc.pem', 'ec'],
    ['rsa.enc-p12-rc2.pem', 'rsa'],
  ];
  for (const [name, kind] of encrypted) {
    const skip = name.includes('rc2') && !hasLegacyProvider() ? 'no legacy provider' : false;
    test(`encrypted ${name}: password asked once; wrong → BadPasswordError; none → PasswordRequiredError`, { skip }, async () => {
      const pw = counting(PW);
      const { key } = await loadPrivateKey(read(name), pw.get);
      assert.equal(spki(key), kind === 'rsa' ? rsaRef : ecRef);
      assert.equal(pw.calls(), 1);
      assert.equal(spki((await loadPrivateKey(read(name), PW)).key), kind === 'rsa' ? rsaRef : ecRef);
      for (const wrong of ['wrong', '', PW + ' ']) {
        await assert.rejects(loadPrivateKey(read(name), wrong), BadPasswordError, `${name} with ${JSON.stringify(wrong)}`);
      }
      await assert.rejects(loadPrivateKey(read(name)), PasswordRequiredError);
    });
  }

  test('demo alice.key.enc.pem opens with the demo password and matches alice.key.pem', async () => {
    const a = await loadPrivateKey(demo('alice.key.enc.pem'), () => DEMO_PASSWORD);
    const b = await loadPrivateKey(demo('alice.key.pem'));
    assert.equal(spki(a.key), spki(b.key));
    assert.equal(spki(b.key), spki(loadCertificates(demo('alice.pem'))[0]!.publicKey));
  });

  test('combined PEM: key with its certificate and the CA (as openssl pkcs12 -nodes writes it)', async () => {
    const ca = readFileSync(join(CERTS, 'ca.pem'), 'utf8');
    const bob = readFileSync(join(CERTS, 'bob.pem'), 'utf8');
    const key = readFileSync(join(CERTS, 'bob.key.pem'), 'utf8');
    const r = await loadPrivateKey(Buffer.from(ca + key + bob));
    assert.equal(r.certificates.length, 2);
    assert.equal(r.certificates[0]!.subject, 'CN=p7m Demo CA,O=p7m demo');
    assert.equal(r.certificate?.subject, 'CN=Bob,O=p7m demo');
    // `openssl pkcs12 -nodes` output, with its "Bag Attributes" text around the blocks
    const out = execFileSync('openssl', ['pkcs12', '-in', join(CERTS, 'bob.p12'), '-nodes', '-passin', `pass:${DEMO_PASSWORD}`]);
    assert.match(out.toString(), /Bag Attributes/);
    const r2 = await loadPrivateKey(out);
    assert.equal(r2.certificate?.subject, 'CN=Bob,O=p7m demo');
    assert.equal(r2.certificates.length, 2);
    // an encrypted key in a combined file
    const enc = readFileSync(join(CERTS, 'alice.key.enc.pem'), 'utf8') + readFileSync(join(CERTS, 'alice.pem'), 'utf8');
    const r3 = await loadPrivateKey(Buffer.from(enc), DEMO_PASSWORD);
    assert.equal(r3.certificate?.subject, 'CN=Alice,O=p7m demo');
  });

  test('garbage and wrong kinds → KeyFileError', async () => {
    const key = readFileSync(file('rsa.pkcs8.pem'), 'utf8');
    const bad: [string, Uint8Array][] = [
      ['empty', new Uint8Array(0)],
      ['text', Buffer.from('not a key\n')],
      ['random', Uint8Array.from([0x01, ...randomBytes(100)])],
      ['random DER-ish', Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05])],
      ['truncated DER', read('rsa.pkcs8.der').subarray(0, 100)],
      ['certificate only (PEM)', demo('alice.pem')],
      ['certificate (DER)', loadCertificates(demo('alice.pem'))[0]!.der],
      ['two keys', Buffer.from(key + key)],
      ['label lies', Buffer.from(key.replace(/PRIVATE KEY/g, 'RSA PRIVATE KEY'))],
      ['corrupt PKCS#8 contents', Buffer.from(key.replace(/^(.{20}).{8}/m, '$1AAAAAAAA'))],
      ['public key', Buffer.from(createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string)],
    ];
    for (const [what, bytes] of bad) await assert.rejects(loadPrivateKey(bytes, PW), KeyFileError, what);
  });

  test('unsupported PBE scheme → UnsupportedAlgorithmError, not BadPasswordError', async () => {
    // pbeWithMD5AndDES-CBC (PKCS#5 v1.5): build its EncryptedPrivateKeyInfo by hand.
    const alg = Buffer.from('301b06092a864886f70d01050330' + '0e0408' + '0102030405060708' + '020207d0', 'hex');
    const data = Buffer.concat([Buffer.from([0x04, 0x10]), randomBytes(16)]);
    const epki = Buffer.concat([Buffer.from([0x30, alg.length + data.length]), alg, data]);
    await assert.rejects(loadPrivateKey(epki, PW), UnsupportedAlgorithmError);
  });

  test('an absurd PBKDF2 iteration count → LimitExceededError before any work', async () => {
    openssl('pkcs8', '-topk8', '-in', 'rsa.pkcs8.pem', '-passout', `pass:${PW}`, '-iter', '5000', '-outform', 'DER', '-out', 'iter.der');
    await assert.rejects(loadPrivateKey(read('iter.der'), PW, { maxIterations: 4999 }), LimitExceededError);
    await loadPrivateKey(read('iter.der'), PW, { maxIterations: 5000 });
  });
});

// ---------------------------------------------------------------------------------------------------------------------

/** Minimal DER writer for building test structures (PBMAC1). */
function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : n < 0x10000 ? [0x82, n >> 8, n & 0xff] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}
const oidDer = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a! + b!];
  for (const arc of rest) {
    const bytes = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) bytes.unshift((v & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
};
const intDer = (n: number): Buffer => {
  const h = n.toString(16).padStart(2, '0');
  const b = Buffer.from(h.length % 2 ? '0' + h : h, 'hex');
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
};

/**
 * Re-encodes a DER PFX the way Java and Windows write BER: every constructed element with an indefinite length and
 * the long OCTET STRINGs (the authSafe content, the encrypted contents) split into constructed segments.
 * The contents of OCTET STRINGs are not touched, so the MAC still verifies.
 */
function toBer(bytes: Uint8Array): Buffer {
  const walk = (t: der.Tlv): Buffer => {
    if (t.constructed) {
      return Buffer.concat([Buffer.from([t.tag, 0x80]), ...der.children(t).map(walk), Buffer.from([0, 0])]);
    }
    if ((t.tag === 0x04 || t.tag === 0x80) && t.content.length > 64) {
      const segs: Buffer[] = [];
      for (let i = 0; i < t.content.length; i += 50) segs.push(tlv(0x04, t.content.subarray(i, i + 50)));
      return Buffer.concat([Buffer.from([t.tag | 0x20, 0x80]), ...segs, Buffer.from([0, 0])]);
    }
    return Buffer.from(t.bytes);
  };
  return walk(der.parse(bytes, 'der'));
}

describe('pkcs12', () => {
  const p = `pass:${PW}`;
  before(() => {
    openssl('req', '-x509', '-key', 'rsa.pkcs8.pem', '-subj', '/CN=P12 Leaf', '-days', '1', '-out', 'leaf.pem');
    openssl('req', '-x509', '-key', 'ec.pkcs8.pem', '-subj', '/CN=Other', '-days', '1', '-out', 'other.pem');
    const common = ['pkcs12', '-export', '-inkey', 'rsa.pkcs8.pem', '-in', 'leaf.pem', '-certfile', 'other.pem'];
    openssl(...common, '-passout', p, '-out', 'default.p12');
    openssl(...common, '-passout', p, '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', '3des.p12');
    if (hasLegacyProvider()) openssl(...common, '-passout', p, '-legacy', '-out', 'legacy.p12');
    openssl(...common, '-passout', p, '-nomac', '-out', 'nomac.p12');
    openssl(...common, '-passout', 'pass:', '-out', 'empty.p12');
    openssl(...common, '-passout', p, '-keypbe', 'NONE', '-certpbe', 'NONE', '-nomac', '-out', 'clear.p12');
    openssl(...common, '-passout', p, '-macalg', 'sha512', '-iter', '100', '-out', 'sha512.p12');
    openssl(...common, '-passout', 'pass:pässwörd', '-out', 'utf8.p12');
    // the CA certificate first, the key's own last: the match must be by key, not by position
    openssl('pkcs12', '-export', '-inkey', 'rsa.pkcs8.pem', '-in', 'other.pem', '-certfile', 'leaf.pem', '-nokeys',
      '-passout', p, '-out', 'nokey.p12');
  });

  const files: [string, string][] = [
    ['default.p12', 'OpenSSL 3 default (PBES2/AES-256-CBC, HMAC-SHA256)'],
    ['3des.p12', '3DES key and certificates, SHA-1 MAC'],
    ['legacy.p12', 'openssl -legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)'],
    ['sha512.p12', 'HMAC-SHA512 MAC'],
  ];
  for (const [name, what] of files) {
    const skip = name === 'legacy.p12' && !hasLegacyProvider() ? 'no legacy provider' : false;
    test(`${what}: key, matching certificate, chain; wrong password → BadPasswordError`, { skip }, async () => {
      const pw = counting(PW);
      const r = await loadPkcs12(read(name), pw.get);
      assert.equal(pw.calls(), 1);
      assert.equal(spki(r.key), spki(createPublicKey(readFileSync(file('rsa.pkcs8.pem')))));
      assert.equal(r.certificate.subject, 'CN=P12 Leaf');
      assert.deepEqual(r.chain.map((c) => c.subject), ['CN=Other']);
      await assert.rejects(loadPkcs12(read(name), 'wrong'), BadPasswordError);
      await assert.rejects(loadPkcs12(read(name), ''), BadPasswordError);
      await assert.rejects(loadPkcs12(read(name)), PasswordRequiredError);
      // through loadPrivateKey too
      const k = await loadPrivateKey(read(name), PW);
      assert.equal(k.certificate?.subject, 'CN=P12 Leaf');
      assert.deepEqual(k.certificates.map((c) => c.subject), ['CN=P12 Leaf', 'CN=Other']);
    });
  }

  test('demo bob.p12 and bob-legacy.p12', async () => {
    const bob = loadCertificates(demo('bob.pem'))[0]!;
    for (const name of ['bob.p12', 'bob-legacy.p12']) {
      const r = await loadPkcs12(demo(name), DEMO_PASSWORD);
      assert.equal(r.certificate.fingerprintSha256, bob.fingerprintSha256);
      assert.deepEqual(r.chain.map((c) => c.subject), ['CN=p7m Demo CA,O=p7m demo']);
      assert.equal(spki(r.key), spki(bob.publicKey));
      await assert.rejects(loadPkcs12(demo(name), 'demo-passw0rd'), BadPasswordError);
    }
  });

  test('BER (indefinite lengths, segmented OCTET STRINGs) as Java and Windows write', async () => {
    for (const name of ['default.p12', '3des.p12']) {
      const ber = toBer(read(name));
      assert.notEqual(hex(ber), hex(read(name)));
      const r = await loadPkcs12(ber, PW);
      assert.equal(r.certificate.subject, 'CN=P12 Leaf');
      await assert.rejects(loadPkcs12(ber, 'wrong'), BadPasswordError);
    }
  });

  test('no MAC: wrong password still → BadPasswordError (from the decryption)', async () => {
    assert.equal((await loadPkcs12(read('nomac.p12'), PW)).certificate.subject, 'CN=P12 Leaf');
    await assert.rejects(loadPkcs12(read('nomac.p12'), 'wrong'), BadPasswordError);
  });

  test('no MAC, nothing encrypted: the password is never asked for', async () => {
    const pw = counting('unused');
    const r = await loadPkcs12(read('clear.p12'), pw.get);
    assert.equal(r.certificate.subject, 'CN=P12 Leaf');
    assert.equal(pw.calls(), 0);
  });

  test('empty and non-ASCII passwords', async () => {
    assert.equal((await loadPkcs12(read('empty.p12'), '')).certificate.subject, 'CN=P12 Leaf');
    await assert.rejects(loadPkcs12(read('empty.p12'), 'x'), BadPasswordError);
    assert.equal((await loadPkcs12(read('utf8.p12'), 'pässwörd')).certificate.subject, 'CN=P12 Leaf');
    await assert.rejects(loadPkcs12(read('utf8.p12'), 'passwort'), BadPasswordError);
  });

  test('PBMAC1 (RFC 9579) MAC', async () => {
    // OpenSSL 3.0 cannot write PBMAC1, so the MacData of an OpenSSL file is replaced by one built here from the
    // RFC 9579 §3 text: PBKDF2-HMAC-SHA256 over the UTF-8 password, HMAC-SHA256 over the authSafe contents.
    const pfx = der.seq(der.parse(read('default.p12'), 'der'), 'PFX');
    const version = pfx.next(0x02);
    const authSafe = pfx.next(0x30);
    const ci = der.seq(authSafe, 'ContentInfo');
    ci.next(0x06);
    const data = der.octets(new der.Reader(ci.next(0xa0), 'x').any());
    const salt = randomBytes(16);
    const key = pbkdf2Sync(PW, salt, 1000, 32, 'sha256');
    const mac = createHmac('sha256', key).update(data).digest();
    const hmacSha256 = tlv(0x30, oidDer('1.2.840.113549.2.9'), tlv(0x05));
    const pbkdf2 = tlv(0x30, oidDer('1.2.840.113549.1.5.12'), tlv(0x30, tlv(0x04, salt), intDer(1000), intDer(32), hmacSha256));
    const pbmac1 = tlv(0x30, oidDer('1.2.840.113549.1.5.14'), tlv(0x30, pbkdf2, hmacSha256));
    const macData = tlv(0x30, tlv(0x30, pbmac1, tlv(0x04, mac)), tlv(0x04, Buffer.from('NOT USED')), intDer(1));
    const file = tlv(0x30, version.bytes, authSafe.bytes, macData);
    assert.equal((await loadPkcs12(file, PW)).certificate.subject, 'CN=P12 Leaf');
    await assert.rejects(loadPkcs12(file, 'wrong'), BadPasswordError);
  });

  test('files that are not usable PKCS#12 → KeyFileError', async () => {
    await assert.rejects(loadPkcs12(read('nokey.p12'), PW), KeyFileError); // certificates only
    await assert.rejects(loadPkcs12(demo('bob.pem'), PW), KeyFileError); // PEM
    await assert.rejects(loadPkcs12(read('rsa.pkcs8.der'), PW), KeyFileError); // a key
    await assert.rejects(loadPkcs12(Uint8Array.from([0x30, ...randomBytes(40)]), PW), KeyFileError);
    const truncated = read('default.p12').subarray(0, 500);
    await assert.rejects(loadPkcs12(truncated, PW), KeyFileError);
    // a flipped byte inside the MACed content: the MAC catches it
    const flipped = Buffer.from(read('default.p12'));
    flipped[300]! ^= 1;
    await assert.rejects(loadPkcs12(flipped, PW), BadPasswordError);
  });
});

// ---------------------------------------------------------------------------------------------------------------------

describe('password specs', () => {
  test('pass:, env:, file:', async () => {
    assert.equal(await parsePassSpec('pass:s3cret')(), 's3cret');
    assert.equal(await parsePassSpec('pass:')(), '');
    assert.equal(await parsePassSpec('pass:a:b c')(), 'a:b c');
    assert.equal(await parsePassSpec('env:P7M_TEST_PW', { env: { P7M_TEST_PW: 'from env' } })(), 'from env');
    await assert.rejects(async () => parsePassSpec('env:P7M_TEST_UNSET', { env: {} })(), UsageError);
    writeFileSync(file('pw.txt'), 'first line\nsecond line\n');
    assert.equal(await parsePassSpec(`file:${file('pw.txt')}`)(), 'first line');
    writeFileSync(file('pw-crlf.txt'), 'windows\r\nmore');
    assert.equal(await parsePassSpec(`file:${file('pw-crlf.txt')}`)(), 'windows');
    writeFileSync(file('pw-nonl.txt'), 'no newline');
    assert.equal(await parsePassSpec(`file:${file('pw-nonl.txt')}`)(), 'no newline');
    await assert.rejects(async () => parsePassSpec(`file:${file('missing.txt')}`)(), IoError);
  });

  test('stdin: first line, the rest left in the stream; read once', async () => {
    const stdin = new PassThrough();
    const src = parsePassSpec('stdin', { stdin });
    stdin.write('pass');
    setTimeout(() => stdin.end('word\nrest of input'), 5);
    assert.equal(await src(), 'password');
    assert.equal(await src(), 'password');
    const rest: Buffer[] = [];
    for await (const chunk of stdin) rest.push(chunk as Buffer);
    assert.equal(Buffer.concat(rest).toString(), 'rest of input');
    const empty = new PassThrough();
    empty.end();
    assert.equal(await parsePassSpec('stdin', { stdin: empty })(), '');
  });

  test('stdin of the process: one line read synchronously, the rest left, no EOF needed to go on', async () => {
    const { spawn } = await import('node:child_process');
    const script = file('stdin-child.mts');
    writeFileSync(script, [
      `import { parsePassSpec } from ${JSON.stringify(fileURLToPath(new URL('../src/keys/pass.ts', import.meta.url)))};`,
      `console.log('password=' + JSON.stringify(await parsePassSpec('stdin')()));`,
      `const rest = []; for await (const c of process.stdin) rest.push(c);`,
      `console.log('rest=' + JSON.stringify(Buffer.concat(rest).toString()));`,
    ].join('\n'));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const firstLine = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve();
    }));
    child.stdin.write('pass word\r\nrest of ');
    await firstLine; // the password arrived while stdin is still open
    assert.equal(out, 'password="pass word"\n');
    child.stdin.end('the input');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.equal(out, 'password="pass word"\nrest="rest of the input"\n');
  });

  test('bad specs → UsageError, without echoing a literal password', () => {
    for (const spec of ['', 'secret', 'pass', 'env:', 'file:', 'stdin:x', 'fd:3', 'PASS:x', ' pass:x']) {
      assert.throws(() => parsePassSpec(spec), UsageError, JSON.stringify(spec));
    }
    assert.throws(() => parsePassSpec('pas:hunter2'), (e: Error) => e instanceof UsageError && e.message.includes('pas:hunter2'));
  });

  test('the source is lazy and memoised', async () => {
    let reads = 0;
    const env = { get V() { reads++; return 'v'; } } as unknown as Record<string, string>;
    const src = parsePassSpec('env:V', { env });
    assert.equal(reads, 0);
    assert.equal(await src(), 'v');
    assert.equal(await src(), 'v');
    assert.equal(reads, 1);
  });

  test('no terminal: promptPassword says a password is needed', { skip: process.stdin.isTTY && 'stdin is a TTY' }, async () => {
    await assert.rejects(promptPassword('password: '), (e: Error) => e instanceof PasswordRequiredError && /password is needed/.test(e.message));
    // passwordSource without a spec prompts, lazily: nothing happens until it is called
    const src = passwordSource(undefined, 'password: ');
    await assert.rejects(async () => src(), PasswordRequiredError);
    assert.equal(await passwordSource('pass:x', 'password: ')(), 'x');
  });

  test('a lazy source is not called for an unencrypted key', async () => {
    const src = parsePassSpec('env:P7M_NEVER_SET', { env: {} }); // would throw if called
    const r = await loadPrivateKey(demo('alice.key.pem'), src);
    assert.equal(r.key.asymmetricKeyType, 'rsa');
  });
});
