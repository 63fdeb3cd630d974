/**
 * AuthEnvelopedData with AES-GCM (RFC 5083, RFC 5084): streamed round trips across chunk boundaries, definite
 * and indefinite; `openssl cms` both ways (its definite and -stream output, and p7m's of both kinds); a changed
 * ciphertext or tag refused with the one decryption error and no output file; the parameter and structure rules;
 * sign-then-encrypt and the triple wrap over it. Hand-built messages come from test/fuzz/build.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { encrypt, decrypt, inspect } from '../src/index.js';
import { encryptStream, decryptStream } from '../src/streams.js';
import { CHUNK_SIZE, prepareEnvelope } from '../src/encrypt.js';
import { wrapContentInfo } from '../src/signed/content-info.js';
import { OID } from '../src/oids.js';
import { DEMO, demo } from './helpers/demo.js';
import { openssl, opensslOk, p7m, run } from './helpers/spawn.js';
import { tempDir, type TempDir } from './helpers/tmp.js';
import { algId, int, issuerAndSerial, ktri, nul, octets, oid, ridIssuerSerial, seq, set, tlv } from './fuzz/build.js';
import { parseBer } from './interop/ber.js';

let tmp: TempDir;
before(() => { tmp = tempDir('p7m-gcm-'); });
after(() => tmp?.remove());

async function collect(d: Duplex, input: Uint8Array, piece = 65_536): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < input.length; i += piece) pieces.push(input.subarray(i, i + piece));
  await pipeline(Readable.from(pieces), d, new Writable({ write(c: Buffer, _e, cb) { out.push(c); cb(); } }));
  return Buffer.concat(out);
}

/** An AuthEnvelopedData for bob made by hand: any tag length, nonce, version, authAttrs or cipher OID. */
function handMade(o: { content?: Uint8Array; tagLength?: number; icvLen?: number | null; nonce?: Uint8Array; version?: number; authAttrs?: Uint8Array; cipherOid?: string; tamperTag?: boolean } = {}): Uint8Array {
  const content = o.content ?? Buffer.from('hand made\n');
  const cek = randomBytes(32);
  const nonce = o.nonce ?? randomBytes(12);
  const tagLength = o.tagLength ?? 16;
  const c = createCipheriv('aes-256-gcm' as CipherGCMTypes, cek, nonce, { authTagLength: tagLength });
  if (o.authAttrs) c.setAAD(Buffer.concat([Uint8Array.of(0x31), o.authAttrs.subarray(1)]));
  const ct = Buffer.concat([c.update(content), c.final()]);
  const tag = c.getAuthTag();
  if (o.tamperTag) tag[0]! ^= 1;
  const { issuer, serial } = issuerAndSerial(demo('bob'));
  const ek = publicEncrypt({ key: demo('bob'), padding: constants.RSA_PKCS1_PADDING }, cek);
  const params = seq(octets(nonce), ...(o.icvLen === null ? [] : [int(o.icvLen ?? tagLength)]));
  const eci = seq(oid(OID.data), algId(o.cipherOid ?? OID.aes256Gcm, params), tlv(0x80, ct));
  const aed = seq(int(o.version ?? 0), set(ktri({ rid: ridIssuerSerial(issuer, serial), alg: algId(OID.rsaEncryption, nul()), encryptedKey: ek })), eci,
    ...(o.authAttrs ? [o.authAttrs] : []), octets(tag));
  return seq(oid(OID.authEnvelopedData), tlv(0xa0, aed));
}
const BOB = { key: demo('bobKey'), certificate: demo('bob') };

describe('AES-GCM: streamed round trips across chunk boundaries', () => {
  const sizes = [0, 1, 15, 16, 17, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5];
  for (const definite of [true, false]) {
    for (const size of sizes) {
      it(`${size} bytes, ${definite ? 'definite' : 'indefinite'}`, async () => {
        const content = randomBytes(size);
        const msg = await collect(encryptStream({ recipients: [demo('bob')], cipher: 'aes-256-gcm', ...(definite ? { length: size } : {}) }), content);
        const top = parseBer(msg);
        assert.equal(top.indefinite, !definite);
        const back = await collect(decryptStream(BOB), msg, 4093);
        assert.ok(back.equals(content), `${back.length} bytes back`);
      });
    }
  }
});

describe('AES-GCM: openssl cms both ways', () => {
  const content = randomBytes(300_000);
  for (const cipher of ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'] as const) {
    it(`${cipher}: openssl writes (definite, -stream, S/MIME), p7m reads; p7m writes (definite, indefinite, S/MIME), openssl reads`, async () => {
      const inF = join(tmp.path, `in-${cipher}`);
      writeFileSync(inF, content);
      for (const stream of [[], ['-stream']]) {
        const m = await opensslOk(['cms', '-encrypt', `-${cipher}`, '-binary', ...stream, '-in', inF, '-outform', 'DER', DEMO.bob]);
        const r = await decrypt(m, BOB);
        assert.equal(r.contentCipher, cipher);
        assert.ok(Buffer.from(r.content).equals(content));
        assert.equal((await inspect(m)).contentType, 'authEnvelopedData');
      }
      // S/MIME both ways: openssl labels it smime-type=authEnveloped-data, and so does p7m (RFC 8551 §3.2.2).
      const fromOpenssl = await opensslOk(['cms', '-encrypt', `-${cipher}`, '-binary', '-in', inF, DEMO.bob]);
      assert.ok(Buffer.from((await decrypt(fromOpenssl, BOB)).content).equals(content));
      const smime = await encrypt(content, { recipients: [demo('bob')], cipher, form: 'smime' });
      assert.match(Buffer.from(smime.subarray(0, 200)).toString('latin1'), /smime-type=authEnveloped-data;/);
      const sf = join(tmp.path, `p7m-${cipher}.eml`);
      writeFileSync(sf, smime);
      assert.ok((await opensslOk(['cms', '-decrypt', '-in', sf, '-inkey', DEMO.bobKey, '-binary'])).equals(content));
      for (const definite of [true, false]) {
        const m = definite ? await encrypt(content, { recipients: [demo('bob')], cipher })
          : await collect(encryptStream({ recipients: [demo('bob')], cipher }), content);
        const f = join(tmp.path, `p7m-${cipher}-${definite}.p7m`);
        writeFileSync(f, m);
        const out = await opensslOk(['cms', '-decrypt', '-inform', 'DER', '-in', f, '-inkey', DEMO.bobKey, '-binary']);
        assert.ok(out.equals(content), `openssl read ${out.length} bytes`);
      }
    });
  }
});

describe('AES-GCM: what gpgsm 2.2 does with it (README)', () => {
  it('gpgsm cannot read an AuthEnvelopedData, openssl\'s or p7m\'s: "error getting IV"', async (t) => {
    const v = await run('gpgsm', ['--version']).catch(() => null);
    if (!v || v.status !== 0) {
      if (process.env.CI === 'true') assert.fail('gpgsm is missing (CI=true)');
      return t.skip('gpgsm is not installed');
    }
    const home = tmp.join('gnupg');
    mkdirSync(home, { mode: 0o700 });
    const inF = tmp.join('gpgsm-in');
    writeFileSync(inF, 'for gpgsm\n');
    const fromOpenssl = await opensslOk(['cms', '-encrypt', '-aes-256-gcm', '-binary', '-in', inF, '-outform', 'DER', DEMO.bob]);
    const fromP7m = await encrypt('for gpgsm\n', { recipients: [demo('bob')], cipher: 'aes-256-gcm' });
    for (const [who, m] of [['openssl', fromOpenssl], ['p7m', fromP7m]] as const) {
      const f = tmp.join(`gpgsm-${who}.p7m`);
      writeFileSync(f, m);
      const r = await run('gpgsm', ['--batch', '--decrypt', f], { env: { ...process.env, GNUPGHOME: home, LC_ALL: 'C' } });
      assert.notEqual(r.status, 0, who);
      assert.match(r.stderr, /error getting IV/, who);
    }
    await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => null);
  });
});

describe('AES-GCM: a changed message is refused', () => {
  it('a flipped ciphertext or tag bit: ERR_DECRYPTION_FAILED, and the CLI leaves no output file', async () => {
    const content = randomBytes(50_000);
    const m = await encrypt(content, { recipients: [demo('bob')], cipher: 'aes-256-gcm' });
    const ctBit = Buffer.from(m); ctBit[ctBit.length - 1000]! ^= 0x01;
    const tagBit = Buffer.from(m); tagBit[tagBit.length - 1]! ^= 0x80;
    for (const [label, bad] of [['ciphertext', ctBit], ['tag', tagBit]] as const) {
      await assert.rejects(decrypt(bad, BOB), (e: Error & { code?: string }) => e.code === 'ERR_DECRYPTION_FAILED', label);
      const f = join(tmp.path, `bad-${label}.p7m`);
      const out = join(tmp.path, `bad-${label}.out`);
      writeFileSync(f, bad);
      const r = await p7m(['decrypt', f, '--key', DEMO.bobKey, '-o', out]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^p7m: error: decryption failed$/m);
      assert.equal(existsSync(out), false, `${label}: no output file`);
      // openssl refuses it too.
      assert.notEqual((await openssl(['cms', '-decrypt', '-inform', 'DER', '-in', f, '-inkey', DEMO.bobKey])).status, 0);
    }
  });

  it('on standard output nothing of a changed message over 1 MiB comes out (spooled until the tag checked)', async () => {
    // Found in review: batches of 1 MiB went to standard output before the tag was checked.
    for (const size of [CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5]) {
      const m = Buffer.from(await encrypt(randomBytes(size), { recipients: [demo('bob')], cipher: 'aes-256-gcm' }));
      m[m.length - 100]! ^= 0x01; // in the last bytes of the ciphertext
      const f = tmp.join(`stdout-${size}.p7m`);
      writeFileSync(f, m);
      const r = await p7m(['decrypt', f, '--key', DEMO.bobKey]);
      assert.equal(r.status, 1, `${size}`);
      assert.equal(r.stdout.length, 0, `${size}: ${r.stdout.length} bytes came out`);
      // Intact, the whole of it comes out.
      m[m.length - 100]! ^= 0x01;
      writeFileSync(f, m);
      const ok = await p7m(['decrypt', f, '--key', DEMO.bobKey]);
      assert.equal(ok.status, 0, ok.stderr);
      assert.equal(ok.stdout.length, size);
    }
  });

  it('a bare key finds its recipient; another key of the same size is the same decryption error', async () => {
    const m = await encrypt('x', { recipients: [demo('bob'), demo('alice')], cipher: 'aes-128-gcm' });
    assert.equal(Buffer.from((await decrypt(m, { key: demo('aliceKey') })).content).toString(), 'x');
    // A stranger's RSA-2048 key is a candidate for alice's RecipientInfo: its unwrap gives a random key, and the tag fails.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await assert.rejects(decrypt(m, { key: privateKey }), (e: Error & { code?: string }) => e.code === 'ERR_DECRYPTION_FAILED');
  });
});

describe('AES-GCM: a fresh nonce per message', () => {
  it('each message has its own nonce, and a prepared envelope encrypts one message only', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 20; i++) nonces.add((await inspect(await encrypt('same', { recipients: [demo('bob')], cipher: 'aes-128-gcm' }))).content.iv!);
    assert.equal(nonces.size, 20);
    const env = await prepareEnvelope({ recipients: [demo('bob')], cipher: 'aes-256-gcm' });
    for await (const _ of env.stream(Readable.from([Buffer.from('one')]), 3)) { /* drained */ }
    await assert.rejects(async () => { for await (const _ of env.stream(Readable.from([Buffer.from('two')]), 3)) { /* never */ } },
      (e: Error & { code?: string }) => e.code === 'ERR_USAGE');
  });
});

describe('AES-GCM: parameters and structure (RFC 5083, RFC 5084)', () => {
  it('tag lengths 12 to 16 and an absent aes-ICVlen (12) are read', async () => {
    for (const tagLength of [12, 13, 16]) {
      assert.equal(Buffer.from((await decrypt(handMade({ tagLength }), BOB)).content).toString(), 'hand made\n', `tag ${tagLength}`);
    }
    assert.equal(Buffer.from((await decrypt(handMade({ tagLength: 12, icvLen: null }), BOB)).content).toString(), 'hand made\n');
  });

  it('a tag whose length differs from its parameters, or a bad tag length, is malformed', async () => {
    await assert.rejects(decrypt(handMade({ tagLength: 16, icvLen: 12 }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_MALFORMED_INPUT' && /tag is 16 bytes, its parameters say 12/.test(e.message));
    await assert.rejects(decrypt(handMade({ tagLength: 16, icvLen: 17 }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_MALFORMED_INPUT');
    await assert.rejects(decrypt(handMade({ nonce: randomBytes(4) }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_MALFORMED_INPUT' && /nonce/.test(e.message));
  });

  it('version 1, AES-CBC inside AuthEnvelopedData, AES-GCM inside EnvelopedData, authenticated attributes', async () => {
    await assert.rejects(decrypt(handMade({ version: 1 }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_MALFORMED_INPUT' && /AuthEnvelopedData version 1/.test(e.message));
    await assert.rejects(decrypt(handMade({ cipherOid: OID.aes256Cbc }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_UNSUPPORTED_ALGORITHM' && /does not authenticate/.test(e.message));
    // The same message relabelled EnvelopedData.
    const aed = handMade();
    const top = parseBer(aed);
    const lengthFixed = seq(oid(OID.envelopedData), aed.subarray(top.children[1]!.start, top.children[1]!.end));
    await assert.rejects(decrypt(lengthFixed, BOB), (e: Error & { code?: string }) => e.code === 'ERR_UNSUPPORTED_ALGORITHM' && /belongs in AuthEnvelopedData/.test(e.message));
    // authAttrs: [1] IMPLICIT SET OF Attribute, here one contentType attribute; authenticated by the tag (AAD).
    const authAttrs = tlv(0xa1, seq(oid('1.2.840.113549.1.9.3'), set(oid(OID.data))));
    await assert.rejects(decrypt(handMade({ authAttrs }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_UNSUPPORTED_CONTENT' && /authenticated attributes/.test(e.message));
  });

  it('a changed tag in a hand-made message is the decryption error, as in p7m\'s own', async () => {
    await assert.rejects(decrypt(handMade({ tamperTag: true }), BOB), (e: Error & { code?: string }) => e.code === 'ERR_DECRYPTION_FAILED');
  });
});

describe('AES-GCM under signatures (CLI)', () => {
  it('sign-then-encrypt: p7m decrypt --verify reads it, and openssl cms -decrypt | -verify too', async () => {
    const inF = join(tmp.path, 'signed-in.txt');
    writeFileSync(inF, 'signed and sealed\n');
    const out = join(tmp.path, 'signed.p7m');
    const enc = await p7m(['encrypt', inF, '-r', DEMO.bob, '--cipher', 'aes-256-gcm', '--sign-cert', DEMO.alice, '--sign-key', DEMO.aliceKey, '-o', out]);
    assert.equal(enc.status, 0, enc.stderr);
    const db = join(tmp.path, 'replay.sqlite3');
    const dec = await p7m(['decrypt', out, '--key', DEMO.bobKey, '--verify', '--trust', DEMO.ca, '--replay-db', db]);
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(dec.stdout.toString(), 'signed and sealed\n');
    const signed = await opensslOk(['cms', '-decrypt', '-inform', 'DER', '-in', out, '-inkey', DEMO.bobKey, '-binary']);
    const sf = join(tmp.path, 'inner.p7m');
    writeFileSync(sf, signed);
    assert.equal((await opensslOk(['cms', '-verify', '-inform', 'DER', '-in', sf, '-CAfile', DEMO.ca, '-purpose', 'any'])).toString(), 'signed and sealed\n');
  });

  it('the triple wrap over an AuthEnvelopedData', async () => {
    const inF = join(tmp.path, 'tw-in.txt');
    writeFileSync(inF, 'wrapped three times\n');
    const out = join(tmp.path, 'tw.p7m');
    const enc = await p7m(['encrypt', inF, '-r', DEMO.bob, '--cipher', 'aes-128-gcm', '--sign-cert', DEMO.alice, '--sign-key', DEMO.aliceKey, '--triple-wrap', '-o', out]);
    assert.equal(enc.status, 0, enc.stderr);
    const dec = await p7m(['decrypt', out, '--key', DEMO.bobKey, '--verify', '--trust', DEMO.ca, '--replay-db', join(tmp.path, 'tw.sqlite3')]);
    assert.equal(dec.status, 0, dec.stderr);
    assert.equal(dec.stdout.toString(), 'wrapped three times\n');
    assert.match(dec.stderr, /triple-wrapped/);
    const insp = await p7m(['inspect', out]);
    assert.match(insp.stdout.toString(), /^  type:          authEnvelopedData/m);
    // RFC 5083 §2.1: without authAttrs the encrypted content must be id-data; the signed layer is its ContentInfo.
    const { verify } = await import('../src/signed/verify.js');
    const outer = await verify(new Uint8Array(readFileSync(out)), { trust: [new Uint8Array(new X509Certificate(demo('ca')).raw)], requireReplayAttributes: false, maxAgeMs: Infinity });
    const envelope = wrapContentInfo(OID.authEnvelopedData, outer.content);
    assert.equal((await inspect(envelope)).content.typeOid, OID.data);
  });
});
