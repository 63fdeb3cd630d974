/**
 * Revocation from CRLs (src/keys/crl.ts, src/signed/chain.ts): CRLs made by `openssl ca -gencrl` (an independent
 * writer) for the openssl-made test PKI, each decision compared with `openssl cms -verify -crl_check[_all]` on the
 * same message and CRL, for messages p7m signed and messages openssl signed; CRLs carried in the message; the CLI's
 * options and errors. Time moves through injected clocks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, openssl, type Entity, type Pki } from './fixtures/signed/pki.js';
import { sign } from '../src/signed/sign.js';
import { verify, type VerifyOptions } from '../src/signed/verify.js';
import { loadCrls, parseCrl } from '../src/keys/crl.js';
import { tlv } from '../src/format/der.js';
import { parseBer } from './interop/ber.js';
import { KeyFileError, MalformedInputError, P7mError, RevocationUnknownError, RevokedCertificateError } from '../src/errors.js';
import { p7m } from './helpers/spawn.js';

const DAY = 86_400_000;
const TEXT = new TextEncoder().encode('revocation test\n');

let pki: Pki;
/** CRLs, PEM files: `ca-clean` lists nothing, `ca-rsa` lists the rsa signer, and so on. */
const crl: Record<string, string> = {};

/**
 * An `openssl ca` setup for `issuer` in its own directory: revokes `revoke` and writes a CRL. `extensions` goes
 * into the CRL's extension section; `dates` sets lastUpdate/nextUpdate (YYYYMMDDHHMMSSZ) instead of 30 days.
 */
function makeCrl(name: string, issuer: Entity, revoke: Entity[], o: { extensions?: string; dates?: [string, string] } = {}): string {
  writeFileSync(join(pki.dir, `${name}.index`), '');
  writeFileSync(join(pki.dir, `${name}.cnf`), [
    '[ca]', 'default_ca = d',
    '[d]', `database = ${join(pki.dir, `${name}.index`)}`, 'default_md = sha256', 'default_crl_days = 30',
    `crlnumber = ${join(pki.dir, `${name}.crlnumber`)}`,
    ...(o.extensions ? ['crl_extensions = crlext', '[crlext]', o.extensions] : []),
    '',
  ].join('\n'));
  writeFileSync(join(pki.dir, `${name}.crlnumber`), '01\n');
  const base = ['-config', join(pki.dir, `${name}.cnf`), '-keyfile', issuer.keyPath, '-cert', issuer.certPath];
  for (const e of revoke) openssl(['ca', ...base, '-revoke', e.certPath, '-crl_reason', 'keyCompromise']);
  const out = join(pki.dir, `${name}.crl.pem`);
  openssl(['ca', ...base, '-gencrl', '-out', out, ...(o.dates ? ['-crl_lastupdate', o.dates[0], '-crl_nextupdate', o.dates[1]] : [])]);
  return out;
}

function file(name: string, data: Uint8Array): string {
  const p = join(pki.dir, name);
  writeFileSync(p, data);
  return p;
}
const crlDer = (name: string): Uint8Array => loadCrls(readFileSync(crl[name]!))[0]!.der;
const policy = (crls: string[], extra: Partial<VerifyOptions> = {}): VerifyOptions =>
  ({ trust: [pki.ca.der], crls: crls.map((n) => readFileSync(crl[n]!)), ...extra });

/** Whether `openssl cms -verify` accepts the message with these CRLs and flags. */
function opensslAccepts(msg: Uint8Array, crls: string[], flags: string[]): boolean {
  // openssl cms has no -CRLfile: its trust store reads CRLs from the -CAfile bundle.
  const bundle = file(`store-${randomBytes(4).toString('hex')}.pem`, Buffer.concat([readFileSync(pki.ca.certPath), ...crls.map((n) => readFileSync(crl[n]!))]));
  try {
    openssl(['cms', '-verify', '-inform', 'DER', '-in', file(`m-${randomBytes(4).toString('hex')}.p7m`, msg), '-CAfile', bundle,
      '-purpose', 'smimesign', '-out', '/dev/null', ...flags]);
    return true;
  } catch {
    return false;
  }
}

async function p7mDecision(msg: Uint8Array, p: VerifyOptions): Promise<string> {
  try {
    await verify(msg, p);
    return 'ok';
  } catch (e) {
    if (e instanceof P7mError) return e.code;
    throw e;
  }
}

before(() => {
  pki = makePki();
  crl['ca-clean'] = makeCrl('ca-clean', pki.ca, []);
  crl['ca-rsa'] = makeCrl('ca-rsa', pki.ca, [pki.rsa]);
  crl['ca-inter'] = makeCrl('ca-inter', pki.ca, [pki.inter]);
  crl['inter-clean'] = makeCrl('inter-clean', pki.inter, []);
  crl['inter-ec256'] = makeCrl('inter-ec256', pki.inter, [pki.ec256]);
  crl['other'] = makeCrl('other', pki.other, []);
  crl['ca-expired'] = makeCrl('ca-expired', pki.ca, [], { dates: ['20200101000000Z', '20200201000000Z'] });
  // A partitioned CRL (issuingDistributionPoint, critical): not a complete list, so not usable as one.
  crl['ca-idp'] = makeCrl('ca-idp', pki.ca, [], { extensions: 'issuingDistributionPoint = critical, @idp\n[idp]\nfullname = URI:http://crl.example/part1.crl' });
});
after(() => pki?.cleanup());

describe('CRL parsing', () => {
  it('reads openssl\'s CRLs: issuer, dates, revoked serials, and completeness', () => {
    const clean = parseCrl(crlDer('ca-clean'));
    assert.equal(clean.issuer, 'CN=p7m test CA,O=p7m test');
    assert.ok(clean.nextUpdate && clean.nextUpdate.getTime() - clean.thisUpdate.getTime() === 30 * DAY);
    assert.equal(clean.revoked.size, 0);
    assert.equal(clean.unusable, undefined);
    const listed = parseCrl(crlDer('ca-rsa'));
    // X509Certificate prints the serial in upper-case hex without a sign octet; the fixture's serials are small.
    const serial = new X509Certificate(readFileSync(pki.rsa.certPath)).serialNumber.toLowerCase();
    assert.deepEqual([...listed.revoked.keys()], [serial.padStart(serial.length + (serial.length % 2), '0')]);
    assert.match(parseCrl(crlDer('ca-idp')).unusable ?? '', /critical extension 2\.5\.29\.28/);
  });

  it('every truncation of a CRL is a KeyFileError, and a certificate is not a CRL', () => {
    const der = crlDer('ca-rsa');
    for (let n = 0; n < der.length; n++) assert.throws(() => parseCrl(der.subarray(0, n)), KeyFileError, `prefix ${n}`);
    assert.throws(() => parseCrl(pki.rsa.der), KeyFileError);
    assert.throws(() => loadCrls(readFileSync(pki.rsa.certPath)), /no X509 CRL block/);
  });
});

describe('revocation decisions agree with openssl cms -verify -crl_check', () => {
  // [label, signer, CRLs, scope, p7m's decision, openssl flag]
  const cases: [string, () => Entity, string[], 'signer' | 'chain', string][] = [
    ['current CRL, signer not on it', () => pki.rsa, ['ca-clean'], 'signer', 'ok'],
    ['signer on the CRL', () => pki.rsa, ['ca-rsa'], 'signer', 'ERR_CERTIFICATE_REVOKED'],
    ['no CRL from the signer\'s issuer', () => pki.rsa, ['other'], 'signer', 'ERR_REVOCATION_UNKNOWN'],
    ['the issuer\'s CRL has expired', () => pki.rsa, ['ca-expired'], 'signer', 'ERR_REVOCATION_UNKNOWN'],
    ['an expired CRL beside a current one', () => pki.rsa, ['ca-expired', 'ca-clean'], 'signer', 'ok'],
    ['under an intermediate, signer scope: the intermediate\'s CRL only', () => pki.ec256, ['inter-clean'], 'signer', 'ok'],
    ['signer revoked by the intermediate', () => pki.ec256, ['inter-ec256', 'ca-clean'], 'signer', 'ERR_CERTIFICATE_REVOKED'],
    ['chain scope: the intermediate revoked by the root', () => pki.ec256, ['inter-clean', 'ca-inter'], 'chain', 'ERR_CERTIFICATE_REVOKED'],
    ['chain scope: no CRL for the intermediate', () => pki.ec256, ['inter-clean'], 'chain', 'ERR_REVOCATION_UNKNOWN'],
    ['chain scope: both current', () => pki.ec256, ['inter-clean', 'ca-clean'], 'chain', 'ok'],
    ['signer scope ignores the intermediate\'s revocation', () => pki.ec256, ['inter-clean', 'ca-inter'], 'signer', 'ok'],
  ];
  for (const [label, signer, crls, scope, expected] of cases) {
    it(`${label}: ${expected}`, async () => {
      const flag = scope === 'chain' ? '-crl_check_all' : '-crl_check';
      const byP7m = await sign(TEXT, { signerCert: signer().der, signerKey: signer().key, chain: signer() === pki.ec256 ? [pki.inter.der] : [] });
      const inF = file(`in-${randomBytes(4).toString('hex')}`, TEXT);
      const byOpenssl = new Uint8Array(openssl(['cms', '-sign', '-binary', '-nodetach', '-in', inF, '-signer', signer().certPath, '-inkey', signer().keyPath,
        ...(signer() === pki.ec256 ? ['-certfile', pki.inter.certPath] : []), '-md', 'sha256', '-outform', 'DER']));
      for (const [who, msg] of [['p7m', byP7m], ['openssl', byOpenssl]] as const) {
        assert.equal(await p7mDecision(msg, policy(crls, { revocation: scope })), expected, `p7m on ${who}'s message`);
        assert.equal(opensslAccepts(msg, crls, [flag]), expected === 'ok', `openssl ${flag} on ${who}'s message`);
        // Without revocation checking, both accept it.
        assert.equal(await p7mDecision(msg, { trust: [pki.ca.der] }), 'ok');
        assert.equal(opensslAccepts(msg, [], []), true);
      }
    });
  }

  it('a partitioned CRL is not taken as complete (openssl without -extended_crl refuses it too)', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    await assert.rejects(verify(msg, policy(['ca-idp'])), (e: unknown) => e instanceof RevocationUnknownError && /2\.5\.29\.28/.test(e.message));
    assert.equal(opensslAccepts(msg, ['ca-idp'], ['-crl_check']), false);
  });

  it('a CRL under the issuer\'s name but another key does not count', async () => {
    // An impostor root with the real CA's subject Name (same bytes) and the "other" root's key signs a CRL.
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const impostor = join(pki.dir, 'impostor.pem');
    openssl(['req', '-x509', '-new', '-key', pki.other.keyPath, '-subj', '/O=p7m test/CN=p7m test CA', '-days', '30', '-out', impostor]);
    crl['forged'] = makeCrl('forged', { ...pki.other, certPath: impostor }, []);
    assert.deepEqual(parseCrl(crlDer('forged')).issuerDer, parseCrl(crlDer('ca-clean')).issuerDer);
    await assert.rejects(verify(msg, policy(['forged'])), (e: unknown) => e instanceof RevocationUnknownError && /not signed by/.test(e.message));
    assert.equal(opensslAccepts(msg, ['forged'], ['-crl_check']), false);
  });

  it('the CRL must be current at the time of verification (injected clock)', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const now = Date.now();
    const p = (t: number) => policy(['ca-clean'], { clock: () => new Date(t), maxAgeMs: 60 * DAY });
    assert.equal(await p7mDecision(msg, p(now + 29 * DAY)), 'ok');
    await assert.rejects(verify(msg, p(now + 31 * DAY)), (e: unknown) => e instanceof RevocationUnknownError && /expired at/.test(e.message));
  });
});

describe('CRLs the message carries', () => {
  /** The message with `crls` in its SignedData's crls [1] field (outside the signature: it stays valid). */
  function withCrls(msg: Uint8Array, crls: Uint8Array[]): Uint8Array {
    const ci = parseBer(msg);
    const sd = ci.children[1]!.children[0]!;
    const signerInfos = sd.children[sd.children.length - 1]!;
    const body = [msg.subarray(sd.contentStart, signerInfos.start), tlv(0xa1, ...crls), msg.subarray(signerInfos.start, sd.contentEnd)];
    return tlv(0x30, msg.subarray(ci.children[0]!.start, ci.children[0]!.end), tlv(0xa0, tlv(0x30, ...body)));
  }

  it('are used when revocation is checked, and agree with openssl', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const revoked = withCrls(msg, [crlDer('ca-rsa')]);
    const clean = withCrls(msg, [crlDer('ca-clean')]);
    await assert.rejects(verify(revoked, { trust: [pki.ca.der], revocation: 'signer' }), RevokedCertificateError);
    assert.equal(await p7mDecision(clean, { trust: [pki.ca.der], revocation: 'signer' }), 'ok');
    assert.equal(opensslAccepts(revoked, [], ['-crl_check']), false);
    assert.equal(opensslAccepts(clean, [], ['-crl_check']), true);
    // Not consulted unless asked, as openssl does.
    assert.equal(await p7mDecision(revoked, { trust: [pki.ca.der] }), 'ok');
    assert.equal(opensslAccepts(revoked, [], []), true);
  });

  it('a malformed one is the message\'s fault', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const bad = withCrls(msg, [tlv(0x30, tlv(0x30), tlv(0x30))]);
    await assert.rejects(verify(bad, { trust: [pki.ca.der], revocation: 'signer' }), MalformedInputError);
  });
});

describe('CLI: --crl and --crl-check', () => {
  let msg: string;
  before(async () => { msg = file('cli.p7m', await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key })); });
  const verifyArgs = (...extra: string[]) => ['verify', msg, '--trust', pki.ca.certPath, '--no-replay-check', ...extra];

  it('a revoked signer: exit 1, the error and a hint, nothing on stdout', async () => {
    const r = await p7m(verifyArgs('--crl', crl['ca-rsa']!));
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /^p7m: error: signer certificate CN=rsa signer,O=p7m test was revoked at \d{4}-/m);
    assert.match(r.stderr, /^p7m: hint: /m);
    assert.equal(r.stdout.length, 0);
  });

  it('a current CRL without the signer: verified; --crl-check chain needs no more here (the signer is under the root)', async () => {
    for (const extra of [[], ['--crl-check', 'chain']]) {
      const r = await p7m(verifyArgs('--crl', crl['ca-clean']!, ...extra));
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.toString(), new TextDecoder().decode(TEXT));
    }
  });

  it('no usable CRL: ERR_REVOCATION_UNKNOWN with the reason; --crl-check off skips it', async () => {
    const r = await p7m(verifyArgs('--crl', crl['ca-expired']!));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no usable CRL for the signer certificate CN=rsa signer,O=p7m test: a CRL from CN=p7m test CA,O=p7m test expired at 2020-02-01/);
    assert.equal((await p7m(verifyArgs('--crl', crl['ca-expired']!, '--crl-check', 'off'))).status, 0);
    assert.equal((await p7m(verifyArgs('--crl-check', 'signer'))).status, 1, 'no CRL at all');
  });

  it('decrypt --verify: a revoked signer leaves no output file; a clean CRL lets it through', async () => {
    const env = join(pki.dir, 'signed-env.p7m');
    const enc = await p7m(['encrypt', file('plain.txt', TEXT), '-r', pki.rsa.certPath, '--sign-cert', pki.rsa.certPath, '--sign-key', pki.rsa.keyPath, '-o', env]);
    assert.equal(enc.status, 0, enc.stderr);
    const out = join(pki.dir, 'decrypted.txt');
    const args = (c: string) => ['decrypt', env, '--key', pki.rsa.keyPath, '--verify', '--trust', pki.ca.certPath, '--no-replay-check', '--crl', crl[c]!, '-o', out];
    const revoked = await p7m(args('ca-rsa'));
    assert.equal(revoked.status, 1);
    assert.match(revoked.stderr, /was revoked at/);
    assert.throws(() => readFileSync(out), /ENOENT/);
    const ok = await p7m(args('ca-clean'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.deepEqual(new Uint8Array(readFileSync(out)), TEXT);
  });

  it('bad options: a file that is not a CRL (exit 1), an unknown scope and --crl without --verify (exit 2)', async () => {
    const notCrl = await p7m(verifyArgs('--crl', pki.rsa.certPath));
    assert.equal(notCrl.status, 1);
    assert.match(notCrl.stderr, /^p7m: error: .*rsa\.pem: the PEM file holds no X509 CRL block$/m);
    const scope = await p7m(verifyArgs('--crl-check', 'all'));
    assert.equal(scope.status, 2);
    assert.match(scope.stderr, /--crl-check must be one of off, signer, chain/);
    const dec = await p7m(['decrypt', msg, '--key', pki.rsa.keyPath, '--crl', crl['ca-clean']!]);
    assert.equal(dec.status, 2);
    assert.match(dec.stderr, /go with --verify/);
  });
});
