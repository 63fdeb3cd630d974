/**
 * EnvelopedData written by other implementations: RFC 4134 (S/MIME examples) and pyca/cryptography.
 * Files and provenance: test/vectors/README.md ("rfc4134/", "pyca/").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { OID, decrypt, encrypt, inspect } from '../src/index.js';
import { demo } from './helpers/demo.js';

const vector = (path: string): Buffer => readFileSync(new URL(`./vectors/${path}`, import.meta.url));

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string; recipients?: string[] }> {
  try { await p; } catch (e) { return e as Error & { code?: string }; }
  assert.fail('expected a rejection');
}

describe('RFC 4134 §5: enveloped-data examples', () => {
  const content = vector('rfc4134/ExContent.bin');
  const key = vector('rfc4134/BobPrivRSAEncrypt.pri'); // PKCS#8 DER, RSA-1024
  const cert = vector('rfc4134/BobRSASignByCarl.cer'); // DER, issuer CN=CarlRSA

  it('ExContent.bin is the example content', () => {
    assert.equal(content.toString('latin1'), 'This is some sample content.');
  });

  for (const [file, form] of [['5.1.bin', 'der'], ['5.3.eml', 'smime']] as const) {
    describe(`${file} (KTRI rsaEncryption to BobRSA, des-ede3-cbc, ${form})`, () => {
      it('decrypts with key and certificate to ExContent.bin', async () => {
        const r = await decrypt(vector(`rfc4134/${file}`), { key, certificate: cert });
        assert.deepEqual(Buffer.from(r.content), content);
        assert.equal(r.contentCipher, 'des-ede3-cbc');
        assert.equal(r.contentType, OID.data);
        assert.equal(r.recipient.index, 0);
        assert.equal(r.recipient.description, 'key transport (rsaEncryption) to issuer "CN=CarlRSA", serial 0x46346bc7800056bc11d36e2ecd5d71d0');
      });

      it('decrypts with the bare key to ExContent.bin', async () => {
        const r = await decrypt(vector(`rfc4134/${file}`), { key });
        assert.deepEqual(Buffer.from(r.content), content);
      });

      it('inspects: one KTRI by issuer and serial, 3DES with an 8-byte IV', async () => {
        const i = await inspect(vector(`rfc4134/${file}`));
        assert.equal(i.form, form);
        assert.equal(i.version, 0);
        assert.equal(i.encoding, 'definite');
        assert.deepEqual(i.recipients, [{
          kind: 'ktri',
          version: 0,
          description: 'key transport (rsaEncryption) to issuer "CN=CarlRSA", serial 0x46346bc7800056bc11d36e2ecd5d71d0',
          identifier: { type: 'issuerAndSerialNumber', issuer: 'CN=CarlRSA', serial: '46346bc7800056bc11d36e2ecd5d71d0' },
          keyTransport: { algorithm: 'rsaEncryption', oid: OID.rsaEncryption },
          encryptedKeyLength: 128,
        }]);
        assert.deepEqual(i.content, {
          type: 'data', typeOid: OID.data, cipher: 'des-ede3-cbc', cipherOid: OID.desEde3Cbc, iv: '2d68c5e947065135', ciphertextLength: 32,
        });
      });
    });
  }

  it('5.1 and 5.3 are the same message (DER and S/MIME)', async () => {
    const a = await inspect(vector('rfc4134/5.1.bin'));
    const b = await inspect(vector('rfc4134/5.3.eml'));
    assert.deepEqual({ ...a, form: 'x' }, { ...b, form: 'x' });
  });

  describe('5.2.bin (KTRI + KEKRI, rc2-cbc content)', () => {
    // The content cipher is checked before any recipient is matched or unwrapped: RC2 is refused
    // (RFC 8551 §2.7) whatever the key, so the answer is the unsupported algorithm, not a recipient error.
    for (const [how, opts] of [['key and certificate', { key, certificate: cert }], ['bare key', { key }]] as const) {
      it(`with ${how}: ERR_UNSUPPORTED_ALGORITHM naming rc2`, async () => {
        const e = await rejection(decrypt(vector('rfc4134/5.2.bin'), opts));
        assert.equal(e.code, 'ERR_UNSUPPORTED_ALGORITHM');
        assert.equal(e.name, 'UnsupportedAlgorithmError');
        assert.match(e.message, /rc2/i);
        assert.match(e.message, /1\.2\.840\.113549\.3\.2/);
      });
    }

    it('with a key that matches no recipient: still the unsupported algorithm first', async () => {
      const e = await rejection(decrypt(vector('rfc4134/5.2.bin'), { key: demo('aliceKey'), certificate: demo('alice') }));
      assert.equal(e.code, 'ERR_UNSUPPORTED_ALGORITHM');
    });

    it('inspects without a key: version 2, a KTRI and a KEKRI, the RC2 algorithm named', async () => {
      const i = await inspect(vector('rfc4134/5.2.bin'));
      assert.equal(i.version, 2);
      assert.deepEqual(i.recipients.map((r) => [r.kind, r.version]), [['ktri', 0], ['kekri', 4]]);
      assert.match(i.recipients[1]!.description, /key encryption key recipient \(not supported by p7m\)/);
      assert.equal(i.content.cipherOid, OID.rc2Cbc);
      assert.match(i.content.cipher, /rc2/i);
      assert.equal(i.content.ciphertextLength, 32);
    });
  });

  it('BobRSA (1024 bits) is refused as a recipient for new messages', async () => {
    const e = await rejection(encrypt('x', { recipients: [cert] }));
    assert.equal(e.code, 'ERR_BAD_RECIPIENT_CERT');
    assert.match(e.message, /1024-bit/);
  });
});

describe('pyca/cryptography: enveloped-rsa-oaep.pem', () => {
  const message = vector('pyca/enveloped-rsa-oaep.pem');
  const key = vector('pyca/rsa-4096-key.pem');

  it('decrypts with rsa-4096-key.pem alone (no certificate) to "Hello, world!"', async () => {
    const r = await decrypt(message, { key });
    assert.equal(Buffer.from(r.content).toString('latin1'), 'Hello, world!');
    assert.equal(r.contentCipher, 'aes-128-cbc');
    assert.equal(r.recipient.index, 0);
  });

  it('inspects: PEM (BEGIN PKCS7), RSAES-OAEP with the default SHA-1 parameters, by issuer and serial', async () => {
    const i = await inspect(message);
    assert.equal(i.form, 'pem');
    assert.equal(i.recipients.length, 1);
    const r = i.recipients[0]!;
    assert.deepEqual(r.identifier, { type: 'issuerAndSerialNumber', issuer: 'CN=cryptography CA', serial: '00e712d3a0a56ed6c9' });
    // Parameters encoded as an empty SEQUENCE: every field at its RFC 4055 §4.1 default.
    assert.deepEqual(r.keyTransport, { algorithm: 'rsaesOaep', oid: OID.rsaesOaep, parameters: { hash: 'sha1', mgf1Hash: 'sha1', label: '' } });
    assert.equal(r.encryptedKeyLength, 512);
    assert.equal(i.content.cipher, 'aes-128-cbc');
    assert.equal(i.content.ciphertextLength, 16);
  });

  it('a key of another size matches no recipient', async () => {
    const e = await rejection(decrypt(message, { key: demo('aliceKey') }));
    assert.equal(e.code, 'ERR_NO_MATCHING_RECIPIENT');
    assert.deepEqual(e.recipients, ['1: key transport (rsaesOaep) to issuer "CN=cryptography CA", serial 0x00e712d3a0a56ed6c9']);
  });
});
