// NSS `cmsutil` (libnss3-tools): one throw-away certificate database per decrypting identity.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case } from '../cases.js';
import { limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type Party } from '../party.js';
import { P12_PASSWORD, type Identity, type Pki } from '../pki.js';
import { run, runOk, Trace } from '../run.js';

/**
 * NSS's own choice (smime_choose_cipher): with no S/MIME profile stored for a recipient, AES-256 if
 * its RSA key is over 3072 bits, else AES-128; the weakest recipient wins. Here every recipient is
 * over 3072 bits only when the target is RSA-4096 and the others (if any) are the RSA-4096 "high"
 * bystanders, i.e. alone or first (see matrix.ts recipientsFor).
 */
export function nssCipher(c: Case): 'aes128' | 'aes256' {
  return c.bits === 4096 && (c.layout === 'single' || c.layout === 'first') ? 'aes256' : 'aes128';
}

export class NssPeer implements Party {
  readonly id = 'nss';
  readonly title = 'NSS `cmsutil`';
  readonly install = 'apt-get install -y libnss3-tools';
  // One sqlite database per identity, shared by concurrent cmsutil runs: keep it simple, one at a time.
  readonly parallel = 1;
  private dbs = new Map<string, string>();

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
}
