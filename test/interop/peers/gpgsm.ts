// GnuPG `gpgsm` 2.2: one throw-away GNUPGHOME per decrypting identity, keys from a legacy .p12.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Cipher } from '../cases.js';
import { limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type SignJob, type SigningParty, type VerifyJob } from '../party.js';
import { P12_PASSWORD, type Identity, type Pki } from '../pki.js';
import { run, runOk, summarize, ToolError, Trace } from '../run.js';
import type { SignedCase } from '../signed-cases.js';

// gpgsm --cipher-algo takes these names (or an OID); "AES" is AES-128.
// gpgsm 2.2 has no GCM cipher name (libgcrypt's AES256 is CBC there): asked for aes256-gcm it is given its GCM OID.
const CIPHER: Record<Cipher, string> = { des3: '3DES', aes128: 'AES', aes192: 'AES192', aes256: 'AES256', 'aes256-gcm': '2.16.840.1.101.3.4.1.46' };

export class GpgsmPeer implements SigningParty {
  readonly id = 'gpgsm';
  readonly title = 'GnuPG `gpgsm`';
  readonly install = 'apt-get install -y gpgsm';
  readonly parallel = 2;
  readonly notes: string[] = [
    'gpgsm exits 2 after a successful decryption when a recipient listed before its own cannot be used ' +
      '("error decrypting session key" / "failed to find the certificate"); the driver goes by the ' +
      '`--status-fd` line DECRYPTION_OKAY, as GPGME does.',
    'gpgsm --armor writes the PEM label `ENCRYPTED MESSAGE`, not RFC 7468\'s `CMS`; openssl cannot read it.',
    'gpgsm 2.2.40 cannot decrypt about 1 in 64 PBE-SHA1-3DES PKCS#12 files that openssl writes: its key ' +
      'derivation drops a leading zero byte of I_j + B + 1 (RFC 7292 B.2), which depends on the random salt ' +
      '("decryption failed; trying charset …", then `error at "bag.data"`). The PKI re-exports such files ' +
      '(test/interop/p12-kdf.ts; test/fixtures/gpgsm-p12 has one of each).',
  ];
  private homes = new Map<string, string>();
  /** The signed rows use the RSA-2048 target's home, which also gets the signing identities. */
  private signedHome = '';

  async detect(): Promise<string> {
    const r = await run('gpgsm', ['--version']).catch(() => null);
    if (!r || r.code !== 0) throw new MissingTool('gpgsm not found');
    const lines = r.stdout.split('\n');
    const ksba = lines.find((l) => l.startsWith('libksba')) ?? '';
    return `${lines[0]!.trim()}${ksba ? `, ${ksba.trim()}` : ''}`;
  }

  private env(home: string): NodeJS.ProcessEnv {
    return { ...process.env, GNUPGHOME: home, LC_ALL: 'C' };
  }

  async start(pki: Pki, dir: string): Promise<void> {
    const t = new Trace();
    for (const id of Object.values(pki.targets)) {
      const home = join(dir, `gnupg-${id.bits}`);
      await mkdir(home, { recursive: true, mode: 0o700 });
      // Without a CRL for our CA gpgsm refuses every certificate of it.
      await writeFile(join(home, 'gpgsm.conf'), 'disable-crl-checks\n');
      await writeFile(join(home, 'gpg-agent.conf'), 'allow-loopback-pinentry\n');
      // trustlist.txt: the root's SHA-1 fingerprint and S (a root for S/MIME).
      await writeFile(join(home, 'trustlist.txt'), `${pki.caFingerprint.replace(/(..)(?!$)/g, '$1:')} S\n`);
      const env = this.env(home);
      await runOk(t, 'gpgsm', ['--batch', '--import', pki.caCert, ...pki.all.map((i) => i.cert)], { env });
      await runOk(t, 'gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', id.p12], {
        env,
        stdin: { data: `${P12_PASSWORD}\n` },
      });
      this.homes.set(id.name, home);
    }
    this.signedHome = this.home(pki.targets[2048]);
    const env = this.env(this.signedHome);
    for (const signer of Object.values(pki.signers)) {
      await runOk(t, 'gpgsm', ['--batch', '--import', signer.cert], { env });
      const r = await run('gpgsm', ['--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--import', signer.p12], {
        env,
        stdin: { data: `${P12_PASSWORD}\n` },
      });
      t.add(r);
      // gpgsm 2.2.40 dies importing the EC keys; its signing cells then say "No secret key" (see the limits).
      if (r.code !== 0) {
        const note = `gpgsm --import of the ${signer.name} PKCS#12 (an EC key) fails: ${summarize(r)}`;
        if (!this.notes.includes(note)) this.notes.push(note);
      }
    }
  }

  async stop(): Promise<void> {
    // Each home got its own gpg-agent on first use; end exactly those.
    for (const home of this.homes.values()) {
      await run('gpgconf', ['--homedir', home, '--kill', 'gpg-agent']).catch(() => null);
    }
    this.homes.clear();
  }

  private home(id: Identity): string {
    const h = this.homes.get(id.name);
    if (!h) throw new Error(`no GNUPGHOME for ${id.name}`);
    return h;
  }

  writeLimits(c: Case): Limit[] {
    return limitsOf([
      [c.cipher === 'aes256-gcm', {
        why: 'gpgsm 2.2 given the AES-256-GCM OID writes it inside EnvelopedData, not AuthEnvelopedData (RFC 5084 §3), with a bare ' +
          '16-byte OCTET STRING for parameters instead of GCMParameters: p7m refuses that',
        expect: /aes256-gcm inside envelopedData/,
      }],
      [c.kt !== 'pkcs1', { why: 'gpgsm 2.2 has no OAEP option (writes PKCS#1 v1.5)', expect: /wrote key transport pkcs1/ }],
      [c.rid === 'ski', { why: 'gpgsm writes issuerAndSerialNumber only', expect: /wrote rid issuer-serial/ }],
      [c.form === 'smime', {
        why: 'gpgsm writes no MIME entity (--base64 gives the bare body)',
        expect: /wrote form base64/,
      }],
      [c.encoding === 'definite', { why: 'gpgsm (libksba) writes indefinite lengths only', expect: /wrote encoding indefinite/ }],
    ]);
  }

  readLimits(c: Case): Limit[] {
    return limitsOf([
      [c.kt !== 'pkcs1', {
        why: 'gpgsm 2.2 decrypts only rsaEncryption key transport (no RSAES-OAEP)',
        expect: /error getting encrypted session key/,
      }],
      [c.rid === 'ski', {
        why: 'gpgsm 2.2 / libksba 1.6 cannot read a subjectKeyIdentifier rid',
        // "recp N - error getting info", or libksba's BER decoder gives up on the [0] rid
        expect: /error getting info|BER error/,
      }],
      [c.form === 'smime', { why: 'gpgsm reads binary, PEM or base64, not a MIME entity', expect: /ksba|No CMS object|End of file/ }],
      [c.cipher === 'aes256-gcm', { why: 'gpgsm 2.2 reads no AuthEnvelopedData (AES-GCM)', expect: /error getting IV/ }],
    ]);
  }

  async encrypt(job: EncryptJob): Promise<void> {
    const { c } = job;
    const home = job.recipients.find((r) => this.homes.has(r.name)) ?? job.recipients[0]!;
    const args = ['--batch', '--cipher-algo', CIPHER[c.cipher]];
    if (c.form === 'pem') args.push('--armor');
    if (c.form === 'smime') args.push('--base64');
    args.push('--encrypt');
    for (const r of job.recipients) args.push('-r', r.fingerprint);
    args.push('-o', job.out, job.plain);
    await runOk(job.trace, 'gpgsm', args, { env: this.env(this.home(home)) });
  }

  async decrypt(job: DecryptJob): Promise<string | void> {
    // Judged as GPGME judges it, by the status lines: gpgsm 2.2 exits 2 whenever it logged an
    // error, and it logs one for every recipient before its own that it cannot use ("error
    // decrypting session key", "failed to find the certificate") even though it then decrypts.
    const args = ['--batch', '--status-fd', '1', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--decrypt'];
    args.push('-o', job.out, job.input);
    const r = await run('gpgsm', args, { env: this.env(this.home(job.identity)), stdin: { data: `${P12_PASSWORD}\n` } });
    job.trace.add(r);
    const okay = /^\[GNUPG:\] DECRYPTION_OKAY$/m.test(r.stdout) && !/^\[GNUPG:\] DECRYPTION_FAILED/m.test(r.stdout);
    if (r.code === 0 && okay) return;
    if (r.code === 2 && okay) return 'gpgsm exit 2 with DECRYPTION_OKAY';
    throw new ToolError(r);
  }

  signWriteLimits(c: SignedCase): Limit[] {
    return limitsOf([
      [c.sig === 'rsa-pss', { why: 'gpgsm 2.2 signs RSA with PKCS#1 v1.5 only (no PSS option)', expect: /wrote signature rsa-pkcs1/ }],
      [c.sig === 'ecdsa-p256' || c.sig === 'ecdsa-p384', {
        why: 'gpgsm 2.2.40 has no EC signing key: its --import of an EC PKCS#12 crashes (see other findings)',
        expect: /No secret key/,
      }],
      [c.form === 'smime', { why: 'gpgsm writes no MIME entity (--base64 gives the bare body)', expect: /wrote form base64/ }],
      // --detach-sign of empty content works; --sign (opaque, and the inner message of sign-encrypt) does not.
      [c.size === 0 && c.placement === 'opaque', { why: 'gpgsm --sign refuses an empty message (opaque)', expect: /cannot sign an empty message/ }],
    ]);
  }

  signReadLimits(c: SignedCase, _writer: string): Limit[] {
    return limitsOf([
      [c.form === 'smime', { why: 'gpgsm reads binary, PEM or base64, not a MIME entity', expect: /ksba|No CMS object|End of file|Invalid|BER error/ }],
      // gpgsm wants a hash at least as long as the EC key; openssl, NSS, BC and p7m accept the shorter one.
      [c.sig === 'ecdsa-p384' && c.digest === 'sha256', {
        why: 'gpgsm refuses an ECDSA signature whose hash is shorter than the key (SHA-256 with P-384)',
        expect: /hash is not valid for a \d+ bit ECC key/,
      }],
    ]);
  }

  private signArgs(c: SignedCase, job: SignJob): string[] {
    return [
      '--batch', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '-u', job.signer.fingerprint,
      '--digest-algo', c.digest.toUpperCase(),
    ];
  }

  async sign(job: SignJob): Promise<void> {
    const { c } = job;
    const env = this.env(this.signedHome);
    const stdin = { data: `${P12_PASSWORD}\n` };
    const armor = c.form === 'pem' ? ['--armor'] : c.form === 'smime' ? ['--base64'] : [];
    if (c.op === 'sign') {
      const args = [...this.signArgs(c, job), ...armor, c.placement === 'detached' ? '--detach-sign' : '--sign', '-o', job.out, job.plain];
      await runOk(job.trace, 'gpgsm', args, { env, stdin });
      return;
    }
    // gpgsm cannot sign and encrypt in one run: --sign, then --encrypt the signed message (id-data).
    const signed = join(job.scratch, 'gpgsm-signed.der');
    await runOk(job.trace, 'gpgsm', [...this.signArgs(c, job), '--sign', '-o', signed, job.plain], { env, stdin });
    await runOk(job.trace, 'gpgsm', ['--batch', ...armor, '--encrypt', '-r', job.recipient.fingerprint, '-o', job.out, signed], { env });
  }

  async verify(job: VerifyJob): Promise<void> {
    const { c } = job;
    const env = this.env(this.signedHome);
    let input = job.input;
    if (c.op === 'sign-encrypt') {
      input = join(job.scratch, 'gpgsm-decrypted.der');
      const r = await run('gpgsm', ['--batch', '--status-fd', '1', '--pinentry-mode', 'loopback', '--passphrase-fd', '0', '--decrypt', '-o', input, job.input], {
        env,
        stdin: { data: `${P12_PASSWORD}\n` },
      });
      job.trace.add(r);
      if (r.code !== 0 || !/^\[GNUPG:\] DECRYPTION_OKAY$/m.test(r.stdout)) throw new ToolError(r);
    }
    // Judged by the status lines, as GPGME does: a good signature by a certificate that chains to the
    // trusted root (TRUST_FULLY), and no bad or unverifiable one.
    const args = ['--batch', '--status-fd', '1', '--verify'];
    args.push(...(c.placement === 'detached' ? [input, job.plain] : ['-o', job.out, input]));
    const r = await run('gpgsm', args, { env });
    job.trace.add(r);
    const good = /^\[GNUPG:\] GOODSIG /m.test(r.stdout) && /^\[GNUPG:\] TRUST_FULLY/m.test(r.stdout);
    if (r.code !== 0 || !good || /^\[GNUPG:\] (BADSIG|ERRSIG)/m.test(r.stdout)) throw new ToolError(r);
  }
}
