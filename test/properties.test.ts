/**
 * Properties (fast-check): parse∘encode is the identity for every structure p7m writes, and
 * encrypt→decrypt is the identity for any content and any option set. RSA keys are the fuzz seed keys
 * (test/corpus/seeds/keys/, RSA-2048), loaded once; runs are few enough to keep this file fast.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { decrypt, decryptStream, encrypt, encryptStream } from '../src/index.js';
import { HASHES, type HashName } from '../src/algorithms.js';
import { parseBer } from '../src/format/asn1.js';
import { type AlgorithmIdentifier, decodeAlgorithmIdentifier, encodeAlgorithmIdentifier } from '../src/format/algorithm-identifier.js';
import { envelopeFraming } from '../src/format/enveloped.js';
import { decodeOaepParams, encodeOaepParams } from '../src/format/oaep-params.js';
import {
  type KeyTransRecipientInfo, decodeRecipientInfo, decodeRecipientInfosDer, encodeKeyTransRecipientInfo, encodeRecipientInfos,
} from '../src/format/recipient-info.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { OID } from '../src/oids.js';
import { readEnvelope } from '../src/stream/envelope-reader.js';
import { int, nul, octets, oid as oidTlv, seq, set, tlv } from './fuzz/build.js';
import { loadKeys } from './fuzz/seeds.js';

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const hashName = fc.constantFrom<HashName>(...HASHES.map((h) => h.name));

/** Dotted OIDs: first arc 0–2, second < 40 unless the first is 2, then arcs up to 2^40. */
const dottedOid = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 8 }))
  .map(([a, b, rest]) => [a, a < 2 ? b % 40 : b, ...rest].join('.'));

/** A DER element usable as AlgorithmIdentifier parameters. */
const params = fc.oneof(
  fc.constant(nul()),
  bytes(0, 40).map((b) => octets(b)),
  fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((n) => int(n)),
  fc.tuple(dottedOid, bytes(0, 20)).map(([o, b]) => seq(oidTlv(o), octets(b))),
);

/** A Name: a SEQUENCE of RDN SETs of one attribute, UTF8String values. */
const name = fc.array(fc.tuple(fc.constantFrom('2.5.4.3', '2.5.4.10', '2.5.4.6', '2.5.4.11'), fc.string({ maxLength: 30 })), { maxLength: 5 })
  .map((rdns) => seq(...rdns.map(([t, v]) => set(seq(oidTlv(t), tlv(0x0c, Buffer.from(v, 'utf8')))))));

const oaepParams = fc.record({ hash: hashName, mgf1Hash: hashName, label: bytes(0, 40) });

const keyTransRecipientInfo: fc.Arbitrary<KeyTransRecipientInfo> = fc.record({
  rid: fc.oneof(
    fc.record({ kind: fc.constant('issuerSerial' as const), issuerDer: name, serial: bytes(1, 20) }),
    fc.record({ kind: fc.constant('ski' as const), ski: bytes(1, 64) }),
  ),
  alg: fc.oneof(
    fc.constant({ oid: OID.rsaEncryption, params: nul() }),
    oaepParams.map((p) => ({ oid: OID.rsaesOaep, params: encodeOaepParams(p) })),
  ),
  encryptedKey: bytes(0, 600),
}).map((r) => ({ type: 'ktri', version: r.rid.kind === 'ski' ? 2 : 0, rid: r.rid, keyEncryptionAlgorithm: r.alg, encryptedKey: r.encryptedKey }));

const plain = <T>(x: T): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));

describe('parse ∘ encode is the identity', () => {
  it('AlgorithmIdentifier', () => {
    fc.assert(fc.property(dottedOid, fc.option(params, { nil: undefined }), (o, p) => {
      const a: AlgorithmIdentifier = p ? { oid: o, params: p } : { oid: o };
      const back = decodeAlgorithmIdentifier(parseBer(encodeAlgorithmIdentifier(a), 'alg'), 'alg');
      assert.deepEqual(plain(back), plain(a));
    }), { numRuns: 300 });
  });

  it('RSAES-OAEP-params (DER: defaults left out, so 30 00 for all-SHA-1)', () => {
    fc.assert(fc.property(oaepParams, (p) => {
      const der = encodeOaepParams(p);
      assert.deepEqual(plain(decodeOaepParams(der)), plain(p));
      if (p.hash === 'sha1' && p.mgf1Hash === 'sha1' && p.label.length === 0) assert.deepEqual([...der], [0x30, 0x00]);
    }), { numRuns: 300 });
  });

  it('KeyTransRecipientInfo', () => {
    fc.assert(fc.property(keyTransRecipientInfo, (ri) => {
      const back = decodeRecipientInfo(parseBer(encodeKeyTransRecipientInfo(ri), 'ri'), 0);
      assert.deepEqual(plain(back), plain(ri));
    }), { numRuns: 300 });
  });

  it('SET OF RecipientInfo (sorted, as DER wants), read back one by one', () => {
    fc.assert(fc.property(fc.array(keyTransRecipientInfo, { minLength: 1, maxLength: 6 }), (ris) => {
      const der = encodeRecipientInfos(ris.map(encodeKeyTransRecipientInfo));
      const back = decodeRecipientInfosDer(der, DEFAULT_LIMITS);
      const key = (x: unknown): string => JSON.stringify(plain(x));
      assert.deepEqual(back.map(key).sort(), ris.map(key).sort());
    }), { numRuns: 100 });
  });

  it('envelope framing (EnvelopedData or AuthEnvelopedData), definite and indefinite, any chunking: readEnvelope gives back the header, the ciphertext and the tag', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(keyTransRecipientInfo, { minLength: 1, maxLength: 3 }),
      fc.constantFrom(OID.data, OID.signedData, OID.envelopedData),
      fc.record({ oid: fc.constantFrom(OID.aes128Cbc, OID.aes256Cbc, OID.desEde3Cbc, '1.2.3.4'), params: bytes(0, 16).map(octets) }),
      fc.array(bytes(0, 300), { maxLength: 6 }),
      fc.boolean(),
      fc.integer({ min: 1, max: 64 }),
      fc.option(bytes(12, 16), { nil: undefined }),
      async (ris, contentType, alg, chunks, definite, readChunk, mac) => {
        const ciphertext = Buffer.concat(chunks);
        const recipientInfosDer = encodeRecipientInfos(ris.map(encodeKeyTransRecipientInfo));
        const version = mac ? 0 : ris.every((r) => r.version === 0) ? 0 : 2;
        const framing = envelopeFraming({
          version, recipientInfosDer, contentType, contentEncryptionAlgorithm: alg, ciphertextLength: definite ? ciphertext.length : null,
          ...(mac ? { macLength: mac.length } : {}),
        });
        const message = Buffer.concat([framing.prefix, ...(definite ? [ciphertext] : chunks.flatMap((c) => framing.segment(c))), framing.suffix(mac)]);
        // Fed in small pieces, so that every header can straddle two reads.
        const pieces: Uint8Array[] = [];
        for (let i = 0; i < message.length; i += readChunk) pieces.push(message.subarray(i, i + readChunk));
        const env = await readEnvelope(Readable.from(pieces), DEFAULT_LIMITS);
        const got: Uint8Array[] = [];
        for await (const c of env.content) got.push(Uint8Array.from(c));
        assert.ok(Buffer.concat(got).equals(ciphertext));
        assert.equal(env.header.authenticated, mac !== undefined);
        if (mac) assert.deepEqual(env.authentication(), { mac });
        assert.equal(env.header.version, version);
        assert.equal(env.header.contentType, contentType);
        assert.equal(env.header.indefinite, !definite);
        assert.deepEqual(plain(env.header.contentEncryptionAlgorithm), plain(alg));
        const key = (x: unknown): string => JSON.stringify(plain(x));
        assert.deepEqual(env.header.recipientInfos.map(key).sort(), ris.map(key).sort());
      },
    ), { numRuns: 150 });
  });
});

describe('encrypt → decrypt is the identity', () => {
  const k = loadKeys();
  const people = [
    { cert: k.rcptCertPem, key: k.rcptKey },
    { cert: k.otherCertPem, key: k.otherKey },
  ];
  const options = fc.record({
    cipher: fc.constantFrom('aes-128-cbc' as const, 'aes-192-cbc' as const, 'aes-256-cbc' as const),
    keyTransport: fc.constantFrom('pkcs1' as const, 'oaep' as const),
    oaepHash: fc.constantFrom('sha1' as const, 'sha256' as const, 'sha384' as const, 'sha512' as const),
    rid: fc.constantFrom('issuer-serial' as const, 'ski' as const),
    form: fc.constantFrom('der' as const, 'pem' as const, 'smime' as const),
    /** Who the message is for (indexes into people, any order, repeats allowed), and who decrypts. */
    to: fc.array(fc.integer({ min: 0, max: people.length - 1 }), { minLength: 1, maxLength: 3 }),
    reader: fc.nat(),
    /** Decrypt with the certificate, or with the bare key (then every RSA recipient of its size is tried). */
    withCert: fc.boolean(),
  });
  /**
   * With a bare key and a message for several different RSA-2048 keys, each other recipient is unwrapped
   * into a random CEK whose CBC padding checks by chance about once in 256: decrypt then reports the
   * ambiguity as a failure (docs/security.md "What p7m does not defend against"). Not a property, so
   * the bare key reads messages addressed to its holder only (possibly several times).
   */
  const recipientsOf = (o: { to: number[]; reader: number; withCert: boolean }): number[] =>
    (o.withCert ? o.to : o.to.map(() => o.to[o.reader % o.to.length]!));

  it('buffer API (definite-length DER inside any form)', async () => {
    await fc.assert(fc.asyncProperty(bytes(0, 3000), options, async (content, o) => {
      const { to, reader, withCert, ...opts } = o;
      const message = await encrypt(content, { ...opts, recipients: recipientsOf(o).map((i) => people[i]!.cert) });
      const me = people[to[reader % to.length]!]!;
      const r = await decrypt(message, withCert ? { key: me.key, certificate: me.cert } : { key: me.key });
      assert.ok(Buffer.from(r.content).equals(Buffer.from(content)));
      assert.equal(r.contentCipher, opts.cipher);
    }), { numRuns: 40 });
  });

  it('stream API (indefinite-length BER, content in arbitrary chunks)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(bytes(0, 700), { maxLength: 5 }), options, async (chunks, o) => {
      const { to, reader, withCert, ...opts } = o;
      const out: Buffer[] = [];
      await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), encryptStream({ ...opts, recipients: recipientsOf(o).map((i) => people[i]!.cert) }), async function* (src) {
        for await (const c of src) out.push(Buffer.from(c as Uint8Array));
      });
      const me = people[to[reader % to.length]!]!;
      const back: Buffer[] = [];
      await pipeline(Readable.from(out), decryptStream(withCert ? { key: me.key, certificate: me.cert } : { key: me.key }), async function* (src) {
        for await (const c of src) back.push(Buffer.from(c as Uint8Array));
      });
      assert.ok(Buffer.concat(back).equals(Buffer.concat(chunks)));
    }), { numRuns: 25 });
  });
});

