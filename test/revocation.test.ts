/**
 * Revocation from CRLs (src/keys/crl.ts, src/signed/chain.ts): CRLs made by `openssl ca -gencrl` (an independent
 * writer) for the openssl-made test PKI, each decision compared with `openssl cms -verify -crl_check[_all]` on the
 * same message and CRL, for messages p7m signed and messages openssl signed; CRLs carried in the message; the CLI's
 * options and errors. Time moves through injected clocks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePki, openssl, type Entity, type Pki } from './fixtures/signed/pki.js';
import { sign } from '../src/signed/sign.js';
import { verify, type VerifyOptions } from '../src/signed/verify.js';
import { loadCrls, parseCrl } from '../src/keys/crl.js';
import { tlv } from '../src/format/der.js';
import { parseBer } from './interop/ber.js';
import { KeyFileError, LimitExceededError, MalformedInputError, P7mError, RevocationUnknownError, RevokedCertificateError } from '../src/errors.js';
import { parseCertificate } from '../src/keys/certificate.js';
import * as der from '../src/keys/der.js';
import { p7m } from './helpers/spawn.js';

const DAY = 86_400_000;
const TEXT = new TextEncoder().encode('revocation test\n');

let pki: Pki;
let noCrlSign: Entity;
let underNoCrlSign: Entity;

/** An RSA-2048 certificate from `issuer` with the section `section` of `ext`. */
function issueWith(ext: string, section: string, issuer: Entity, cn: string, serial: number): Entity {
  const name = section + serial;
  const keyPath = join(pki.dir, `${name}.key.pem`);
  const certPath = join(pki.dir, `${name}.pem`);
  const csr = join(pki.dir, `${name}.csr`);
  openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', keyPath]);
  openssl(['req', '-new', '-key', keyPath, '-subj', `/O=p7m test/CN=${cn}`, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', issuer.certPath, '-CAkey', issuer.keyPath, '-set_serial', String(serial), '-days', '30', '-sha256',
    '-extfile', ext, '-extensions', section, '-out', certPath]);
  return { name, certPath, keyPath, der: new Uint8Array(new X509Certificate(readFileSync(certPath)).raw), key: createPrivateKey(readFileSync(keyPath)) };
}
/** CRLs, PEM files: `ca-clean` lists nothing, `ca-rsa` lists the rsa signer, and so on. */
const crl: Record<string, string> = {};

/**
 * An `openssl ca` setup for `issuer` in its own directory: revokes `revoke` and writes a CRL. `extensions` goes
 * into the CRL's extension section; `dates` sets lastUpdate/nextUpdate (YYYYMMDDHHMMSSZ) instead of 30 days.
 */
function makeCrl(name: string, issuer: Entity, revoke: Entity[], o: { extensions?: string; dates?: [string, string]; v1?: boolean } = {}): string {
  writeFileSync(join(pki.dir, `${name}.index`), '');
  writeFileSync(join(pki.dir, `${name}.cnf`), [
    '[ca]', 'default_ca = d',
    '[d]', `database = ${join(pki.dir, `${name}.index`)}`, 'default_md = sha256', 'default_crl_days = 30',
    // Without a crlnumber file or extensions openssl writes a version 1 CRL.
    ...(o.v1 ? [] : [`crlnumber = ${join(pki.dir, `${name}.crlnumber`)}`]),
    ...(o.extensions ? ['crl_extensions = crlext', '[crlext]', o.extensions] : []),
    '',
  ].join('\n'));
  writeFileSync(join(pki.dir, `${name}.crlnumber`), '01\n');
  const base = ['-config', join(pki.dir, `${name}.cnf`), '-keyfile', issuer.keyPath, '-cert', issuer.certPath];
  // A reason code is an entry extension, which needs a version 2 CRL.
  for (const e of revoke) openssl(['ca', ...base, '-revoke', e.certPath, ...(o.v1 ? [] : ['-crl_reason', 'keyCompromise'])]);
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
  // Partitioned CRLs (issuingDistributionPoint, critical as RFC 5280 wants, and not): not complete lists.
  crl['ca-idp'] = makeCrl('ca-idp', pki.ca, [], { extensions: 'issuingDistributionPoint = critical, @idp\n[idp]\nfullname = URI:http://crl.example/part1.crl' });
  crl['ca-idp-noncritical'] = makeCrl('ca-idp-noncritical', pki.ca, [], { extensions: 'issuingDistributionPoint = @idp\n[idp]\nfullname = URI:http://crl.example/part1.crl' });
  // Not valid until 2099 (GeneralizedTime dates, RFC 5280 §5.1.2.4 from 2050 on).
  crl['ca-future'] = makeCrl('ca-future', pki.ca, [], { dates: ['20990101000000Z', '20990201000000Z'] });
  crl['ca-v1-rsa'] = makeCrl('ca-v1-rsa', pki.ca, [pki.rsa], { v1: true });
  // An intermediate whose keyUsage lacks cRLSign, a signer under it, and a CRL it signed anyway.
  const ext = join(pki.dir, 'revocation-ext.cnf');
  writeFileSync(ext, [
    '[noCrlSign]', 'basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid',
    '[leaf]', 'basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature', 'extendedKeyUsage = emailProtection', 'subjectKeyIdentifier = hash', '',
  ].join('\n'));
  noCrlSign = issueWith(ext, 'noCrlSign', pki.ca, 'no cRLSign CA', 0x2001);
  underNoCrlSign = issueWith(ext, 'leaf', noCrlSign, 'under no cRLSign', 0x2002);
  crl['noCrlSign'] = makeCrl('noCrlSign', noCrlSign, []);
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
    assert.deepEqual([...listed.revoked.keys()], [Buffer.from(parseCertificate(pki.rsa.der).serial).toString('hex')]);
    for (const n of ['ca-idp', 'ca-idp-noncritical']) assert.match(parseCrl(crlDer(n)).unusable ?? '', /issuingDistributionPoint/, n);
    const future = parseCrl(crlDer('ca-future'));
    assert.equal(future.thisUpdate.toISOString(), '2099-01-01T00:00:00.000Z');
    assert.equal(future.nextUpdate?.toISOString(), '2099-02-01T00:00:00.000Z');
    const v1 = parseCrl(crlDer('ca-v1-rsa'));
    const v1Tbs = parseBer(crlDer('ca-v1-rsa')).children[0]!;
    assert.equal(v1Tbs.children[0]!.tag, 0x30, 'a v1 TBSCertList starts with its signature AlgorithmIdentifier, no version');
    assert.equal(parseBer(crlDer('ca-clean')).children[0]!.children[0]!.tag, 0x02, 'a v2 one with its version INTEGER');
    assert.equal(v1.revoked.size, 1);
    assert.equal(v1.unusable, undefined);
  });

  it('a Name with a UniversalString beyond Unicode or a surrogate is malformed, not an internal error', () => {
    // Found in review: String.fromCodePoint threw a RangeError from a CRL's (or a certificate's) issuer Name.
    for (const cp of ['00110000', '0000d800']) {
      assert.throws(() => der.directoryString(der.parse(Buffer.from(`1c04${cp}`, 'hex'), 'der')), KeyFileError, cp);
    }
    assert.equal(der.directoryString(der.parse(Buffer.from('1c040001f600', 'hex'), 'der')), '\u{1f600}');
  });

  it('mutated CRLs: parsed, or a KeyFileError, nothing else (fast-check)', () => {
    const seeds = ['ca-rsa', 'ca-v1-rsa', 'ca-idp', 'ca-future'].map(crlDer);
    fc.assert(fc.property(
      fc.nat(seeds.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 8 }),
      (which, edits) => {
        const b = [...seeds[which]!];
        for (const [at, v, op] of edits) {
          const i = at % (b.length + 1);
          if (op === 0) b[i % b.length] = v; else if (op === 1) b.splice(i, 0, v); else b.splice(i, 1);
        }
        try {
          const c = parseCrl(Uint8Array.from(b));
          void c.issuer;
        } catch (e) {
          if (!(e instanceof KeyFileError)) throw e;
        }
      },
    ), { numRuns: 3000, seed: 20261126 });
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
    ['the issuer\'s CRL is not valid yet', () => pki.rsa, ['ca-future'], 'signer', 'ERR_REVOCATION_UNKNOWN'],
    ['a version 1 CRL lists the signer', () => pki.rsa, ['ca-v1-rsa'], 'signer', 'ERR_CERTIFICATE_REVOKED'],
    ['the issuer may not sign CRLs (keyUsage without cRLSign)', () => underNoCrlSign, ['noCrlSign', 'ca-clean'], 'signer', 'ERR_REVOCATION_UNKNOWN'],
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
      const inter = signer() === pki.ec256 ? pki.inter : signer() === underNoCrlSign ? noCrlSign : null;
      const byP7m = await sign(TEXT, { signerCert: signer().der, signerKey: signer().key, chain: inter ? [inter.der] : [] });
      const inF = file(`in-${randomBytes(4).toString('hex')}`, TEXT);
      const byOpenssl = new Uint8Array(openssl(['cms', '-sign', '-binary', '-nodetach', '-in', inF, '-signer', signer().certPath, '-inkey', signer().keyPath,
        ...(inter ? ['-certfile', inter.certPath] : []), '-md', 'sha256', '-outform', 'DER']));
      for (const [who, msg] of [['p7m', byP7m], ['openssl', byOpenssl]] as const) {
        assert.equal(await p7mDecision(msg, policy(crls, { revocation: scope })), expected, `p7m on ${who}'s message`);
        assert.equal(opensslAccepts(msg, crls, [flag]), expected === 'ok', `openssl ${flag} on ${who}'s message`);
        // Without revocation checking, both accept it.
        assert.equal(await p7mDecision(msg, { trust: [pki.ca.der] }), 'ok');
        assert.equal(opensslAccepts(msg, [], []), true);
      }
    });
  }

  it('a partitioned CRL is not taken as complete, critical or not (openssl refuses both here too)', async () => {
    // p7m does not match distribution points; openssl does, and refuses these because the certificates name none.
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    for (const n of ['ca-idp', 'ca-idp-noncritical']) {
      await assert.rejects(verify(msg, policy([n])), (e: unknown) => e instanceof RevocationUnknownError && /issuingDistributionPoint/.test(e.message));
      assert.equal(opensslAccepts(msg, [n], ['-crl_check']), false, n);
    }
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

  it('a malformed one is the message\'s fault; too many is a limit; neither matters when revocation is off', async () => {
    const msg = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key });
    const bad = withCrls(msg, [tlv(0x30, tlv(0x30), tlv(0x30))]);
    await assert.rejects(verify(bad, { trust: [pki.ca.der], revocation: 'signer' }), MalformedInputError);
    // 65 CRLs: over the default limit of 64 (the certificates' limit).
    const many = withCrls(msg, Array.from({ length: 65 }, () => crlDer('ca-clean')));
    await assert.rejects(verify(many, { trust: [pki.ca.der], revocation: 'signer' }), LimitExceededError);
    for (const m of [bad, many]) assert.equal(await p7mDecision(m, { trust: [pki.ca.der] }), 'ok');
    assert.equal(opensslAccepts(many, [], []), true);
  });
});

describe('p7m sign --crl: CRLs that travel in the message', () => {
  it('verify --crl-check signer and openssl -crl_check use them; inspect lists them; a file that is not a CRL is refused', async () => {
    const inF = file('sign-crl.txt', TEXT);
    for (const [crlName, expected] of [['ca-clean', 'ok'], ['ca-rsa', 'ERR_CERTIFICATE_REVOKED']] as const) {
      for (const form of ['der', 'smime'] as const) {
        const out = join(pki.dir, `signed-with-${crlName}.${form}`);
        const r = await p7m(['sign', inF, '--signer', pki.rsa.certPath, '--key', pki.rsa.keyPath, '--crl', crl[crlName]!, '--form', form,
          ...(form === 'smime' ? ['--detached'] : []), '-o', out]);
        assert.equal(r.status, 0, r.stderr);
        const v = await p7m(['verify', out, '--trust', pki.ca.certPath, '--no-replay-check', '--crl-check', 'signer']);
        assert.equal(v.status, expected === 'ok' ? 0 : 1, `${crlName} ${form}: ${v.stderr}`);
        if (expected !== 'ok') assert.match(v.stderr, /was revoked at/);
        if (form === 'der') {
          const msg = new Uint8Array(readFileSync(out));
          assert.equal(opensslAccepts(msg, [], ['-crl_check']), expected === 'ok', `openssl on ${crlName}`);
          const insp = await p7m(['inspect', out]);
          assert.match(insp.stdout.toString(), /^crls:            1$/m);
          assert.match(insp.stdout.toString(), new RegExp(`from CN=p7m test CA,O=p7m test, ${crlName === 'ca-rsa' ? 1 : 0} revoked`));
        }
      }
    }
    const bad = await p7m(['sign', inF, '--signer', pki.rsa.certPath, '--key', pki.rsa.keyPath, '--crl', pki.rsa.certPath, '-o', join(pki.dir, 'never.p7m')]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /no X509 CRL block/);
  });

  it('the library writes them in both encodings (buffer and streaming)', async () => {
    const der = await sign(TEXT, { signerCert: pki.rsa.der, signerKey: pki.rsa.key, crls: [crlDer('ca-rsa')] });
    await assert.rejects(verify(der, { trust: [pki.ca.der], revocation: 'signer' }), RevokedCertificateError);
    const { createSignedDataStreamEncoder } = await import('../src/signed/sign.js');
    const enc = createSignedDataStreamEncoder({ signerCert: pki.rsa.der, signerKey: pki.rsa.key, crls: [crlDer('ca-clean')] });
    const streamed = new Uint8Array(Buffer.concat([enc.header(), enc.segment(TEXT), await enc.finish()]));
    assert.equal(parseBer(streamed).indefinite, true);
    assert.equal(await p7mDecision(streamed, { trust: [pki.ca.der], revocation: 'signer' }), 'ok');
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
    const none = await p7m(verifyArgs('--crl-check', 'signer'));
    assert.equal(none.status, 1, 'no CRL at all');
    assert.match(none.stderr, /no usable CRL for the signer certificate CN=rsa signer,O=p7m test: none from CN=p7m test CA,O=p7m test/);
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
