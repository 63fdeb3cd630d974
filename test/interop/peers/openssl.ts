// OpenSSL `openssl cms`: the reference peer; it can write and read every cell of the matrix.
import type { Case, Cipher, Form } from '../cases.js';
import { MissingTool, type DecryptJob, type EncryptJob, type Limit, type Party } from '../party.js';
import { run, runOk } from '../run.js';

const CIPHER_FLAG: Record<Cipher, string> = { des3: '-des3', aes128: '-aes128', aes192: '-aes192', aes256: '-aes256' };
const FORM: Record<Form, string> = { der: 'DER', pem: 'PEM', smime: 'SMIME' };

export class OpensslPeer implements Party {
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
}
