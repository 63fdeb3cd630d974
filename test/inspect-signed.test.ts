/**
 * `inspect` of signed messages (src/inspect-signed.ts): what p7m and openssl wrote, read back field by field
 * against what was asked for, in every form (DER, PEM, clear-signed S/MIME, detached), with the certificates
 * and CRLs a message carries; and the CLI's text and JSON. Nothing here is verified, and the output says so.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { makePki, openssl, type Pki } from './fixtures/signed/pki.js';
import { sign } from '../src/signed/sign.js';
import { inspectMessage } from '../src/inspect.js';
import type { InspectedSigner, SignedInspection } from '../src/inspect-signed.js';
import { parseCertificate } from '../src/keys/certificate.js';
import { tlv } from '../src/format/der.js';
import { parseBer } from './interop/ber.js';
import { MalformedInputError } from '../src/errors.js';
import { p7m } from './helpers/spawn.js';

const TEXT = new TextEncoder().encode('inspect me\n');
let pki: Pki;
before(() => { pki = makePki(); });
after(() => pki?.cleanup());

function file(name: string, data: Uint8Array): string {
  const p = join(pki.dir, `${randomBytes(3).toString('hex')}-${name}`);
  writeFileSync(p, data);
  return p;
}
async function signed(bytes: Uint8Array): Promise<SignedInspection> {
  const r = await inspectMessage(Readable.from([bytes]));
  assert.equal(r.contentType, 'signedData');
  return r as SignedInspection;
}
const serialHex = (der: Uint8Array): string => Buffer.from(parseCertificate(der).serial).toString('hex');
function ok(s: SignedInspection['signers'][number]): InspectedSigner {
  assert.ok(!('malformed' in s), JSON.stringify(s));
  return s as InspectedSigner;
}

describe('inspect: signed messages', () => {
  it('p7m\'s own: signer by issuer and serial, its certificate and the chain, signingTime and content identifier', async () => {
    const when = new Date('2026-11-26T12:34:56Z');
    const cid = randomBytes(16);
    const msg = await sign(TEXT, { signerCert: pki.ec256.der, signerKey: pki.ec256.key, chain: [pki.inter.der], clock: () => when, contentIdentifier: cid });
    const i = await signed(msg);
    assert.equal(i.form, 'der');
    assert.equal(i.clearSigned, false);
    assert.deepEqual(i.content, { type: 'data', typeOid: '1.2.840.113549.1.7.1', detached: false, length: TEXT.length });
    assert.equal(i.signers.length, 1);
    const s = ok(i.signers[0]!);
    assert.deepEqual(s.identifier, { type: 'issuerAndSerialNumber', issuer: 'CN=p7m test intermediate,O=p7m test', serial: serialHex(pki.ec256.der) });
    assert.equal(s.certificate, 'CN=ec256 signer,O=p7m test');
    assert.equal(s.digest, 'sha256');
    assert.equal(s.signatureOid, '1.2.840.10045.4.3.2');
    assert.equal(s.signingTime, when.toISOString());
    assert.equal(s.contentIdentifier, cid.toString('hex'));
    assert.deepEqual(i.certificates.map((c) => ('subject' in c ? c.subject : c.malformed)), ['CN=ec256 signer,O=p7m test', 'CN=p7m test intermediate,O=p7m test']);
    assert.deepEqual(i.crls, []);
  });

  it('a subject key identifier signer', async () => {
    const i = await signed(await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key, rid: 'ski' }));
    assert.deepEqual(ok(i.signers[0]!).identifier, { type: 'subjectKeyIdentifier', ski: Buffer.from(parseCertificate(pki.rsa.der).subjectKeyIdentifier!).toString('hex') });
    assert.equal(ok(i.signers[0]!).version, 3);
    assert.equal(ok(i.signers[0]!).certificate, 'CN=rsa signer,O=p7m test');
  });

  it('openssl\'s: PEM with SHA-384, no content identifier; DER detached; S/MIME clear-signed', async () => {
    const inF = file('in.txt', TEXT);
    const base = ['cms', '-sign', '-in', inF, '-signer', pki.rsa.certPath, '-inkey', pki.rsa.keyPath];
    const pem = await signed(new Uint8Array(openssl([...base, '-binary', '-nodetach', '-md', 'sha384', '-outform', 'PEM'])));
    assert.equal(pem.form, 'pem');
    assert.equal(ok(pem.signers[0]!).digest, 'sha384');
    assert.equal(ok(pem.signers[0]!).contentIdentifier, undefined);
    assert.match(ok(pem.signers[0]!).signingTime ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.equal(pem.content.length, TEXT.length);

    const detached = await signed(new Uint8Array(openssl([...base, '-binary', '-outform', 'DER'])));
    assert.deepEqual([detached.content.detached, detached.content.length], [true, null]);

    const clear = await signed(new Uint8Array(openssl([...base, '-outform', 'SMIME'])));
    assert.equal(clear.form, 'smime');
    assert.equal(clear.clearSigned, true);
    assert.equal(clear.content.detached, true);
    // The first MIME part, canonical: openssl adds a text/plain header to what it clear-signs without -binary.
    assert.ok(clear.content.length! > TEXT.length, String(clear.content.length));
  });

  it('the CRLs a message carries, a malformed one listed as such', async () => {
    const dir = pki.dir;
    writeFileSync(join(dir, 'i.index'), '');
    writeFileSync(join(dir, 'i.cnf'), `[ca]\ndefault_ca = d\n[d]\ndatabase = ${join(dir, 'i.index')}\ndefault_md = sha256\ndefault_crl_days = 7\n`);
    openssl(['ca', '-config', join(dir, 'i.cnf'), '-keyfile', pki.ca.keyPath, '-cert', pki.ca.certPath, '-revoke', pki.noDs.certPath]);
    const crlPem = join(dir, 'i.crl.pem');
    openssl(['ca', '-config', join(dir, 'i.cnf'), '-keyfile', pki.ca.keyPath, '-cert', pki.ca.certPath, '-gencrl', '-out', crlPem]);
    const crlDer = new Uint8Array(openssl(['crl', '-in', crlPem, '-outform', 'DER']));
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    // Put the CRLs into the SignedData's crls [1] field, before signerInfos (outside the signature).
    const ci = parseBer(msg);
    const sd = ci.children[1]!.children[0]!;
    const sis = sd.children[sd.children.length - 1]!;
    const withCrls = tlv(0x30, msg.subarray(ci.children[0]!.start, ci.children[0]!.end), tlv(0xa0, tlv(0x30,
      msg.subarray(sd.contentStart, sis.start), tlv(0xa1, crlDer, tlv(0x30, tlv(0x30))), msg.subarray(sis.start, sd.contentEnd))));
    const i = await signed(withCrls);
    assert.equal(i.crls.length, 2);
    const first = i.crls[0]!;
    assert.ok('issuer' in first);
    assert.equal(first.issuer, 'CN=p7m test CA,O=p7m test');
    assert.equal(first.revoked, 1);
    assert.equal(first.complete, true);
    assert.equal(Date.parse(first.nextUpdate!) - Date.parse(first.thisUpdate), 7 * 86_400_000);
    assert.ok('malformed' in i.crls[1]!);
  });

  it('the caller\'s limits hold for signed messages too (found in review)', async () => {
    const m = await sign(TEXT, { signerCert: pki.ec256.der, signerKey: pki.ec256.key, chain: [pki.inter.der] });
    await assert.rejects(inspectMessage(Readable.from([m]), { maxCertificates: 1 }), (e: Error & { code?: string }) => e.code === 'ERR_LIMIT_EXCEEDED');
    assert.equal((await signed(m)).certificates.length, 2);
  });

  it('a SignerInfo that cannot be read is listed as malformed; the rest of the message is still shown', async () => {
    const m = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    // Version 3 with an issuerAndSerialNumber (RFC 5652 §5.3 wants 1): the SignerInfo's version INTEGER is 02 01 01.
    const ci = parseBer(m);
    const sd = ci.children[1]!.children[0]!;
    const si = sd.children[sd.children.length - 1]!.children[0]!;
    const bad = Buffer.from(m);
    assert.deepEqual([...bad.subarray(si.contentStart, si.contentStart + 3)], [2, 1, 1]);
    bad[si.contentStart + 2] = 3;
    const i = await signed(bad);
    assert.equal(i.signers.length, 1);
    assert.match((i.signers[0] as { malformed: string }).malformed, /version 3 with issuerAndSerialNumber/);
    assert.equal(i.certificates.length, 1);
  });

  it('a malformed SignedData is ERR_MALFORMED_INPUT', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    await assert.rejects(inspectMessage(Readable.from([msg.subarray(0, msg.length - 40)])), MalformedInputError);
  });
});

describe('p7m inspect on signed messages (CLI)', () => {
  it('text says who signed, what it carries, and that nothing was verified; --json is the same', async () => {
    const f = file('s.p7m', await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key }));
    const r = await p7m(['inspect', f]);
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout.toString();
    assert.match(text, /^content type:    signedData \(1\.2\.840\.113549\.1\.7\.2\), version 1$/m);
    assert.match(text, /^     certificate:   CN=rsa signer,O=p7m test$/m);
    assert.match(text, /^nothing was verified: use p7m verify$/m);
    const j = await p7m(['inspect', f, '--json']);
    const parsed = JSON.parse(j.stdout.toString()) as SignedInspection;
    assert.equal(parsed.contentType, 'signedData');
    assert.equal(ok(parsed.signers[0]!).certificate, 'CN=rsa signer,O=p7m test');
  });
});
