// OpenSSL `openssl cms`: the reference peer; it can write and read every cell of the matrix.
import type { Case, Cipher, Form } from '../cases.js';
import { join } from 'node:path';
import { MissingTool, type DecryptJob, type EncryptJob, type Limit, type SignJob, type SigningParty, type VerifyJob } from '../party.js';
import { run, runOk } from '../run.js';
import type { SignedCase } from '../signed-cases.js';
import { isMultipartSigned } from '../signed-check.js';

const CIPHER_FLAG: Record<Cipher, string> = { des3: '-des3', aes128: '-aes128', aes192: '-aes192', aes256: '-aes256', 'aes256-gcm': '-aes-256-gcm' };
const FORM: Record<Form, string> = { der: 'DER', pem: 'PEM', smime: 'SMIME' };

export class OpensslPeer implements SigningParty {
  readonly id = 'openssl';
  readonly title = 'OpenSSL `openssl cms`';
  readonly install = 'apt-get install -y openssl';
  readonly parallel = 2;

  async detect(): Promise<string> {
    const r = await run('openssl', ['version']).catch(() => null);
    if (!r || r.code !== 0) throw new MissingTool('openssl not found');
    return r.stdout.trim();
  }

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  writeLimits(_c: Case): Limit[] {
    return [];
  }

  readLimits(_c: Case): Limit[] {
    return [];
  }

  async encrypt(job: EncryptJob): Promise<void> {
    const { c } = job;
    // -binary: the content is bytes, not text to canonicalise to CRLF (S/MIME's default).
    const args = ['cms', '-encrypt', '-binary', CIPHER_FLAG[c.cipher], '-in', job.plain, '-out', job.out, '-outform', FORM[c.form]];
    // -stream makes openssl write indefinite-length BER as it goes (definite otherwise).
    if (c.encoding === 'indefinite') args.push('-stream');
    if (c.rid === 'ski') args.push('-keyid');
    for (const r of job.recipients) {
      args.push('-recip', r.cert);
      // -keyopt applies to the -recip before it.
      if (c.kt !== 'pkcs1') args.push('-keyopt', 'rsa_padding_mode:oaep');
      if (c.kt === 'oaep-sha256') args.push('-keyopt', 'rsa_oaep_md:sha256', '-keyopt', 'rsa_mgf1_md:sha256');
    }
    await runOk(job.trace, 'openssl', args);
  }

  async decrypt(job: DecryptJob): Promise<void> {
    const args = ['cms', '-decrypt', '-binary', '-inform', FORM[job.c.form], '-in', job.input];
    args.push('-recip', job.identity.cert, '-inkey', job.identity.key, '-out', job.out);
    await runOk(job.trace, 'openssl', args);
  }

  signWriteLimits(_c: SignedCase): Limit[] {
    // No contentIdentifier (RFC 2634 §2.7) in what `cms -sign` writes: p7m's replay cache names such a
    // message by its signed attributes, so the replay rows hold for openssl too.
    return [];
  }

  signReadLimits(_c: SignedCase, _writer: string): Limit[] {
    return [];
  }

  async sign(job: SignJob): Promise<void> {
    const { c } = job;
    const enveloped = c.op === 'sign-encrypt';
    const signed = enveloped ? join(job.scratch, 'openssl-signed.der') : job.out;
    // -binary: sign the bytes as they are (no CRLF canonicalisation); -nodetach: opaque.
    const args = ['cms', '-sign', '-binary', '-in', job.plain, '-signer', job.signer.cert, '-inkey', job.signer.key, '-md', c.digest];
    args.push('-certfile', job.caCert, '-out', signed, '-outform', enveloped ? 'DER' : FORM[c.form]);
    if (c.placement === 'opaque') args.push('-nodetach');
    if (c.sig === 'rsa-pss') args.push('-keyopt', 'rsa_padding_mode:pss');
    await runOk(job.trace, 'openssl', args);
    if (!enveloped) return;
    // `cms -sign | cms -encrypt`: the signed message (a ContentInfo) is the envelope's id-data content.
    await runOk(job.trace, 'openssl', [
      'cms', '-encrypt', '-binary', '-aes256', '-in', signed, '-recip', job.recipient.cert, '-out', job.out, '-outform', FORM[c.form],
    ]);
  }

  async verify(job: VerifyJob): Promise<void> {
    const { c } = job;
    let input = job.input;
    let inform = FORM[c.form];
    if (c.op === 'sign-encrypt') {
      input = join(job.scratch, 'openssl-decrypted.der');
      await runOk(job.trace, 'openssl', [
        'cms', '-decrypt', '-binary', '-inform', inform, '-in', job.input, '-recip', job.recipient.cert, '-inkey', job.recipient.key, '-out', input,
      ]);
      inform = 'DER';
    }
    // The default purpose is smimesign: keyUsage digitalSignature and EKU emailProtection are checked.
    // A multipart/signed entity carries its content (canonical CRLF, RFC 8551 §3.1.1): read it without
    // -binary, with which openssl's multipart reader ends the part's lines in LF (crypto/asn1/asn_mime.c
    // multi_split) and the signed bytes no longer match. Any other detached signature is given the content.
    const clear = c.placement === 'detached' && (await isMultipartSigned(input));
    const args = ['cms', '-verify', ...(clear ? [] : ['-binary']), '-inform', inform, '-in', input, '-CAfile', job.caCert, '-out', job.out];
    if (c.placement === 'detached' && !clear) args.push('-content', job.plain);
    await runOk(job.trace, 'openssl', args);
  }
}
