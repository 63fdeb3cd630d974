/**
 * The library API (src/index.ts) end to end: encrypt → inspect → decrypt for every option, every way of
 * giving the key, and every certificate encrypt must refuse. The demo PKI (certs/) gives alice (RSA-2048),
 * bob (RSA-3072, bob.p12, bob-legacy.p12) and carol (EC); the certificates it cannot show (expired, wrong
 * keyUsage, 1024-bit, no SKI) are made here by test/helpers/pki.ts, each key once for the whole file.
 * Interop with other implementations: test/openssl.test.ts, test/cms-vectors.test.ts.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import {
  CHUNK_SIZE, OID, decrypt, encrypt, inspect, type ContentCipherName, type DecryptOptions, type HashName, type Inspection,
} from '../src/index.js';
import { formatInspection } from '../src/inspect.js';
import { DEMO_PASSWORD, demo } from './helpers/demo.js';
import { days, issue, makeCa, rsaKey, type TestCert } from './helpers/pki.js';

type Cipher = Extract<ContentCipherName, `aes-${string}`>;
type Form = 'der' | 'pem' | 'smime';

const CIPHERS: Cipher[] = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'];
const CIPHER_OIDS: Record<Cipher, string> = {
  'aes-128-cbc': OID.aes128Cbc, 'aes-192-cbc': OID.aes192Cbc, 'aes-256-cbc': OID.aes256Cbc,
  'aes-128-gcm': OID.aes128Gcm, 'aes-192-gcm': OID.aes192Gcm, 'aes-256-gcm': OID.aes256Gcm,
};
/** Key transports: PKCS#1 v1.5, and OAEP with each hash the CLI offers. */
const TRANSPORTS: { keyTransport: 'pkcs1' | 'oaep'; oaepHash?: HashName; label: string }[] = [
  { keyTransport: 'pkcs1', label: 'pkcs1' },
  ...(['sha1', 'sha256', 'sha384', 'sha512'] as const).map((h) => ({ keyTransport: 'oaep' as const, oaepHash: h, label: `oaep-${h}` })),
];
const RIDS = ['issuer-serial', 'ski'] as const;
const FORMS: Form[] = ['der', 'pem', 'smime'];

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** CBC with PKCS#7 padding: always 1..16 bytes added (RFC 5652 §6.3). */
const paddedLength = (n: number): number => (Math.floor(n / 16) + 1) * 16;
/** Serial as node prints it, lower case, without the sign octet. */
const serialOf = (pem: Uint8Array | string): string => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^(00)+(?=.)/, '');

/** A rejected promise's error, to check its class, code and message. */
async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; recipients?: string[] }> {
  try { await p; } catch (e) { return e as Error & { code?: string }; }
  assert.fail('expected a rejection');
}

function assertForm(m: Uint8Array, form: Form): void {
  const head = Buffer.from(m.subarray(0, 200)).toString('latin1');
  if (form === 'der') assert.equal(m[0], 0x30, 'DER starts with a SEQUENCE');
  if (form === 'pem') assert.match(head, /^-----BEGIN CMS-----\r?\n/);
  if (form === 'smime') assert.match(head, /content-type: *application\/(x-)?pkcs7-mime/i);
}

// Extra identities, made once for the file.
let ca: Awaited<ReturnType<typeof makeCa>>;
let dave: TestCert; // RSA-2048, another recipient
let stranger: TestCert; // RSA-2048, never a recipient: the "wrong key" of alice's size
let noSki: TestCert; // no subjectKeyIdentifier extension
let noKeyUsage: TestCert; // no keyUsage extension at all: any usage allowed (RFC 5280 §4.2.1.3)
let signOnly: TestCert; // keyUsage digitalSignature only
let dataEncOnly: TestCert; // keyUsage dataEncipherment only (not keyEncipherment)
let expired: TestCert;
let notYetValid: TestCert;
let small: TestCert; // RSA-1024

before(async () => {
  const [k2048a, k2048b, k2048c, k1024] = await Promise.all([
    rsaKey(2048, 'dave'), rsaKey(2048, 'stranger'), rsaKey(2048, 'misc'), rsaKey(1024, 'small'),
  ]);
  ca = await makeCa('core CA');
  const now = Date.now();
  [dave, stranger, noSki, noKeyUsage, signOnly, dataEncOnly, expired, notYetValid, small] = await Promise.all([
    issue(ca, { name: 'dave', key: k2048a }),
    issue(ca, { name: 'stranger', key: k2048b }),
    issue(ca, { name: 'no-ski', key: k2048c, ski: false }),
    issue(ca, { name: 'no-key-usage', key: k2048c, keyUsage: null }),
    issue(ca, { name: 'sign-only', key: k2048c, keyUsage: ['digitalSignature'] }),
    issue(ca, { name: 'data-enc-only', key: k2048c, keyUsage: ['dataEncipherment'] }),
    issue(ca, { name: 'expired', key: k2048c, notBefore: new Date(now - days(60)), notAfter: new Date(now - days(1)) }),
    issue(ca, { name: 'not-yet-valid', key: k2048c, notBefore: new Date(now + days(1)), notAfter: new Date(now + days(60)) }),
    issue(ca, { name: 'small', key: k1024 }),
  ]);
});

describe('round trip: every cipher × key transport × recipient identifier × form', () => {
  let n = 0;
  for (const cipher of CIPHERS) {
    for (const t of TRANSPORTS) {
      for (const rid of RIDS) {
        for (const form of FORMS) {
          const size = 5 + 7 * n++; // a different length, and padding, in each case
          it(`${cipher} ${t.label} ${rid} ${form}`, async () => {
            const content = randomBytes(size);
            const m = await encrypt(content, { recipients: [demo('alice')], cipher, keyTransport: t.keyTransport, oaepHash: t.oaepHash, rid, form });
            assertForm(m, form);
            // RFC 8551 §3.2.2: the smime-type names the CMS type.
            if (form === 'smime') assert.match(Buffer.from(m.subarray(0, 200)).toString('latin1'), cipher.endsWith('-gcm') ? /smime-type=authEnveloped-data;/ : /smime-type=enveloped-data;/);

            const r = await decrypt(m, { key: demo('aliceKey'), certificate: demo('alice') });
            assert.deepEqual(Buffer.from(r.content), content);
            assert.equal(r.contentCipher, cipher);
            assert.equal(r.contentType, OID.data);
            assert.equal(r.recipient.index, 0);

            const gcm = cipher.endsWith('-gcm');
            const i = await inspect(m);
            assert.equal(i.form, form);
            assert.equal(i.contentType, gcm ? 'authEnvelopedData' : 'envelopedData');
            assert.equal(i.encoding, 'definite', 'a buffer of known length is definite-length DER');
            // RFC 5652 §6.1: version 2 as soon as a RecipientInfo is not version 0 (a ktri by SKI is version 2);
            // RFC 5083 §2.1: AuthEnvelopedData is always version 0.
            assert.equal(i.version, rid === 'ski' && !gcm ? 2 : 0);
            assert.equal(i.recipients.length, 1);
            const ri = i.recipients[0]!;
            assert.equal(ri.kind, 'ktri');
            assert.equal(ri.version, rid === 'ski' ? 2 : 0);
            assert.equal(ri.identifier?.type, rid === 'ski' ? 'subjectKeyIdentifier' : 'issuerAndSerialNumber');
            assert.equal(ri.keyTransport?.oid, t.keyTransport === 'oaep' ? OID.rsaesOaep : OID.rsaEncryption);
            if (t.keyTransport === 'oaep') {
              assert.deepEqual(ri.keyTransport?.parameters, { hash: t.oaepHash, mgf1Hash: t.oaepHash, label: '' });
            } else {
              assert.equal(ri.keyTransport?.parameters, undefined);
            }
            assert.equal(ri.encryptedKeyLength, 256, 'RSA-2048: a 256-byte encrypted key');
            assert.equal(i.content.cipher, cipher);
            assert.equal(i.content.cipherOid, CIPHER_OIDS[cipher]);
            assert.equal(i.content.iv?.length, gcm ? 24 : 32, gcm ? 'a 12-byte nonce' : 'a 16-byte IV');
            assert.equal(i.content.ciphertextLength, gcm ? size : paddedLength(size));
            assert.equal(i.content.macLength, gcm ? 16 : undefined);
          });
        }
      }
    }
  }
});

describe('contents', () => {
  const sizes: [string, number][] = [
    ['empty', 0], ['1 byte', 1], ['15 bytes', 15], ['16 bytes (a whole block of padding)', 16], ['17 bytes', 17],
    ['1 MiB', 1 << 20], ['1 MiB + 1', (1 << 20) + 1], ['CHUNK_SIZE - 1', CHUNK_SIZE - 1],
  ];
  for (const [name, size] of sizes) {
    it(`${name} round-trips`, async () => {
      const content = randomBytes(size);
      for (const form of FORMS) {
        const m = await encrypt(content, { recipients: [demo('bob')], form });
        const r = await decrypt(m, { key: demo('bobKey'), certificate: demo('bob') });
        assert.equal(r.content.length, size);
        assert.ok(Buffer.from(r.content).equals(content), `${form}: content differs`);
        assert.equal((await inspect(m)).content.ciphertextLength, paddedLength(size));
      }
    });
  }

  it('a string content is its UTF-8 bytes', async () => {
    const m = await encrypt('grüße, 世界', { recipients: [demo('alice')] });
    assert.equal(text((await decrypt(m, { key: demo('aliceKey') })).content), 'grüße, 世界');
  });

  it('two encryptions of the same content differ (fresh CEK and IV)', async () => {
    const a = await inspect(await encrypt('same', { recipients: [demo('alice')] }));
    const b = await inspect(await encrypt('same', { recipients: [demo('alice')] }));
    assert.notEqual(a.content.iv, b.content.iv);
  });
});

describe('several recipients', () => {
  it('each of alice, bob and dave decrypts with key and certificate', async () => {
    const content = randomBytes(1000);
    const m = await encrypt(content, { recipients: [demo('alice'), demo('bob'), dave.pem] });
    const i = await inspect(m);
    assert.equal(i.recipients.length, 3);
    // RecipientInfos is a SET OF: DER sorts it, so positions come from the message, not from the call.
    const [ia, ib, id] = [demo('alice'), demo('bob'), dave.pem].map((c) => recipientIndex(i, c));
    assert.deepEqual([ia, ib, id].sort(), [0, 1, 2]);
    assert.equal(i.recipients[ib!]!.encryptedKeyLength, 384);
    const cases: [string, DecryptOptions, number][] = [
      ['alice', { key: demo('aliceKey'), certificate: demo('alice') }, ia!],
      ['bob', { key: demo('bobKey'), certificate: demo('bob') }, ib!],
      ['dave', { key: dave.key.keyPem, certificate: dave.pem }, id!],
      ['bob (bare key: the only RSA-3072 recipient)', { key: demo('bobKey') }, ib!],
      ['bob.p12', { pkcs12: demo('bobP12'), password: DEMO_PASSWORD }, ib!],
    ];
    for (const [who, opts, index] of cases) {
      const r = await decrypt(m, opts);
      assert.ok(Buffer.from(r.content).equals(content), `${who}: content differs`);
      assert.equal(r.recipient.index, index, `${who}: recipient index`);
    }
  });

  it('with --rid ski, a bare key finds its own recipient by key identifier among same-size ones', async () => {
    const m = await encrypt('by ski', { recipients: [dave.pem, demo('alice'), demo('bob')], rid: 'ski' });
    const i = await inspect(m);
    const r1 = await decrypt(m, { key: demo('aliceKey') });
    assert.equal(text(r1.content), 'by ski');
    assert.equal(r1.recipient.index, recipientIndex(i, demo('alice')));
    const r2 = await decrypt(m, { key: dave.key.keyPem });
    assert.equal(r2.recipient.index, recipientIndex(i, dave.pem));
  });

  it('a PEM holding several certificates adds each as a recipient', async () => {
    const both = Buffer.concat([demo('alice'), demo('bob')]);
    const m = await encrypt('two in one file', { recipients: [both] });
    assert.equal((await inspect(m)).recipients.length, 2);
    assert.equal(text((await decrypt(m, { key: demo('bobKey'), certificate: demo('bob') })).content), 'two in one file');
  });

  it('the same certificate twice: a bare key still decrypts (both candidates give the same key)', async () => {
    const m = await encrypt('twice', { recipients: [demo('alice'), demo('alice')] });
    const r = await decrypt(m, { key: demo('aliceKey') });
    assert.equal(text(r.content), 'twice');
    assert.equal(r.recipient.index, 0);
  });

  it('a bare key among same-size recipients decrypts its own (every candidate tried)', async () => {
    // dave, alice and stranger are all RSA-2048 and identified by issuer+serial: a bare key cannot tell
    // which is its own, so each is unwrapped and the CBC padding decides. Another recipient's entry
    // unwraps to a pseudo-random CEK, whose padding is valid about 1 time in 256 per wrong candidate:
    // then the answer is ambiguous and decryption fails (a documented limit; --cert avoids it). So:
    // three fresh messages, and at least one must decrypt, each either to the content or to that error.
    let ok = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const m = await encrypt('among equals', { recipients: [dave.pem, demo('alice'), stranger.pem] });
      const r = await decrypt(m, { key: demo('aliceKey') }).catch((e: Error & { code?: string }) => e);
      if (r instanceof Error) { assert.equal(r.code, 'ERR_DECRYPTION_FAILED'); continue; }
      assert.equal(text(r.content), 'among equals');
      assert.equal(r.recipient.index, recipientIndex(await inspect(m), demo('alice')));
      ok++;
    }
    assert.ok(ok >= 1, 'no attempt decrypted');
  });
});

describe('ways to give the key', () => {
  let forBob: Uint8Array;
  let forAlice: Uint8Array;
  const content = randomBytes(333);
  before(async () => {
    forBob = await encrypt(content, { recipients: [demo('bob')], keyTransport: 'oaep' });
    forAlice = await encrypt(content, { recipients: [demo('alice')] });
  });
  const same = (r: { content: Uint8Array }): void => assert.ok(Buffer.from(r.content).equals(content), 'content differs');

  it('bare key, PEM bytes', async () => same(await decrypt(forBob, { key: demo('bobKey') })));
  it('bare key, PEM string', async () => same(await decrypt(forBob, { key: demo('bobKey').toString('utf8') })));
  it('bare key, KeyObject', async () => same(await decrypt(forBob, { key: createPrivateKey(demo('bobKey')) })));
  it('bare key, PKCS#8 DER', async () => {
    const der = createPrivateKey(demo('bobKey')).export({ type: 'pkcs8', format: 'der' });
    same(await decrypt(forBob, { key: der }));
  });
  it('bare key, PKCS#1 PEM', async () => {
    const pkcs1 = createPrivateKey(demo('bobKey')).export({ type: 'pkcs1', format: 'pem' });
    same(await decrypt(forBob, { key: pkcs1 }));
  });
  it('key + certificate', async () => {
    const r = await decrypt(forBob, { key: demo('bobKey'), certificate: demo('bob') });
    same(r);
    assert.match(r.recipient.description, /^key transport \(rsaesOaep\) to issuer "CN=p7m Demo CA,O=p7m demo", serial 0x/);
  });
  it('key + certificate file holding a chain (CA first)', async () => {
    same(await decrypt(forBob, { key: demo('bobKey'), certificate: Buffer.concat([demo('ca'), demo('bob')]) }));
  });
  it('PKCS#12: bob.p12', async () => same(await decrypt(forBob, { pkcs12: demo('bobP12'), password: DEMO_PASSWORD })));
  it('PKCS#12: bob-legacy.p12 (3DES, RC2-40, SHA-1 MAC)', async () => {
    same(await decrypt(forBob, { pkcs12: demo('bobLegacyP12'), password: DEMO_PASSWORD }));
  });
  it('PKCS#12 with the password from a function', async () => {
    same(await decrypt(forBob, { pkcs12: demo('bobP12'), password: async () => DEMO_PASSWORD }));
  });
  it('combined PEM: key then certificate', async () => {
    same(await decrypt(forAlice, { key: Buffer.concat([demo('aliceKey'), demo('alice')]) }));
  });
  it('combined PEM: certificate then key', async () => {
    same(await decrypt(forAlice, { key: Buffer.concat([demo('alice'), demo('aliceKey')]) }));
  });
  it('combined PEM selects by its certificate, where a bare key could not (same-size recipients)', async () => {
    const m = await encrypt(content, { recipients: [dave.pem, demo('alice'), stranger.pem] });
    const r = await decrypt(m, { key: Buffer.concat([demo('aliceKey'), demo('alice')]) });
    same(r);
    assert.equal(r.recipient.index, recipientIndex(await inspect(m), demo('alice')));
  });
  it('encrypted PKCS#8 with its password', async () => {
    same(await decrypt(forAlice, { key: demo('aliceKeyEnc'), password: DEMO_PASSWORD }));
    same(await decrypt(forAlice, { key: demo('aliceKeyEnc'), certificate: demo('alice'), password: () => DEMO_PASSWORD }));
  });
  it('encrypted PKCS#8 with a wrong password: ERR_BAD_PASSWORD', async () => {
    const e = await rejection(decrypt(forAlice, { key: demo('aliceKeyEnc'), password: 'not-the-password' }));
    assert.equal(e.code, 'ERR_BAD_PASSWORD');
  });
  it('PKCS#12 with a wrong password: ERR_BAD_PASSWORD', async () => {
    const e = await rejection(decrypt(forBob, { pkcs12: demo('bobP12'), password: 'not-the-password' }));
    assert.equal(e.code, 'ERR_BAD_PASSWORD');
  });
  it('a certificate that is not the key\'s: ERR_KEY_FILE, not a misleading "decryption failed"', async () => {
    const e = await rejection(decrypt(forBob, { key: demo('aliceKey'), certificate: demo('bob') }));
    assert.equal(e.code, 'ERR_KEY_FILE');
    assert.match(e.message, /does not belong to the private key/);
  });
  it('an EC key: ERR_UNSUPPORTED_ALGORITHM', async () => {
    const e = await rejection(decrypt(forBob, { key: demo('carolKey') }));
    assert.equal(e.code, 'ERR_UNSUPPORTED_ALGORITHM');
  });
});

describe('decryption failures', () => {
  it('certificate not among the recipients: ERR_NO_MATCHING_RECIPIENT listing who the message is for', async () => {
    const m = await encrypt('x', { recipients: [demo('bob'), dave.pem] });
    const e = await rejection(decrypt(m, { key: demo('aliceKey'), certificate: demo('alice') }));
    assert.equal(e.code, 'ERR_NO_MATCHING_RECIPIENT');
    assert.equal(e.recipients?.length, 2);
    const i = await inspect(m);
    const ib = recipientIndex(i, demo('bob'));
    const id = recipientIndex(i, dave.pem);
    assert.match(e.recipients![ib]!, new RegExp(`^${ib + 1}: key transport \\(rsaEncryption\\) to issuer "CN=p7m Demo CA,O=p7m demo", serial 0x(00)?${serialOf(demo('bob'))}$`));
    assert.match(e.recipients![id]!, new RegExp(`^${id + 1}: key transport \\(rsaEncryption\\) to issuer "CN=core CA,O=p7m tests", serial 0x${dave.serial}$`));
  });

  it('bare key of another size than every recipient: ERR_NO_MATCHING_RECIPIENT', async () => {
    const m = await encrypt('x', { recipients: [demo('bob')] });
    const e = await rejection(decrypt(m, { key: demo('aliceKey') }));
    assert.equal(e.code, 'ERR_NO_MATCHING_RECIPIENT');
  });

  it('wrong bare key of the right size: the one ERR_DECRYPTION_FAILED', async () => {
    // The wrong key unwraps a pseudo-random CEK whose last CBC block pads validly about 1 time in 256:
    // the "decryption" then gives garbage (no integrity check in EnvelopedData). Fresh messages until
    // one fails, each either garbage or the one error.
    for (const keyTransport of ['pkcs1', 'oaep'] as const) {
      let failed = false;
      for (let attempt = 0; attempt < 4 && !failed; attempt++) {
        const m = await encrypt('the content', { recipients: [demo('alice')], keyTransport });
        const r = await decrypt(m, { key: stranger.key.keyPem }).catch((e: Error & { code?: string }) => e);
        if (!(r instanceof Error)) { assert.notEqual(text(r.content), 'the content'); continue; }
        assert.equal(r.code, 'ERR_DECRYPTION_FAILED');
        assert.equal(r.message, 'decryption failed');
        failed = true;
      }
      assert.ok(failed, `${keyTransport}: a wrong key "decrypted" four fresh messages`);
    }
  });

  it('altered ciphertext (padding block): ERR_DECRYPTION_FAILED', async () => {
    // CBC: flipping a bit of the previous ciphertext block flips the same bit of the last plaintext
    // block. The last byte is the padding length, 1..16: with 0x20 flipped it is 33..48, never valid.
    const m = Buffer.from(await encrypt(randomBytes(45), { recipients: [demo('alice')] }));
    m[m.length - 17] ^= 0x20;
    const e = await rejection(decrypt(m, { key: demo('aliceKey'), certificate: demo('alice') }));
    assert.equal(e.code, 'ERR_DECRYPTION_FAILED');
  });

  it('truncated message: ERR_MALFORMED_INPUT', async () => {
    const m = await encrypt(randomBytes(100), { recipients: [demo('alice')] });
    const e = await rejection(decrypt(m.subarray(0, m.length - 20), { key: demo('aliceKey') }));
    assert.equal(e.code, 'ERR_MALFORMED_INPUT');
  });
});

describe('certificates encrypt refuses: ERR_BAD_RECIPIENT_CERT', () => {
  const refused = async (recipients: (Uint8Array | string)[], pattern: RegExp, extra: object = {}): Promise<void> => {
    const e = await rejection(encrypt('x', { recipients, ...extra }));
    assert.equal(e.code, 'ERR_BAD_RECIPIENT_CERT', e.message);
    assert.equal(e.name, 'BadRecipientCertificateError');
    assert.match(e.message, pattern);
  };

  it('an EC certificate (carol)', () => refused([demo('carol')], /CN=Carol.*key of type EC; only RSA recipients/));
  it('keyUsage without keyEncipherment (digitalSignature only)', () => refused([signOnly.pem], /CN=sign-only.*does not allow key encipherment/));
  it('keyUsage without keyEncipherment (dataEncipherment only)', () => refused([dataEncOnly.pem], /does not allow key encipherment/));
  it('expired', () => refused([expired.pem], /CN=expired.*expired on/));
  it('not yet valid', () => refused([notYetValid.pem], /CN=not-yet-valid.*not valid before/));
  it('RSA below 2048 bits', () => refused([small.pem], /1024-bit RSA key; at least 2048 bits/));
  it('one bad certificate among good ones refuses the whole message', () => refused([demo('alice'), demo('carol')], /CN=Carol/));
  it('expired by the injected clock (the demo certificates run to 2125)', () => refused([demo('alice')], /expired on 2125-01-01/, { clock: () => new Date('2200-01-01T00:00:00Z') }));
  it('not yet valid by the injected clock', () => refused([demo('alice')], /not valid before 2025-01-01/, { clock: () => new Date('2000-01-01T00:00:00Z') }));
  it('rid ski on a certificate without a subjectKeyIdentifier', () => refused([noSki.pem], /CN=no-ski.*no subject key identifier/, { rid: 'ski' }));

  it('allowExpired accepts expired and not-yet-valid certificates, and only lifts the validity check', async () => {
    for (const c of [expired, notYetValid]) {
      const m = await encrypt('late', { recipients: [c.pem], allowExpired: true });
      assert.equal(text((await decrypt(m, { key: c.key.keyPem, certificate: c.pem })).content), 'late');
    }
    const m = await encrypt('later', { recipients: [demo('alice')], allowExpired: true, clock: () => new Date('2200-01-01T00:00:00Z') });
    assert.equal(text((await decrypt(m, { key: demo('aliceKey') })).content), 'later');
    const e = await rejection(encrypt('x', { recipients: [signOnly.pem], allowExpired: true }));
    assert.equal(e.code, 'ERR_BAD_RECIPIENT_CERT');
    const e2 = await rejection(encrypt('x', { recipients: [small.pem], allowExpired: true }));
    assert.equal(e2.code, 'ERR_BAD_RECIPIENT_CERT');
  });

  it('accepted: no keyUsage extension at all (RFC 5280 §4.2.1.3), and no SKI with issuer-serial', async () => {
    for (const c of [noKeyUsage, noSki]) {
      const m = await encrypt('ok', { recipients: [c.pem] });
      assert.equal(text((await decrypt(m, { key: c.key.keyPem, certificate: c.pem })).content), 'ok');
    }
  });
});

describe('options encrypt refuses', () => {
  it('no recipient: ERR_USAGE', async () => {
    assert.equal((await rejection(encrypt('x', { recipients: [] }))).code, 'ERR_USAGE');
  });
  it('unknown key transport or recipient identifier: ERR_USAGE', async () => {
    assert.equal((await rejection(encrypt('x', { recipients: [demo('alice')], keyTransport: 'rsa' as 'oaep' }))).code, 'ERR_USAGE');
    assert.equal((await rejection(encrypt('x', { recipients: [demo('alice')], rid: 'name' as 'ski' }))).code, 'ERR_USAGE');
  });
  it('a cipher p7m does not write (3DES, unknown): ERR_UNSUPPORTED_ALGORITHM', async () => {
    for (const cipher of ['des-ede3-cbc', 'aes-256-ccm']) {
      assert.equal((await rejection(encrypt('x', { recipients: [demo('alice')], cipher: cipher as Cipher }))).code, 'ERR_UNSUPPORTED_ALGORITHM');
    }
  });
  it('an unknown OAEP hash: ERR_UNSUPPORTED_ALGORITHM', async () => {
    const e = await rejection(encrypt('x', { recipients: [demo('alice')], keyTransport: 'oaep', oaepHash: 'md5' as HashName }));
    assert.equal(e.code, 'ERR_UNSUPPORTED_ALGORITHM');
  });
  it('an unknown output form, a lone certificate instead of a list, a content that is not bytes: ERR_USAGE', async () => {
    assert.equal((await rejection(encrypt('x', { recipients: [demo('alice')], form: 'xml' as Form }))).code, 'ERR_USAGE');
    assert.equal((await rejection(encrypt('x', { recipients: demo('alice') as unknown as Uint8Array[] }))).code, 'ERR_USAGE');
    assert.equal((await rejection(encrypt(null as unknown as string, { recipients: [demo('alice')] }))).code, 'ERR_USAGE');
  });
  it('decrypt without any key: ERR_USAGE', async () => {
    const m = await encrypt('x', { recipients: [demo('alice')] });
    assert.equal((await rejection(decrypt(m, {} as DecryptOptions))).code, 'ERR_USAGE');
  });
  it('not a certificate: ERR_KEY_FILE', async () => {
    assert.equal((await rejection(encrypt('x', { recipients: ['not a certificate'] }))).code, 'ERR_KEY_FILE');
  });
});

describe('inspect', () => {
  it('reports every recipient, its identifier, algorithm and OAEP parameters, the cipher, IV and sizes', async () => {
    const content = randomBytes(100);
    const m = await encrypt(content, { recipients: [demo('alice'), demo('bob')], cipher: 'aes-192-cbc', keyTransport: 'oaep', oaepHash: 'sha384' });
    const i = await inspect(m);
    assert.equal(i.form, 'der');
    assert.equal(i.contentType, 'envelopedData');
    assert.equal(i.contentTypeOid, OID.envelopedData);
    assert.equal(i.version, 0);
    assert.equal(i.encoding, 'definite');
    assert.equal(i.originatorCertificates, 0);
    assert.equal(i.recipients.length, 2);
    const a = i.recipients[recipientIndex(i, demo('alice'))];
    const b = i.recipients[recipientIndex(i, demo('bob'))];
    assert.deepEqual(a!.identifier, { type: 'issuerAndSerialNumber', issuer: 'CN=p7m Demo CA,O=p7m demo', serial: a!.identifier?.type === 'issuerAndSerialNumber' ? a!.identifier.serial : '' });
    assert.equal((a!.identifier as { serial: string }).serial.replace(/^00/, ''), serialOf(demo('alice')));
    assert.equal((b!.identifier as { serial: string }).serial.replace(/^00/, ''), serialOf(demo('bob')));
    for (const r of [a!, b!]) {
      assert.deepEqual(r.keyTransport, { algorithm: 'rsaesOaep', oid: OID.rsaesOaep, parameters: { hash: 'sha384', mgf1Hash: 'sha384', label: '' } });
      assert.match(r.description, /^key transport \(rsaesOaep\) to issuer "CN=p7m Demo CA,O=p7m demo", serial 0x[0-9a-f]+$/);
    }
    assert.equal(a!.encryptedKeyLength, 256);
    assert.equal(b!.encryptedKeyLength, 384);
    assert.equal(i.content.type, 'data');
    assert.equal(i.content.typeOid, OID.data);
    assert.equal(i.content.cipher, 'aes-192-cbc');
    assert.equal(i.content.cipherOid, OID.aes192Cbc);
    assert.match(i.content.iv!, /^[0-9a-f]{32}$/);
    assert.equal(i.content.ciphertextLength, 112);
  });

  it('subject key identifiers are the certificates\' own', async () => {
    const m = await encrypt('x', { recipients: [demo('alice'), dave.pem], rid: 'ski' });
    const i = await inspect(m);
    assert.equal(i.version, 2);
    assert.deepEqual(i.recipients.map((r) => r.identifier).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))), [
      { type: 'subjectKeyIdentifier', ski: skiOf(demo('alice')) },
      { type: 'subjectKeyIdentifier', ski: skiOf(dave.pem) },
    ].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
  });

  it('PKCS#1 v1.5 recipients carry no parameters', async () => {
    const i = await inspect(await encrypt('x', { recipients: [demo('alice')], keyTransport: 'pkcs1' }));
    assert.deepEqual(i.recipients[0]!.keyTransport, { algorithm: 'rsaEncryption', oid: OID.rsaEncryption });
  });

  it('reads PEM and S/MIME, and says so', async () => {
    for (const form of FORMS) {
      const i = await inspect(await encrypt('x', { recipients: [demo('alice')], form }));
      assert.equal(i.form, form);
    }
  });

  it('JSON form is plain data (round-trips through JSON unchanged)', async () => {
    const i = await inspect(await encrypt('x', { recipients: [demo('alice'), demo('bob')], keyTransport: 'oaep', rid: 'ski' }));
    assert.deepEqual(JSON.parse(JSON.stringify(i)), i);
  });

  it('text form names each field', async () => {
    const m = await encrypt(randomBytes(20), { recipients: [demo('alice')], keyTransport: 'oaep', oaepHash: 'sha256', cipher: 'aes-128-cbc' });
    const t = formatInspection(await inspect(m));
    for (const re of [
      /^form: +der$/m, /^content type: +envelopedData \(1\.2\.840\.113549\.1\.7\.3\), version 0$/m, /^encoding: +definite-length DER$/m,
      /^recipients: +1$/m, /^ {2}1\. key transport \(ktri\), version 0$/m, /^ +issuer: +CN=p7m Demo CA,O=p7m demo$/m,
      /^ +serial: +[0-9a-f]+$/m, /^ +algorithm: +rsaesOaep \(1\.2\.840\.113549\.1\.1\.7\)$/m,
      /^ +oaep params: +hash sha256, mgf1 sha256, label \(empty\)$/m, /^ +encrypted key: +256 bytes$/m,
      /^ +cipher: +aes-128-cbc \(2\.16\.840\.1\.101\.3\.4\.1\.2\)$/m, /^ +iv: +[0-9a-f]{32}$/m, /^ +ciphertext: +32 bytes$/m,
    ]) assert.match(t, re);
  });

  it('needs no key, and refuses what is not a CMS message', async () => {
    const e = await rejection(inspect(Buffer.from('hello, not a message')));
    assert.equal(e.code, 'ERR_MALFORMED_INPUT');
  });
});

/** Position of the RecipientInfo addressed to `cert` (by issuer+serial or SKI) in an inspected message. */
function recipientIndex(i: Inspection, cert: Uint8Array | string): number {
  const serial = serialOf(cert);
  const at = i.recipients.findIndex((r) => r.identifier?.type === 'issuerAndSerialNumber'
    ? r.identifier.serial.replace(/^(00)+(?=.)/, '') === serial
    : r.identifier?.type === 'subjectKeyIdentifier' && r.identifier.ski === skiOf(cert));
  assert.ok(at >= 0, `no recipient for serial ${serial}`);
  return at;
}

/** The certificate's subjectKeyIdentifier extension value, lower-case hex, read from its DER. */
function skiOf(pem: Uint8Array | string): string {
  // id-ce-subjectKeyIdentifier 2.5.29.14 = 06 03 55 1d 0e, then OCTET STRING { OCTET STRING keyId }.
  const der = Buffer.from(new X509Certificate(pem).raw);
  const at = der.indexOf(Buffer.from('0603551d0e', 'hex'));
  assert.ok(at >= 0, 'certificate has a subjectKeyIdentifier');
  let p = at + 5;
  assert.equal(der[p], 0x04);
  p += 2; // outer OCTET STRING, short length
  assert.equal(der[p], 0x04);
  const len = der[p + 1]!;
  return hex(der.subarray(p + 2, p + 2 + len));
}
