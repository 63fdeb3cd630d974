/**
 * Interoperability with OpenSSL both ways, on exact bytes:
 *  - p7m writes (library and CLI), `openssl cms -decrypt` reads: every cipher, PKCS#1 v1.5 and OAEP,
 *    issuer+serial and SKI, DER / PEM / S/MIME, definite DER and indefinite BER (streamed from stdin);
 *  - `openssl cms -encrypt` writes, p7m reads: its 3DES default, AES-128/192/256, OAEP with SHA-1 and
 *    SHA-256, -keyid, -stream, three recipients with ours first / middle / last, PEM and S/MIME.
 * Skipped when openssl is not installed. The CLI cases need `npm run build`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { decrypt, encrypt, inspect, prepareEnvelope, type DecryptOptions, type HashName } from '../src/index.js';
import { DEMO, DEMO_PASSWORD, demo } from './helpers/demo.js';
import { issue, makeCa, rsaKey, writeCert } from './helpers/pki.js';
import { OPENSSL_VERSION, explain, openssl, opensslOk, p7m } from './helpers/spawn.js';
import { tempDir } from './helpers/tmp.js';

const skip = OPENSSL_VERSION === null ? 'openssl is not installed' : false;

type Form = 'der' | 'pem' | 'smime';
const INFORM: Record<Form, string> = { der: 'DER', pem: 'PEM', smime: 'SMIME' };
const CIPHERS = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'] as const;
const TRANSPORTS: { keyTransport: 'pkcs1' | 'oaep'; oaepHash?: HashName; label: string }[] = [
  { keyTransport: 'pkcs1', label: 'pkcs1' },
  { keyTransport: 'oaep', oaepHash: 'sha1', label: 'oaep-sha1' },
  { keyTransport: 'oaep', oaepHash: 'sha256', label: 'oaep-sha256' },
];
const FORMS: Form[] = ['der', 'pem', 'smime'];

/** Binary content with every byte value, CR, LF and CRLF: any text-mode translation would show. */
const CONTENT = Buffer.concat([Buffer.from('line one\r\nline two\nline three\r'), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(3000)]);

const tmp = tempDir('p7m-openssl-');
after(() => tmp.remove());
let daveFiles: { cert: string; key: string };

before(async () => {
  if (skip) return;
  const ca = await makeCa('openssl CA');
  const dave = await issue(ca, { name: 'dave', key: await rsaKey(2048, 'dave') });
  daveFiles = writeCert(tmp.path, dave);
  writeFileSync(tmp.join('content.bin'), CONTENT);
});

let seq = 0;
function file(content: Uint8Array, ext = 'p7m'): string {
  const f = tmp.join(`m${seq++}.${ext}`);
  writeFileSync(f, content);
  return f;
}

/** `openssl cms -decrypt`, with -recip unless `bare`; returns the plaintext. */
async function opensslDecrypt(msg: string, form: Form, who: 'alice' | 'bob', bare = false): Promise<Buffer> {
  const cert = who === 'alice' ? DEMO.alice : DEMO.bob;
  const key = who === 'alice' ? DEMO.aliceKey : DEMO.bobKey;
  return opensslOk(['cms', '-decrypt', '-binary', '-inform', INFORM[form], '-in', msg, ...(bare ? [] : ['-recip', cert]), '-inkey', key]);
}

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try { await p; } catch (e) { return e as Error & { code?: string }; }
  assert.fail('expected a rejection');
}

describe('p7m encrypts, openssl cms -decrypt reads', { skip }, () => {
  // Every cipher × key transport × identifier in DER; the forms below (the framing is independent of them).
  for (const cipher of CIPHERS) {
    for (const t of TRANSPORTS) {
      for (const rid of ['issuer-serial', 'ski'] as const) {
        it(`${cipher} ${t.label} ${rid}`, async () => {
          const m = await encrypt(CONTENT, { recipients: [demo('alice')], cipher, keyTransport: t.keyTransport, oaepHash: t.oaepHash, rid });
          assert.ok((await opensslDecrypt(file(m), 'der', 'alice')).equals(CONTENT), "openssl's plaintext differs");
        });
      }
    }
  }

  for (const form of FORMS) {
    it(`${form} form, pkcs1 by issuer+serial and oaep-sha256 by ski`, async () => {
      for (const opts of [{ keyTransport: 'pkcs1', rid: 'issuer-serial' }, { keyTransport: 'oaep', oaepHash: 'sha256', rid: 'ski' }] as const) {
        const m = await encrypt(CONTENT, { recipients: [demo('alice')], form, ...opts });
        assert.ok((await opensslDecrypt(file(m), form, 'alice')).equals(CONTENT), `${form} ${opts.keyTransport}: openssl's plaintext differs`);
      }
    });
  }

  it('OAEP with SHA-384 and SHA-512', async () => {
    for (const oaepHash of ['sha384', 'sha512'] as const) {
      const m = await encrypt(CONTENT, { recipients: [demo('bob')], keyTransport: 'oaep', oaepHash });
      assert.ok((await opensslDecrypt(file(m), 'der', 'bob')).equals(CONTENT), oaepHash);
    }
  });

  it('indefinite-length BER (unknown length) in each form', async () => {
    for (const form of FORMS) {
      const env = await prepareEnvelope({ recipients: [demo('bob')], keyTransport: 'oaep' });
      const { encodeOutput } = await import('../src/stream/armor.js');
      const parts: Uint8Array[] = [];
      // Several chunks, as a stream gives them.
      const chunks = [CONTENT.subarray(0, 100), CONTENT.subarray(100, 1001), CONTENT.subarray(1001)];
      for await (const p of encodeOutput(env.stream(Readable.from(chunks), null), form)) parts.push(p);
      const m = Buffer.concat(parts);
      assert.equal((await inspect(m)).encoding, 'indefinite');
      assert.ok((await opensslDecrypt(file(m), form, 'bob')).equals(CONTENT), form);
    }
  });

  it('empty content, and 3 MiB', async () => {
    for (const content of [Buffer.alloc(0), randomBytes(3 << 20)]) {
      const m = await encrypt(content, { recipients: [demo('alice')] });
      assert.ok((await opensslDecrypt(file(m), 'der', 'alice')).equals(content), `${content.length} bytes`);
    }
  });

  it('several recipients: openssl decrypts for each, with -recip and with the bare key', async () => {
    const m = file(await encrypt(CONTENT, { recipients: [demo('alice'), demo('bob')], keyTransport: 'oaep', oaepHash: 'sha1' }));
    for (const who of ['alice', 'bob'] as const) {
      assert.ok((await opensslDecrypt(m, 'der', who)).equals(CONTENT), `${who} with -recip`);
      assert.ok((await opensslDecrypt(m, 'der', who, true)).equals(CONTENT), `${who} bare key`);
    }
  });

  describe('the CLI', () => {
    it('file input (definite DER) in each form, with the CLI\'s options', async () => {
      const cases: [Form, string[]][] = [
        ['der', []],
        ['pem', ['--rid', 'ski', '--key-transport', 'oaep', '--oaep-hash', 'sha1', '--cipher', 'aes-128-cbc']],
        ['smime', ['--key-transport', 'oaep', '--cipher', 'aes-192-cbc']],
      ];
      for (const [form, extra] of cases) {
        const out = tmp.join(`cli-${seq++}.${form}`);
        const r = await p7m(['encrypt', tmp.join('content.bin'), '-r', DEMO.bob, '--form', form, '-o', out, ...extra]);
        assert.equal(r.status, 0, explain(r));
        assert.equal((await inspect(readFileSync(out))).encoding, 'definite');
        assert.ok((await opensslDecrypt(out, form, 'bob')).equals(CONTENT), `${form} ${extra.join(' ')}`);
      }
    });

    it('standard input (indefinite BER, streamed) in each form', async () => {
      const big = Buffer.concat([CONTENT, randomBytes((1 << 20) + 17)]);
      const input = file(big, 'bin');
      for (const form of FORMS) {
        const r = await p7m(['encrypt', '-r', DEMO.alice, '--form', form], { stdin: { file: input } });
        assert.equal(r.status, 0, explain(r));
        const m = file(r.stdout);
        assert.equal((await inspect(r.stdout)).encoding, 'indefinite');
        assert.ok((await opensslDecrypt(m, form, 'alice')).equals(big), form);
      }
    });
  });
});

describe('openssl cms -encrypt writes, p7m decrypts', { skip }, () => {
  /** openssl cms -encrypt of CONTENT to bob (and `others`), returns the message bytes. */
  async function opensslEncrypt(args: string[], recipients: { cert: string; opts?: string[] }[] = [{ cert: DEMO.bob }], outform = 'DER'): Promise<Buffer> {
    const out = tmp.join(`o${seq++}.p7m`);
    const recips = recipients.flatMap((r) => ['-recip', r.cert, ...(r.opts ?? [])]);
    await opensslOk(['cms', '-encrypt', '-binary', '-in', tmp.join('content.bin'), '-outform', outform, '-out', out, ...args, ...recips]);
    return readFileSync(out);
  }

  /** Every way bob can decrypt, each to exactly CONTENT; returns the recipient index used. */
  async function bobDecrypts(m: Uint8Array, expectCipher: string): Promise<number> {
    const ways: [string, DecryptOptions][] = [
      ['key + cert', { key: demo('bobKey'), certificate: demo('bob') }],
      ['bare key', { key: demo('bobKey') }],
      ['bob.p12', { pkcs12: demo('bobP12'), password: DEMO_PASSWORD }],
    ];
    const indices = new Set<number>();
    for (const [how, opts] of ways) {
      const r = await decrypt(m, opts);
      assert.ok(Buffer.from(r.content).equals(CONTENT), `${how}: content differs`);
      assert.equal(r.contentCipher, expectCipher, how);
      indices.add(r.recipient.index);
    }
    assert.equal(indices.size, 1, 'every way picks the same recipient');
    return [...indices][0]!;
  }

  const cipherCases: [string, string[], string][] = [
    ['default (3DES)', [], 'des-ede3-cbc'],
    ['-aes128', ['-aes128'], 'aes-128-cbc'],
    ['-aes192', ['-aes192'], 'aes-192-cbc'],
    ['-aes256', ['-aes256'], 'aes-256-cbc'],
  ];
  for (const [name, args, cipher] of cipherCases) {
    it(name, async () => {
      const m = await opensslEncrypt(args);
      assert.equal((await inspect(m)).content.cipher, cipher);
      await bobDecrypts(m, cipher);
    });
  }

  for (const md of ['sha1', 'sha256'] as const) {
    it(`-keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:${md}`, async () => {
      const m = await opensslEncrypt(['-aes256'], [{ cert: DEMO.bob, opts: ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', `rsa_oaep_md:${md}`] }]);
      const ri = (await inspect(m)).recipients[0]!;
      assert.equal(ri.keyTransport?.algorithm, 'rsaesOaep');
      assert.equal(ri.keyTransport?.parameters?.hash, md);
      await bobDecrypts(m, 'aes-256-cbc');
    });
  }

  it('-keyid (recipient by subject key identifier)', async () => {
    const m = await opensslEncrypt(['-aes128', '-keyid']);
    const i = await inspect(m);
    assert.equal(i.recipients[0]!.identifier?.type, 'subjectKeyIdentifier');
    assert.equal(i.version, 2);
    await bobDecrypts(m, 'aes-128-cbc');
  });

  it('-keyid with OAEP SHA-256', async () => {
    const m = await opensslEncrypt(['-aes192', '-keyid'], [{ cert: DEMO.bob, opts: ['-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'] }]);
    await bobDecrypts(m, 'aes-192-cbc');
  });

  it('-stream (indefinite-length BER)', async () => {
    const m = await opensslEncrypt(['-aes256', '-stream']);
    assert.equal((await inspect(m)).encoding, 'indefinite');
    await bobDecrypts(m, 'aes-256-cbc');
  });

  for (const [pos, order] of [['first', 0], ['middle', 1], ['last', 2]] as const) {
    it(`three recipients, ours ${pos}`, async () => {
      const others = [{ cert: DEMO.alice }, { cert: daveFiles.cert }];
      const recipients = [...others];
      recipients.splice(order, 0, { cert: DEMO.bob });
      const m = await opensslEncrypt(['-aes256'], recipients);
      const i = await inspect(m);
      assert.equal(i.recipients.length, 3);
      // bob is the only RSA-3072 recipient: his is the one with a 384-byte encrypted key.
      const bobAt = i.recipients.findIndex((r) => r.encryptedKeyLength === 384);
      assert.equal(await bobDecrypts(m, 'aes-256-cbc'), bobAt);
      // And the others still can, by key and certificate.
      const r = await decrypt(m, { key: readFileSync(daveFiles.key), certificate: readFileSync(daveFiles.cert) });
      assert.ok(Buffer.from(r.content).equals(CONTENT));
    });
  }

  it('ours next to an EC recipient (a KeyAgreeRecipientInfo p7m skips)', async () => {
    const m = await opensslEncrypt(['-aes128'], [{ cert: DEMO.carol }, { cert: DEMO.bob }]);
    assert.deepEqual((await inspect(m)).recipients.map((r) => r.kind).sort(), ['kari', 'ktri']);
    await bobDecrypts(m, 'aes-128-cbc');
  });

  it('-outform PEM', async () => {
    const m = await opensslEncrypt(['-aes128'], undefined, 'PEM');
    assert.equal((await inspect(m)).form, 'pem');
    await bobDecrypts(m, 'aes-128-cbc');
  });

  it('-outform SMIME', async () => {
    const m = await opensslEncrypt(['-aes256'], undefined, 'SMIME');
    assert.equal((await inspect(m)).form, 'smime');
    await bobDecrypts(m, 'aes-256-cbc');
  });

  it('-outform SMIME -stream', async () => {
    const m = await opensslEncrypt(['-aes256', '-stream'], undefined, 'SMIME');
    await bobDecrypts(m, 'aes-256-cbc');
  });

  it('a recipient that is not ours: ERR_NO_MATCHING_RECIPIENT (with cert) or ERR_DECRYPTION_FAILED (same-size bare key)', async () => {
    const m = await opensslEncrypt(['-aes256'], [{ cert: DEMO.alice }]);
    assert.equal((await rejection(decrypt(m, { key: demo('bobKey'), certificate: demo('bob') }))).code, 'ERR_NO_MATCHING_RECIPIENT');
    // A wrong key's pseudo-random CEK pads validly about 1 time in 256 (garbage out, no integrity
    // check in EnvelopedData): fresh messages until one fails.
    for (let attempt = 0; ; attempt++) {
      assert.ok(attempt < 4, 'a wrong key "decrypted" four fresh messages');
      const r = await decrypt(attempt === 0 ? m : await opensslEncrypt(['-aes256'], [{ cert: DEMO.alice }]), { key: readFileSync(daveFiles.key) })
        .catch((e: Error & { code?: string }) => e);
      if (!(r instanceof Error)) { assert.ok(!Buffer.from(r.content).equals(CONTENT)); continue; }
      assert.equal(r.code, 'ERR_DECRYPTION_FAILED');
      break;
    }
  });

  describe('the CLI reads every form from a file and from standard input', () => {
    for (const outform of ['DER', 'PEM', 'SMIME']) {
      it(outform, async () => {
        const m = file(await opensslEncrypt(['-aes128', '-stream'], undefined, outform));
        const out = tmp.join(`plain-${seq++}`);
        const r1 = await p7m(['decrypt', m, '--key', DEMO.bobKey, '--cert', DEMO.bob, '-o', out]);
        assert.equal(r1.status, 0, explain(r1));
        assert.ok(readFileSync(out).equals(CONTENT));
        const r2 = await p7m(['decrypt', '--p12', DEMO.bobLegacyP12, '--pass', `pass:${DEMO_PASSWORD}`], { stdin: { file: m } });
        assert.equal(r2.status, 0, explain(r2));
        assert.ok(r2.stdout.equals(CONTENT));
      });
    }
  });
});

describe('openssl itself', { skip }, () => {
  it('is the version the matrix was written against (3.x)', async () => {
    const r = await openssl(['version']);
    assert.match(r.stdout.toString(), /^OpenSSL 3\./);
  });
});
