import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, type Options } from '../args.js';
import { packageRoot } from '../package-root.js';
import { stdout } from '../stdout.js';
import { P7mError } from '../../errors.js';

export const help = `usage: p7m demo [--certs DIR]

Run the whole exchange on the bundled demo PKI (certs/): alice encrypts a message for bob, step by
step; bob decrypts it; openssl cms -decrypt reads the same file.

options:
  --certs DIR   the demo PKI directory (default: the certs/ folder shipped with p7m)

example:
  p7m demo
`;

const options: Options = { certs: { type: 'string' } };

const say = (s: string): void => { stdout().write(s + '\n'); };

export async function run(args: string[]): Promise<number> {
  const { values } = parse(args, options);
  const certs = typeof values.certs === 'string' ? values.certs : path.join(packageRoot(), 'certs');
  const { loadCertificates } = await import('../../keys/certificate.js');
  const { prepareEnvelope } = await import('../../encrypt.js');
  const { decrypt } = await import('../../decrypt.js');
  const { Readable } = await import('node:stream');

  const bobPem = path.join(certs, 'bob.pem');
  const bobKey = path.join(certs, 'bob.key.pem');
  const bob = loadCertificates(await fsp.readFile(bobPem))[0]!;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'p7m-demo-'));
  const message = Buffer.from(`Hello Bob, this is Alice. The meeting moved to 10:00. (${new Date().toISOString()})\n`);

  say('p7m demo: the hybrid scheme on the demo PKI in ' + certs + '\n');
  say(`1. alice writes a message for bob (${message.length} bytes):`);
  say(`     ${message.toString().trim()}`);
  const env = await prepareEnvelope({ recipients: [bob], cipher: 'aes-256-cbc', keyTransport: 'pkcs1' }, {
    onSessionKey: (i) => say(`2. a random ${i.keyLength * 8}-bit session key and a ${i.ivLength * 8}-bit IV are drawn from the CSPRNG for ${i.cipher}`),
    onRecipient: (i) => say(`3. the session key is encrypted with bob's RSA-${bob.rsaBits} public key (${i.subject}, ${bobPem})\n` +
      `     with ${i.keyTransport === 'pkcs1' ? 'RSAES-PKCS1-v1_5' : 'RSAES-OAEP'} into a KeyTransRecipientInfo: ${i.encryptedKeyLength} bytes of encrypted key`),
  });
  const parts: Uint8Array[] = [];
  for await (const p of env.stream(Readable.from([message]), message.length)) parts.push(p);
  const p7m = Buffer.concat(parts);
  const ctLen = (Math.floor(message.length / 16) + 1) * 16;
  say(`4. the content is encrypted with the session key (aes-256-cbc): ${message.length} bytes → ${ctLen} bytes of ciphertext`);
  const file = path.join(dir, 'message.p7m');
  await fsp.writeFile(file, p7m, { mode: 0o600 });
  say(`5. written ${file} (${p7m.length} bytes, CMS EnvelopedData, DER)`);

  say(`6. bob decrypts it with his private key (${bobKey}) and certificate:`);
  const r = await decrypt(p7m, { key: await fsp.readFile(bobKey), certificate: bob });
  say(`     recipient ${r.recipient.index + 1} matched: ${r.recipient.description}`);
  say(`     session key recovered, content decrypted with ${r.contentCipher}:`);
  say(`     ${Buffer.from(r.content).toString().trim()}`);
  if (!Buffer.from(r.content).equals(message)) throw new P7mError('ERR_DEMO', 'demo: decrypted content differs');
  say('     identical to what alice wrote ✓');

  const o = spawnSync('openssl', ['cms', '-decrypt', '-inform', 'DER', '-in', file, '-recip', bobPem, '-inkey', bobKey], { maxBuffer: 1 << 24 });
  if (o.error) {
    say('7. openssl is not installed: the interoperability step is skipped');
  } else if (o.status !== 0 || !Buffer.from(o.stdout).equals(message)) {
    throw new P7mError('ERR_DEMO', `demo: openssl cms -decrypt could not read the message: ${o.stderr.toString().trim()}`);
  } else {
    say('7. openssl cms -decrypt -inform DER -in message.p7m -recip bob.pem -inkey bob.key.pem reads the same file:');
    say(`     ${o.stdout.toString().trim()}`);
    say('     identical ✓');
  }
  await replayDemo({ certs, dir, bob, say });
  return 0;
}

/**
 * The hole in the plain scheme and how p7m closes it: an eavesdropper who recorded a .p7m can deliver
 * it again later. Signed messages carry signingTime and a unique contentIdentifier; the receiver checks
 * freshness and a replay cache (its own file here, so the demo leaves the user's cache alone).
 */
async function replayDemo(o: { certs: string; dir: string; bob: import('../../keys/certificate.js').CertInfo; say: (s: string) => void }): Promise<void> {
  const { say, certs, dir, bob } = o;
  const { encrypt } = await import('../../encrypt.js');
  const { decrypt } = await import('../../decrypt.js');
  const { loadCertificates } = await import('../../keys/certificate.js');
  const { createPrivateKey } = await import('node:crypto');
  const alice = loadCertificates(await fsp.readFile(path.join(certs, 'alice.pem')))[0]!;
  const aliceKey = createPrivateKey(await fsp.readFile(path.join(certs, 'alice.key.pem')));
  const ca = loadCertificates(await fsp.readFile(path.join(certs, 'ca.pem')))[0]!;
  const bobKey = await fsp.readFile(path.join(certs, 'bob.key.pem'));
  const replayDb = path.join(dir, 'replay.sqlite3');
  const policy = { trust: [ca.der], replayDb };
  const text = 'Transfer 100 EUR to Carol.\n';

  say('\nThe replay attack, and the defence');
  say('8. the plain envelope above can be recorded and delivered again: bob cannot tell. So alice now signs');
  say('   first (signingTime + a random 16-byte contentIdentifier in the signed attributes), then encrypts:');
  const signed = await encrypt(text, { recipients: [bob], sign: { signerCert: alice.der, signerKey: aliceKey } });
  await fsp.writeFile(path.join(dir, 'signed.p7m'), signed, { mode: 0o600 });
  say(`     ${path.join(dir, 'signed.p7m')}: "${text.trim()}" (${signed.length} bytes)`);
  const first = await decrypt(signed, { key: bobKey, certificate: bob, verify: policy });
  say(`9. bob decrypts and verifies: ${first.signature!.signer.subject}, signed at ${first.signature!.signingTime!.toISOString()}:`);
  say(`     accepted ✓ "${Buffer.from(first.content).toString().trim()}" (recorded in the replay cache ${replayDb})`);
  try {
    await decrypt(signed, { key: bobKey, certificate: bob, verify: policy });
    throw new P7mError('ERR_DEMO', 'demo: the replayed message was accepted');
  } catch (e) {
    if (!(e instanceof P7mError) || e.code !== 'ERR_REPLAYED_MESSAGE') throw e;
    say(`10. an eavesdropper delivers the same bytes again: refused ✓ (${e.code}: ${e.message})`);
  }
  const old = await encrypt(text, {
    recipients: [bob],
    sign: { signerCert: alice.der, signerKey: aliceKey, clock: () => new Date(Date.now() - 25 * 3600 * 1000) },
  });
  try {
    await decrypt(old, { key: bobKey, certificate: bob, verify: policy });
    throw new P7mError('ERR_DEMO', 'demo: the stale message was accepted');
  } catch (e) {
    if (!(e instanceof P7mError) || e.code !== 'ERR_STALE_MESSAGE') throw e;
    say(`11. a message recorded 25 hours ago, older than the 24h window: refused ✓ (${e.code})`);
    say('    (the cache only keeps entries for the window plus the clock skew: older ones fail freshness anyway)');
  }
}
