// NSS `cmsutil` (libnss3-tools): one throw-away certificate database per decrypting identity.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case } from '../cases.js';
import { limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type SignJob, type SigningParty, type VerifyJob } from '../party.js';
import { P12_PASSWORD, type Identity, type Pki } from '../pki.js';
import { run, runOk, Trace } from '../run.js';
import type { SignedCase } from '../signed-cases.js';

/**
 * NSS's own choice (smime_choose_cipher): with no S/MIME profile stored for a recipient, AES-256 if
 * its RSA key is over 3072 bits, else AES-128; the weakest recipient wins. Here every recipient is
 * over 3072 bits only when the target is RSA-4096 and the others (if any) are the RSA-4096 "high"
 * bystanders, i.e. alone or first (see matrix.ts recipientsFor).
 */
export function nssCipher(c: Case): 'aes128' | 'aes256' {
  return c.bits === 4096 && (c.layout === 'single' || c.layout === 'first') ? 'aes256' : 'aes128';
}

export class NssPeer implements SigningParty {
  readonly id = 'nss';
  readonly title = 'NSS `cmsutil`';
  readonly install = 'apt-get install -y libnss3-tools';
  // One sqlite database per identity, shared by concurrent cmsutil runs: keep it simple, one at a time.
  readonly parallel = 1;
  private dbs = new Map<string, string>();
  /** The signed rows use the RSA-2048 target's database, which also holds the three signing keys. */
  private signedDb = '';

  async detect(): Promise<string> {
    for (const tool of ['cmsutil', 'certutil', 'pk12util']) {
      const r = await run(tool, ['-H']).catch(() => null);
      if (!r) throw new MissingTool(`${tool} not found`);
    }
    // cmsutil has no --version; the library's package tells it.
    const v = await run('dpkg-query', ['-W', '-f=${Version}', 'libnss3']).catch(() => null);
    const version = v?.code === 0 ? v.stdout.replace(/^\d+:/, '').replace(/-.*$/, '') : 'unknown';
    return `NSS ${version} cmsutil${v?.code === 0 ? ` (Debian libnss3 ${v.stdout})` : ''}`;
  }

  async start(pki: Pki, dir: string): Promise<void> {
    const t = new Trace();
    for (const id of Object.values(pki.targets)) {
      const db = join(dir, `nss-${id.name}`);
      await mkdir(db, { recursive: true });
      const d = `sql:${db}`;
      await runOk(t, 'certutil', ['-N', '-d', d, '--empty-password']);
      await runOk(t, 'pk12util', ['-i', id.p12, '-d', d, '-W', P12_PASSWORD]);
      // The CA must be trusted for e-mail (the middle trust field) or NSS refuses to encrypt to its leaves.
      await runOk(t, 'certutil', ['-A', '-d', d, '-n', 'p7m interop CA', '-t', 'CT,C,C', '-i', pki.caCert]);
      for (const other of pki.all) {
        if (other !== id) await runOk(t, 'certutil', ['-A', '-d', d, '-n', other.name, '-t', ',,', '-i', other.cert]);
      }
      this.dbs.set(id.name, d);
    }
    const d = this.db(pki.targets[2048]);
    for (const signer of Object.values(pki.signers)) await runOk(t, 'pk12util', ['-i', signer.p12, '-d', d, '-W', P12_PASSWORD]);
    this.signedDb = d;
  }

  async stop(): Promise<void> {}

  private db(id: Identity): string {
    const d = this.dbs.get(id.name);
    if (!d) throw new Error(`no NSS database for ${id.name}`);
    return d;
  }

  writeLimits(c: Case): Limit[] {
    return limitsOf([
      [c.cipher !== nssCipher(c), {
        why:
          'cmsutil has no cipher option: without stored S/MIME profiles NSS picks AES-256 when every ' +
          'recipient key is over 3072 bits, AES-128 otherwise',
        expect: new RegExp(`wrote cipher ${nssCipher(c)} `),
      }],
      [c.kt !== 'pkcs1', { why: 'cmsutil has no key-transport option (writes PKCS#1 v1.5)', expect: /wrote key transport pkcs1/ }],
      [c.rid === 'ski', { why: 'cmsutil has no rid option (writes issuerAndSerialNumber)', expect: /wrote rid issuer-serial/ }],
      [c.form !== 'der', { why: 'cmsutil writes binary BER only', expect: /wrote form der/ }],
      [c.encoding === 'definite', { why: 'cmsutil streams: indefinite lengths only', expect: /wrote encoding indefinite/ }],
    ]);
  }

  readLimits(c: Case): Limit[] {
    return limitsOf([
      [c.kt !== 'pkcs1', { why: 'NSS 3.87 CMS has no RSAES-OAEP key transport', expect: /SEC_ERROR_UNSUPPORTED_KEYALG/ }],
      [c.form !== 'der', { why: 'cmsutil reads binary BER only', expect: /SEC_ERROR_BAD_DER/ }],
      [c.cipher === 'aes256-gcm', { why: 'NSS 3.87 CMS reads no AuthEnvelopedData (RFC 5083): an unknown content type to it', expect: /SEC_ERROR_UNRECOGNIZED_OID/ }],
    ]);
  }

  async encrypt(job: EncryptJob): Promise<void> {
    // Any of the databases holds every certificate; use the decrypting identity's.
    const home = job.recipients.find((r) => this.dbs.has(r.name)) ?? job.recipients[0]!;
    const names = job.recipients.map((r) => r.name).join(',');
    await runOk(job.trace, 'cmsutil', ['-E', '-r', names, '-i', job.plain, '-o', job.out, '-d', this.db(home)]);
  }

  async decrypt(job: DecryptJob): Promise<void> {
    await runOk(job.trace, 'cmsutil', ['-D', '-i', job.input, '-o', job.out, '-d', this.db(job.identity)]);
  }

  signWriteLimits(c: SignedCase): Limit[] {
    return limitsOf([
      [c.sig === 'rsa-pss', { why: 'cmsutil has no PSS option (signs RSA with PKCS#1 v1.5)', expect: /wrote signature rsa-pkcs1/ }],
      [c.form !== 'der', { why: 'cmsutil writes binary BER only', expect: /wrote form der/ }],
      [c.size === 0, { why: 'cmsutil -S cannot sign empty content', expect: /SEC_ERROR_DIGEST_NOT_FOUND/ }],
    ]);
  }

  signReadLimits(c: SignedCase): Limit[] {
    return limitsOf([
      [c.form !== 'der', { why: 'cmsutil reads binary BER only', expect: /SEC_ERROR_BAD_DER/ }],
      [c.placement === 'opaque' && c.size === 0, {
        why: 'cmsutil cannot decode an opaque SignedData with empty content (openssl\'s neither)',
        expect: /no message digests|SEC_ERROR_BAD_DER/,
      }],
    ]);
  }

  async sign(job: SignJob): Promise<void> {
    const { c } = job;
    const enveloped = c.op === 'sign-encrypt';
    const signed = enveloped ? join(job.scratch, 'nss-signed.der') : job.out;
    // -G: signingTime. -Y NONE: no EncryptionKeyPreference attribute; without it cmsutil looks for an
    // encryption certificate of the signer and refuses a signing-only one (SEC_ERROR_INADEQUATE_KEY_USAGE).
    const args = ['-S', '-N', job.signer.name, '-Y', 'NONE', '-G', '-H', c.digest.toUpperCase(), '-i', job.plain, '-o', signed, '-d', this.signedDb];
    if (c.placement === 'detached') args.push('-T');
    await runOk(job.trace, 'cmsutil', args);
    // cmsutil -S then -E: the signed message is the envelope's id-data content.
    if (enveloped) await runOk(job.trace, 'cmsutil', ['-E', '-r', job.recipient.name, '-i', signed, '-o', job.out, '-d', this.signedDb]);
  }

  async verify(job: VerifyJob): Promise<void> {
    const { c } = job;
    let input = job.input;
    if (c.op === 'sign-encrypt') {
      input = join(job.scratch, 'nss-decrypted.der');
      await runOk(job.trace, 'cmsutil', ['-D', '-i', job.input, '-o', input, '-d', this.signedDb]);
    }
    // -D verifies every signer for certUsageEmailSigner (chain to the CA, trusted for e-mail) and
    // exits 1 on any bad signature.
    const args = ['-D', '-i', input, '-o', job.out, '-d', this.signedDb];
    if (c.placement === 'detached') args.push('-c', job.plain);
    await runOk(job.trace, 'cmsutil', args);
  }
}
