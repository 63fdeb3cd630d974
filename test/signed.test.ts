/**
 * SignedData (src/signed/): round trips over every algorithm and option, interop with `openssl cms` in both
 * directions, and each refusal with its typed error. Certificates come from test/fixtures/signed/pki.ts
 * (openssl-made, in a temporary directory); time moves through injected clocks, never by sleeping.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, createCipheriv, createHash, createPublicKey, createSign, publicEncrypt, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { makePki, openssl, type Entity, type Pki } from './fixtures/signed/pki.js';
import { createSignedDataStreamEncoder, sign, SignedDataBuilder, type SignOptions } from '../src/signed/sign.js';
import { verify, SignedDataVerifier, type VerifyOptions } from '../src/signed/verify.js';
import { readSignedData } from '../src/signed/reader.js';
import { parseDuration } from '../src/signed/duration.js';
import { tripleWrap, verifyTripleWrapped } from '../src/signed/triple-wrap.js';
import { unwrapContentInfo, wrapContentInfo } from '../src/signed/content-info.js';
import { encodeTime } from '../src/signed/time.js';
import { parseSignedAttributesDer } from '../src/signed/attributes.js';
import { malleateSignedData } from './helpers/malleate.js';
import { parseBer as parseBerIndependent } from './interop/ber.js';
import { encodeSignedData, encodeSignerInfo, signedDataVersion } from '../src/signed/signer-info.js';
import { parseCertificate } from '../src/keys/certificate.js';
import { TAG, encodeOid, tlv } from '../src/format/der.js';
import { concatBytes } from '../src/stream/ber-reader.js';
import { OID } from '../src/oids.js';
import {
  BadSignatureError, ExpiredSignerError, SignerMismatchError, UnsignedMessageError, FutureMessageError, KeyFileError, MalformedInputError, MissingReplayAttributesError,
  P7mError, StaleMessageError, UnsupportedAlgorithmError, UnsupportedContentError, UntrustedSignerError, UsageError,
} from '../src/errors.js';

const HOUR = 3_600_000;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const at = (t: number) => (): Date => new Date(t);

let pki: Pki;
before(() => { pki = makePki(); });
after(() => pki?.cleanup());

function opts(e: Entity, extra: Partial<SignOptions> = {}): SignOptions {
  return { signerCert: e.der, signerKey: e.key, ...extra };
}
function trust(extra: Partial<VerifyOptions> = {}): VerifyOptions {
  return { trust: [pki.ca.der], ...extra };
}
function file(name: string, data: Uint8Array): string {
  const p = join(pki.dir, name);
  writeFileSync(p, data);
  return p;
}
/** `openssl cms -verify` against our CA; returns the content it printed. */
function opensslVerify(msg: Uint8Array, extra: string[] = []): Buffer {
  return openssl(['cms', '-verify', '-inform', 'DER', '-in', file(`v-${randomBytes(4).toString('hex')}.p7m`, msg), '-CAfile', pki.ca.certPath, '-purpose', 'smimesign', ...extra]);
}
function opensslSign(e: Entity, content: Uint8Array, extra: string[]): Uint8Array {
  const inF = file(`in-${randomBytes(4).toString('hex')}.bin`, content);
  return new Uint8Array(openssl(['cms', '-sign', '-binary', '-in', inF, '-signer', e.certPath, '-inkey', e.keyPath, '-md', 'sha256', '-outform', 'DER', ...extra]));
}

describe('sign → verify round trips', () => {
  const content = text('the quick brown fox\n'.repeat(100));
  const signers = (): Array<[string, Entity, Partial<SignOptions>, string]> => [
    ['rsa pkcs#1', pki.rsa, {}, 'rsa-pkcs1'],
    ['rsa pss', pki.rsa, { pss: true }, 'rsa-pss'],
    ['ecdsa p-256 (via an intermediate)', pki.ec256, { chain: [pki.inter.der] }, 'ecdsa'],
    ['ecdsa p-384', pki.ec384, {}, 'ecdsa'],
  ];
  for (const digest of ['sha256', 'sha384', 'sha512'] as const) {
    for (const rid of ['issuer-serial', 'ski'] as const) {
      for (const detached of [false, true]) {
        it(`every signer, ${digest}, ${rid}, ${detached ? 'detached' : 'opaque'}`, async () => {
          for (const [name, e, extra, scheme] of signers()) {
            const msg = await sign(content, opts(e, { ...extra, digest, rid, detached }));
            const r = await verify(msg, trust(detached ? { content } : {}));
            assert.deepEqual(r.content, content, name);
            assert.equal(r.signatureScheme, scheme, name);
            assert.equal(r.digestAlgorithm, digest, name);
            assert.equal(r.eContentType, OID.data);
            assert.equal(r.signer.email, 'signer@example.org');
            assert.deepEqual(r.signerCertDer, e.der);
          }
        });
      }
    }
  }

  it('reports the signer, signingTime and contentIdentifier', async () => {
    const t = Date.now() - 1234;
    const id = randomBytes(16);
    const msg = await sign(content, opts(pki.rsa, { clock: at(t), contentIdentifier: id }));
    const r = await verify(msg, trust());
    const cert = parseCertificate(pki.rsa.der);
    assert.equal(r.signer.subject, 'CN=rsa signer,O=p7m test');
    assert.equal(r.signer.fingerprintSha256, cert.fingerprintSha256);
    assert.deepEqual(r.signer.issuerDer, cert.issuerDer);
    assert.deepEqual(r.signer.serial, cert.serial);
    assert.equal(r.signingTime!.getTime(), Math.floor(t / 1000) * 1000); // whole seconds (DER time)
    assert.deepEqual(r.contentIdentifier, new Uint8Array(id));
    assert.equal(r.signatureHash.length, 32);
    assert.deepEqual(r.chain, [pki.rsa.der, pki.ca.der]);
  });

  it('defaults: rsa → sha256 pkcs#1, p-384 → sha384, 16 random contentIdentifier bytes', async () => {
    const a = await verify(await sign(content, opts(pki.rsa)), trust());
    const b = await verify(await sign(content, opts(pki.rsa)), trust());
    assert.equal(a.digestAlgorithm, 'sha256');
    assert.equal(a.signatureScheme, 'rsa-pkcs1');
    assert.equal(a.contentIdentifier!.length, 16);
    assert.notDeepEqual(a.contentIdentifier, b.contentIdentifier);
    assert.equal((await verify(await sign(content, opts(pki.ec384)), trust())).digestAlgorithm, 'sha384');
  });

  it('signs empty content', async () => {
    const r = await verify(await sign(new Uint8Array(0), opts(pki.rsa)), trust());
    assert.equal(r.content.length, 0);
  });

  it('writes the attributes the feature asks for', async () => {
    const msg = await sign(content, opts(pki.rsa));
    const der = Buffer.from(msg);
    for (const oid of [OID.contentType, OID.messageDigest, OID.signingTime, OID.contentIdentifier, OID.smimeCapabilities]) {
      assert.ok(der.includes(Buffer.from(encodeOid(oid))), oid);
    }
    // openssl prints the smimeCapabilities it finds: what p7m decrypts
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file('attrs.p7m', msg)]).toString();
    for (const name of ['aes-256-cbc', 'aes-192-cbc', 'aes-128-cbc', 'rsaesOaep', 'rsaEncryption', 'id-smime-aa-contentIdentifier', 'signingTime']) {
      assert.ok(printed.includes(name), `${name} in:\n${printed}`);
    }
  });

  it('signingTime is UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5652 §11.3)', () => {
    assert.equal(Buffer.from(encodeTime(new Date('2049-12-31T23:59:59Z'))).toString('latin1'), '\x17\x0d491231235959Z');
    assert.equal(Buffer.from(encodeTime(new Date('2050-01-01T00:00:00Z'))).toString('latin1'), '\x18\x0f20500101000000Z');
    assert.equal(Buffer.from(encodeTime(new Date('1949-12-31T23:59:59.900Z'))).toString('latin1'), '\x18\x0f19491231235959Z');
  });

  it('the builder hashes incrementally: chunks give the same SignerInfo as one buffer', async () => {
    // RSA PKCS#1 v1.5 signatures are deterministic: same attributes, same signature.
    const id = randomBytes(16);
    const clock = at(Date.now());
    const b = new SignedDataBuilder(opts(pki.rsa, { clock, contentIdentifier: id }));
    for (let i = 0; i < content.length; i += 7) b.update(content.subarray(i, i + 7));
    const r = await b.finish();
    const whole = await sign(content, opts(pki.rsa, { clock, contentIdentifier: id, detached: true }));
    assert.ok(Buffer.from(whole).subarray(-r.signerInfo.length).equals(r.signerInfo));
    await assert.rejects(b.finish(), UsageError);
    assert.throws(() => b.update(content), UsageError);
  });

  it('refuses a key that is not the certificate\'s, a public key, pss with ec, ski without SKI', async () => {
    await assert.rejects(sign(content, { signerCert: pki.rsa.der, signerKey: pki.noDs.key }), KeyFileError);
    await assert.rejects(sign(content, { signerCert: pki.rsa.der, signerKey: createPublicKey(pki.rsa.key) }), UsageError);
    await assert.rejects(sign(content, opts(pki.ec256, { pss: true })), UsageError);
    await assert.rejects(sign(content, { signerCert: text('not a certificate'), signerKey: pki.rsa.key }), KeyFileError);
  });
});

describe('streaming', () => {
  const chunks = [text('first chunk\n'), new Uint8Array(0), randomBytes(70_000), text('last\n')];
  const whole = concatBytes(chunks);
  const encode = async (o: SignOptions): Promise<Uint8Array> => {
    const enc = createSignedDataStreamEncoder(o);
    const out = [enc.header(), ...chunks.map((c) => enc.segment(c)), await enc.finish()];
    assert.ok(enc.result?.signature.length);
    return concatBytes(out);
  };

  it('the stream encoder writes indefinite-length BER that openssl and verify() accept', async () => {
    const msg = await encode(opts(pki.rsa));
    assert.equal(msg[1], 0x80); // indefinite
    assert.deepEqual(new Uint8Array(opensslVerify(msg)), whole);
    assert.deepEqual((await verify(msg, trust())).content, whole);
  });

  it('detached stream encoder, ecdsa, ski', async () => {
    const msg = await encode(opts(pki.ec256, { detached: true, rid: 'ski', chain: [pki.inter.der] }));
    const content = file('stream-detached.bin', whole);
    opensslVerify(msg, ['-binary', '-content', content]);
    assert.deepEqual((await verify(msg, trust({ content: whole }))).content, whole);
  });

  it('refuses calls out of order', async () => {
    const enc = createSignedDataStreamEncoder(opts(pki.rsa));
    assert.throws(() => enc.segment(text('x')), UsageError);
    enc.header();
    assert.throws(() => enc.header(), UsageError);
    await enc.finish();
    await assert.rejects(enc.finish(), UsageError);
  });

  it('readSignedData + SignedDataVerifier verify a message fed in tiny pieces', async () => {
    const msg = await encode(opts(pki.rsa));
    // 1- to 64-byte pieces: every header and segment boundary falls mid-piece somewhere
    async function* bytes(): AsyncGenerator<Uint8Array> {
      for (let i = 0, n = 1; i < msg.length; i += n, n = (n * 7 + 3) % 64 + 1) yield msg.subarray(i, i + n);
    }
    const s = await readSignedData(bytes());
    assert.equal(s.header.detached, false);
    assert.equal(s.header.eContentType, OID.data);
    const v = new SignedDataVerifier(s.header, trust());
    const parts: Uint8Array[] = [];
    for await (const c of s.content) { v.update(c); parts.push(c.slice()); }
    const r = await v.finish(await s.trailer());
    assert.deepEqual(concatBytes(parts), whole);
    assert.equal(r.signer.subject, 'CN=rsa signer,O=p7m test');
  });

  it('the trailer cannot be read before the content', async () => {
    const s = await readSignedData((async function* () { yield await encode(opts(pki.rsa)); })());
    await assert.rejects(s.trailer(), UsageError);
  });
});

/** Where the SignerInfo's [0] signedAttrs lie in a ContentInfo(SignedData) (independent reader, test/interop/ber.ts). */
function summarize(der: Uint8Array): { start: number; end: number } {
  const sd = parseBerIndependent(der).children[1]!.children[0]!;
  const si = sd.children[sd.children.length - 1]!.children[0]!;
  const attrs = si.children.find((c) => c.tag === 0xa0)!;
  return { start: attrs.start, end: attrs.end };
}

describe('interop: openssl cms -sign → verify', () => {
  const content = text('from openssl\r\nbinary \x00\xff bytes\n');
  const cases = (): Array<[string, Entity, string[], boolean]> => [
    ['opaque', pki.rsa, ['-nodetach'], false],
    ['detached', pki.rsa, [], true],
    ['opaque, -stream (indefinite BER, constructed OCTET STRING)', pki.rsa, ['-nodetach', '-stream'], false],
    ['rsassa-pss', pki.rsa, ['-nodetach', '-keyopt', 'rsa_padding_mode:pss'], false],
    ['rsassa-pss, saltlen max', pki.rsa, ['-nodetach', '-keyopt', 'rsa_padding_mode:pss', '-keyopt', 'rsa_pss_saltlen:max'], false],
    ['ecdsa p-256 with intermediate', pki.ec256, ['-nodetach', '-certfile', pki.inter.certPath], false],
    ['ecdsa p-384', pki.ec384, ['-nodetach'], false],
    ['subject key identifier', pki.rsa, ['-nodetach', '-keyid'], false],
  ];
  it('verifies every kind with requireReplayAttributes: false', async () => {
    for (const [name, e, extra, detached] of cases()) {
      const msg = opensslSign(e, content, extra);
      const r = await verify(msg, trust({ requireReplayAttributes: false, ...(detached ? { content } : {}) }));
      assert.deepEqual(r.content, content, name);
      assert.ok(r.signingTime, name); // openssl adds signingTime…
      assert.equal(r.contentIdentifier, undefined, name); // …but no contentIdentifier
    }
  });
  it('by default accepts them, their replay identity the SHA-256 of the signed attributes as signed', async () => {
    for (const [name, e, extra, detached] of cases()) {
      const msg = opensslSign(e, content, extra);
      const r = await verify(msg, trust(detached ? { content } : {}));
      assert.equal(r.contentIdentifier, undefined, name);
      assert.equal(r.replayIdentity.kind, 'signedAttributes', name);
      // independently: the [0] IMPLICIT signedAttrs of the SignerInfo, retagged as the universal SET (RFC 5652 §5.4)
      const sd = summarize(msg);
      const attrs = Buffer.from(msg.subarray(sd.start, sd.end));
      attrs[0] = 0x31;
      assert.deepEqual(r.replayIdentity.value, new Uint8Array(createHash('sha256').update(attrs).digest()), name);
    }
  });
  it('requireContentIdentifier refuses them, and says so', async () => {
    const msg = opensslSign(pki.rsa, content, ['-nodetach']);
    await assert.rejects(verify(msg, trust({ requireContentIdentifier: true })), (e: unknown) => {
      assert.ok(e instanceof MissingReplayAttributesError);
      assert.equal(e.code, 'ERR_MISSING_TIMESTAMP_OR_ID');
      assert.match(e.message, /no contentIdentifier/);
      assert.match(e.message, /openssl cms -sign/);
      return true;
    });
    // p7m's own messages carry one
    const ours = await verify(await sign(content, opts(pki.rsa)), trust({ requireContentIdentifier: true }));
    assert.equal(ours.replayIdentity.kind, 'contentIdentifier');
    assert.deepEqual(ours.replayIdentity.value, ours.contentIdentifier);
  });
  it('an ECDSA signature and its malleated twin (s → n − s): both verify, with the same replay identity', async () => {
    for (const [e, size] of [[pki.ec256, 32], [pki.ec384, 48]] as const) {
      const msg = opensslSign(e, content, ['-nodetach', ...(e === pki.ec256 ? ['-certfile', pki.inter.certPath] : [])]);
      const twin = malleateSignedData(msg, size);
      assert.notDeepEqual(twin, msg);
      const a = await verify(msg, trust());
      const b = await verify(twin, trust());
      assert.notDeepEqual(a.signatureHash, b.signatureHash);
      assert.deepEqual(a.replayIdentity, b.replayIdentity);
      opensslVerify(twin); // openssl accepts the twin too: it is a valid signature
    }
  });
  it('a message without signed attributes (-noattr)', async () => {
    const msg = opensslSign(pki.rsa, content, ['-nodetach', '-noattr']);
    await assert.rejects(verify(msg, trust()), MissingReplayAttributesError);
    await assert.rejects(verify(msg, trust({ requireReplayAttributes: false })), UnsupportedContentError);
  });
  it('sha-1 is refused → UnsupportedAlgorithmError', async () => {
    const msg = opensslSign(pki.rsa, content, ['-nodetach', '-md', 'sha1']);
    await assert.rejects(verify(msg, trust({ requireReplayAttributes: false })), UnsupportedAlgorithmError);
  });
  it('tampered openssl message → BadSignatureError', async () => {
    const msg = opensslSign(pki.rsa, content, ['-nodetach']);
    const i = Buffer.from(msg).indexOf(Buffer.from('from openssl'));
    msg[i] ^= 1;
    await assert.rejects(verify(msg, trust({ requireReplayAttributes: false })), BadSignatureError);
  });
});

describe('interop: sign → openssl cms -verify', () => {
  const content = text('to openssl\nwith \x00 binary\r\n');
  const cases = (): Array<[string, Entity, Partial<SignOptions>]> => [
    ['rsa pkcs#1 sha256', pki.rsa, {}],
    ['rsa pkcs#1 sha512', pki.rsa, { digest: 'sha512' }],
    ['rsa pss sha256', pki.rsa, { pss: true }],
    ['rsa pss sha384', pki.rsa, { pss: true, digest: 'sha384' }],
    ['ecdsa p-256 via intermediate', pki.ec256, { chain: [pki.inter.der] }],
    ['ecdsa p-384', pki.ec384, {}],
    ['ski', pki.rsa, { rid: 'ski' }],
  ];
  it('opaque', async () => {
    for (const [name, e, extra] of cases()) {
      const out = opensslVerify(await sign(content, opts(e, extra)));
      assert.deepEqual(new Uint8Array(out), content, name);
    }
  });
  it('detached', async () => {
    const c = file('detached-content.bin', content);
    for (const [name, e, extra] of cases()) {
      const msg = await sign(content, opts(e, { ...extra, detached: true }));
      assert.doesNotThrow(() => opensslVerify(msg, ['-binary', '-content', c]), name);
    }
  });
  it('openssl rejects our message with altered content', async () => {
    const msg = await sign(content, opts(pki.rsa));
    msg[Buffer.from(msg).indexOf(Buffer.from('to openssl'))] ^= 1;
    assert.throws(() => opensslVerify(msg));
  });
});

describe('refusals', () => {
  const content = text('refuse me\n');

  it('tampered signature → BadSignatureError', async () => {
    for (const e of [pki.rsa, pki.ec384]) {
      const msg = await sign(content, opts(e));
      // p7m writes DER with the SignerInfo last and its signature value last: the message's final byte.
      msg[msg.length - 1] ^= 0x01;
      await assert.rejects(verify(msg, trust()), BadSignatureError);
    }
  });

  it('tampered content → BadSignatureError (opaque and detached)', async () => {
    const msg = await sign(content, opts(pki.rsa));
    msg[Buffer.from(msg).indexOf(Buffer.from('refuse me'))] ^= 0x20;
    await assert.rejects(verify(msg, trust()), BadSignatureError);
    const det = await sign(content, opts(pki.rsa, { detached: true }));
    await assert.rejects(verify(det, trust({ content: text('refuse mE\n') })), BadSignatureError);
  });

  it('wrong trust anchor → UntrustedSignerError', async () => {
    const msg = await sign(content, opts(pki.rsa));
    await assert.rejects(verify(msg, { trust: [pki.other.der] }), UntrustedSignerError);
    // the intermediate is missing from the message, so the chain cannot be built
    await assert.rejects(verify(await sign(content, opts(pki.ec256)), trust()), UntrustedSignerError);
    // trusting the intermediate itself is enough
    await verify(await sign(content, opts(pki.ec256)), { trust: [pki.inter.der] });
  });

  it('signer not allowed to sign: keyUsage, extKeyUsage, a chain through a non-CA', async () => {
    await assert.rejects(verify(await sign(content, opts(pki.noDs)), trust()), /keyUsage lacks digitalSignature/);
    await assert.rejects(verify(await sign(content, opts(pki.serverEku)), trust()), UntrustedSignerError);
    await assert.rejects(verify(await sign(content, opts(pki.underFake, { chain: [pki.fakeInter.der] })), trust()), /not a CA/);
  });

  it('expired signer → ExpiredSignerError', async () => {
    const future = Date.now() + 20 * 365 * 24 * HOUR;
    const msg = await sign(content, opts(pki.rsa, { clock: at(future) }));
    await assert.rejects(verify(msg, trust({ clock: at(future) })), ExpiredSignerError);
    // valid when signed but expired now: also refused (validity at signingTime AND now)
    const now = await sign(content, opts(pki.rsa));
    await assert.rejects(verify(now, trust({ clock: at(future), maxAgeMs: Infinity })), ExpiredSignerError);
  });

  it('stale and future messages, with injected clocks', async () => {
    const t = Date.now();
    const msg = await sign(content, opts(pki.rsa, { clock: at(t) }));
    await verify(msg, trust({ clock: at(t + 23 * HOUR) }));
    await assert.rejects(verify(msg, trust({ clock: at(t + 25 * HOUR) })), StaleMessageError);
    await assert.rejects(verify(msg, trust({ clock: at(t + 2 * HOUR), maxAgeMs: HOUR })), StaleMessageError);
    await verify(msg, trust({ clock: at(t + 25 * HOUR), maxAgeMs: 48 * HOUR }));

    const ahead = await sign(content, opts(pki.rsa, { clock: at(t + 10 * 60_000) }));
    await assert.rejects(verify(ahead, trust({ clock: at(t) })), FutureMessageError);
    await verify(ahead, trust({ clock: at(t), maxSkewMs: 15 * 60_000 }));
    const slightly = await sign(content, opts(pki.rsa, { clock: at(t + 4 * 60_000) }));
    await verify(slightly, trust({ clock: at(t) }));
  });

  it('usage: detached without content, opaque with content, no trust anchors', async () => {
    await assert.rejects(verify(await sign(content, opts(pki.rsa, { detached: true })), trust()), UsageError);
    await assert.rejects(verify(await sign(content, opts(pki.rsa)), trust({ content })), UsageError);
    await assert.rejects(verify(await sign(content, opts(pki.rsa)), { trust: [] }), UsageError);
  });

  it('not a SignedData, garbage, truncation, trailing data', async () => {
    const msg = await sign(content, opts(pki.rsa));
    await assert.rejects(verify(new Uint8Array(0), trust()), MalformedInputError);
    await assert.rejects(verify(text('hello'), trust()), MalformedInputError);
    await assert.rejects(verify(msg.subarray(0, msg.length - 10), trust()), MalformedInputError);
    await assert.rejects(verify(concatBytes([msg, Uint8Array.of(0)]), trust()), MalformedInputError);
    const enveloped = tlv(TAG.SEQUENCE, encodeOid(OID.envelopedData), tlv(TAG.CONTEXT_0_CONSTRUCTED, tlv(TAG.SEQUENCE)));
    await assert.rejects(verify(enveloped, trust()), UnsupportedContentError);
  });

  it('random corruption only ever yields typed errors', async () => {
    const msg = await sign(content, opts(pki.ec384));
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(msg.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
      async (flips) => {
        const m = msg.slice();
        for (const [i, x] of flips) m[i] ^= x;
        try {
          await verify(m, trust());
        } catch (e) {
          assert.ok(e instanceof P7mError, `untyped error ${String(e)}`);
        }
      },
    ), { numRuns: 200 });
  });
});

/**
 * Hand-made signed attributes, to check the parser's rules on what p7m itself never writes.
 * The attributes are signed correctly, so each refusal is about the attributes, not the signature.
 */
describe('signed attributes, crafted', () => {
  const content = text('crafted\n');
  const attr = (type: string, ...values: Uint8Array[]): Uint8Array => tlv(TAG.SEQUENCE, encodeOid(type), tlv(TAG.SET, ...values));
  const octets = (b: Uint8Array): Uint8Array => tlv(TAG.OCTET_STRING, b);
  const digest = (): Uint8Array => new Uint8Array(createHash('sha256').update(content).digest());
  const base = (): Record<string, Uint8Array> => ({
    ct: attr(OID.contentType, encodeOid(OID.data)),
    md: attr(OID.messageDigest, octets(digest())),
    st: attr(OID.signingTime, encodeTime(new Date())),
    id: attr(OID.contentIdentifier, octets(randomBytes(16))),
  });
  const craft = (attrs: Uint8Array[]): Uint8Array => {
    const set = tlv(TAG.SET, ...attrs);
    const signature = createSign('sha256').update(set).sign(pki.rsa.key);
    const c = parseCertificate(pki.rsa.der);
    const sid = { kind: 'issuerSerial' as const, issuerDer: c.issuerDer, serial: c.serial };
    const signerInfo = encodeSignerInfo({
      sid, digestAlgorithm: { oid: OID.sha256 }, signedAttrsDer: set,
      signatureAlgorithm: { oid: OID.rsaEncryption, params: Uint8Array.of(5, 0) }, signature,
    });
    return encodeSignedData({ version: signedDataVersion(OID.data, sid), digestAlgorithm: { oid: OID.sha256 }, eContentType: OID.data, certificates: [pki.rsa.der], signerInfo }, content);
  };

  it('the crafted baseline verifies', async () => {
    const b = base();
    await verify(craft([b.ct!, b.md!, b.st!, b.id!]), trust());
  });
  it('missing signingTime → MissingReplayAttributesError; missing contentIdentifier → a derived identity', async () => {
    const b = base();
    await assert.rejects(verify(craft([b.ct!, b.md!, b.id!]), trust()), /no signingTime/);
    await assert.rejects(verify(craft([b.ct!, b.md!]), trust()), /no signingTime/);
    await verify(craft([b.ct!, b.md!]), trust({ requireReplayAttributes: false }));
    const noId = craft([b.ct!, b.md!, b.st!]);
    const r = await verify(noId, trust());
    assert.equal(r.replayIdentity.kind, 'signedAttributes');
    assert.deepEqual(r.replayIdentity.value, new Uint8Array(createHash('sha256').update(tlv(TAG.SET, b.ct!, b.md!, b.st!)).digest()));
    await assert.rejects(verify(noId, trust({ requireContentIdentifier: true })), MissingReplayAttributesError);
    // the identity is of the attributes, not of the message: another signature over them (a fresh RSA-PSS
    // one would do; PKCS#1 v1.5 is deterministic, so re-crafting gives the same bytes) keeps it
    assert.deepEqual((await verify(craft([b.ct!, b.md!, b.st!]), trust())).replayIdentity, r.replayIdentity);
    // and any change to them changes it (two minutes on, within the allowed clock skew: a second
    // earlier was, on a loaded machine, sometimes the very second of b.st, made when the test began)
    const st2 = attr(OID.signingTime, encodeTime(new Date(Date.now() + 120_000)));
    assert.notDeepEqual((await verify(craft([b.ct!, b.md!, st2]), trust())).replayIdentity.value, r.replayIdentity.value);
  });
  it('duplicate signingTime (two attributes, or two values) → MalformedInputError', async () => {
    const b = base();
    const st2 = attr(OID.signingTime, encodeTime(new Date(Date.now() - 1000)));
    await assert.rejects(verify(craft([b.ct!, b.md!, b.st!, st2, b.id!]), trust()), MalformedInputError);
    const twoValues = attr(OID.signingTime, encodeTime(new Date()), encodeTime(new Date(Date.now() - 1000)));
    await assert.rejects(verify(craft([b.ct!, b.md!, twoValues, b.id!]), trust()), /exactly one value/);
    const twoIds = attr(OID.contentIdentifier, octets(randomBytes(16)), octets(randomBytes(16)));
    await assert.rejects(verify(craft([b.ct!, b.md!, b.st!, twoIds]), trust()), MalformedInputError);
  });
  it('malformed signingTime or contentIdentifier → MalformedInputError', async () => {
    const b = base();
    const noSeconds = attr(OID.signingTime, tlv(23, text('2601011200Z')));
    await assert.rejects(verify(craft([b.ct!, b.md!, noSeconds, b.id!]), trust()), MalformedInputError);
    const badDay = attr(OID.signingTime, tlv(23, text('260231120000Z')));
    await assert.rejects(verify(craft([b.ct!, b.md!, badDay, b.id!]), trust()), MalformedInputError);
    const notTime = attr(OID.signingTime, octets(text('yesterday')));
    await assert.rejects(verify(craft([b.ct!, b.md!, notTime, b.id!]), trust()), MalformedInputError);
    const emptyId = attr(OID.contentIdentifier, octets(new Uint8Array(0)));
    await assert.rejects(verify(craft([b.ct!, b.md!, b.st!, emptyId]), trust()), MalformedInputError);
    const intId = attr(OID.contentIdentifier, tlv(TAG.INTEGER, Uint8Array.of(1)));
    await assert.rejects(verify(craft([b.ct!, b.md!, b.st!, intId]), trust()), MalformedInputError);
  });
  it('GeneralizedTime signingTime is read (RFC 5652 §11.3 from 2050; accepted earlier too)', async () => {
    const b = base();
    const d = new Date(Math.floor(Date.now() / 1000) * 1000);
    const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
    const gt = attr(OID.signingTime, tlv(24, text(`${iso}Z`)));
    const r = await verify(craft([b.ct!, b.md!, gt, b.id!]), trust());
    assert.equal(r.signingTime!.getTime(), d.getTime());
  });
  it('contentType must match eContentType; messageDigest must be present', async () => {
    const b = base();
    const wrongCt = attr(OID.contentType, encodeOid(OID.envelopedData));
    await assert.rejects(verify(craft([wrongCt, b.md!, b.st!, b.id!]), trust()), MalformedInputError);
    await assert.rejects(verify(craft([b.ct!, b.st!, b.id!]), trust()), MalformedInputError);
  });
  it('parses stand-alone attributes', () => {
    const b = base();
    const p = parseSignedAttributesDer(tlv(TAG.SET, b.ct!, b.md!, b.st!, b.id!));
    assert.equal(p.contentType, OID.data);
    assert.equal(p.contentIdentifier!.length, 16);
  });
});

/**
 * Triple wrapping with a real EnvelopedData: the encrypt callback below writes one (RSAES-OAEP + AES-256-CBC,
 * contentType id-signedData) and `openssl cms -decrypt` opens it, so the layers are checked by openssl as well.
 */
describe('triple wrap (RFC 2634 §1.1)', () => {
  const content = text('sign, encrypt, sign again\n');
  const envelope = (recipient: Entity) => async (inner: { contentType: string; content: Uint8Array }): Promise<Uint8Array> => {
    const c = parseCertificate(recipient.der);
    const cek = randomBytes(32);
    const iv = randomBytes(16);
    const cipher = createCipheriv('aes-256-cbc', cek, iv);
    const ciphertext = Buffer.concat([cipher.update(inner.content), cipher.final()]);
    const encryptedKey = publicEncrypt({ key: c.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, cek);
    const ktri = tlv(TAG.SEQUENCE, Uint8Array.of(2, 1, 0), tlv(TAG.SEQUENCE, c.issuerDer, tlv(TAG.INTEGER, c.serial)),
      tlv(TAG.SEQUENCE, encodeOid(OID.rsaesOaep), Uint8Array.of(0x30, 0)), tlv(TAG.OCTET_STRING, encryptedKey));
    const eci = tlv(TAG.SEQUENCE, encodeOid(inner.contentType), tlv(TAG.SEQUENCE, encodeOid(OID.aes256Cbc), tlv(TAG.OCTET_STRING, iv)), tlv(0x80, ciphertext));
    return wrapContentInfo(OID.envelopedData, tlv(TAG.SEQUENCE, Uint8Array.of(2, 1, 0), tlv(TAG.SET, ktri), eci));
  };
  const opensslDecrypt = (recipient: Entity) => async (enveloped: Uint8Array): Promise<{ contentType: string; content: Uint8Array }> => {
    const out = openssl(['cms', '-decrypt', '-inform', 'DER', '-in', file(`env-${randomBytes(4).toString('hex')}.der`, enveloped),
      '-recip', recipient.certPath, '-inkey', recipient.keyPath, '-binary']);
    // the EnvelopedData's encryptedContentInfo.contentType, read with openssl's own parser
    const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', file(`envp-${randomBytes(4).toString('hex')}.der`, enveloped)]).toString();
    const m = /encryptedContentInfo:\s*\n\s*contentType: (\S+)/.exec(printed);
    return { contentType: m?.[1] === 'pkcs7-signedData' ? OID.signedData : m?.[1] ?? '?', content: new Uint8Array(out) };
  };

  it('wraps and unwraps, both layers by the same signer', async () => {
    const der = await tripleWrap(content, { ...opts(pki.ec384), encrypt: envelope(pki.rsa) });
    const r = await verifyTripleWrapped(der, { ...trust(), decrypt: opensslDecrypt(pki.rsa) });
    assert.deepEqual(r.content, content);
    assert.equal(r.outer.eContentType, OID.envelopedData);
    assert.equal(r.inner.eContentType, OID.data);
    assert.equal(r.inner.signer.fingerprintSha256, r.outer.signer.fingerprintSha256);
    assert.notDeepEqual(r.inner.contentIdentifier, r.outer.contentIdentifier);
  });

  it('openssl opens every layer of our triple wrap', async () => {
    const der = await tripleWrap(content, { ...opts(pki.rsa), encrypt: envelope(pki.rsa) });
    const bareEnvelope = opensslVerify(der, ['-binary']);
    const signed = await opensslDecrypt(pki.rsa)(wrapContentInfo(OID.envelopedData, bareEnvelope));
    assert.equal(signed.contentType, OID.signedData);
    assert.deepEqual(new Uint8Array(opensslVerify(wrapContentInfo(OID.signedData, signed.content), ['-binary'])), content);
  });

  it('different inner and outer signers → SignerMismatchError', async () => {
    // build the layers by hand: inner by rsa, outer by ec384
    const inner = await sign(content, { ...opts(pki.rsa), bare: true });
    const env = await envelope(pki.rsa)({ contentType: OID.signedData, content: inner });
    const der = await sign(unwrapContentInfo(env, OID.envelopedData), { ...opts(pki.ec384), eContentType: OID.envelopedData });
    await assert.rejects(verifyTripleWrapped(der, { ...trust(), decrypt: opensslDecrypt(pki.rsa) }), SignerMismatchError);
  });

  it('an encrypted layer that is not signed → UnsignedMessageError; a plain signed message is not triple wrapped', async () => {
    const env = await envelope(pki.rsa)({ contentType: OID.data, content });
    const der = await sign(unwrapContentInfo(env, OID.envelopedData), { ...opts(pki.rsa), eContentType: OID.envelopedData });
    await assert.rejects(verifyTripleWrapped(der, { ...trust(), decrypt: async () => ({ contentType: OID.data, content }) }), UnsignedMessageError);
    await assert.rejects(verifyTripleWrapped(await sign(content, opts(pki.rsa)), { ...trust(), decrypt: opensslDecrypt(pki.rsa) }), UnsupportedContentError);
  });

  it('the bare stream encoder output is what the envelope carries', async () => {
    const enc = createSignedDataStreamEncoder(opts(pki.rsa, { bare: true }));
    const bare = concatBytes([enc.header(), enc.segment(content), await enc.finish()]);
    assert.equal(bare[0], 0x30);
    assert.equal(bare[2], 0x02); // SignedData version, no ContentInfo in front
    const r = await verify(bare, trust({ bare: true }));
    assert.deepEqual(r.content, content);
    await assert.rejects(verify(bare, trust()), MalformedInputError);
  });
});

describe('parseDuration', () => {
  it('reads s, m, h, d', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('7d'), 604_800_000);
    assert.equal(parseDuration('0s'), 0);
  });
  it('refuses anything else with UsageError', () => {
    for (const bad of ['', '90', 'h', '1.5h', '-5m', '5 m', '5M', '1h30m', '5w', '99999999999999d', 'abc']) {
      assert.throws(() => parseDuration(bad), UsageError, bad);
    }
  });
});
