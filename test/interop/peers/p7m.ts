// p7m itself, driven through its built CLI (dist/bin/p7m.cjs, what the `p7m` bin runs), the fixed side of every pair.
//
// Through the CLI on purpose: that is what users run, and it is the only way to exercise the
// streaming paths: a regular file in gives definite-length DER, a pipe on stdin gives
// indefinite-length BER; a streamed message is decrypted from stdin to stdout the same way.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Cipher, KeyTransport } from '../cases.js';
import { isMultipartSigned } from '../signed-check.js';
import {
  limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type SignJob, type SigningParty, type VerifyJob,
} from '../party.js';
import { P12_PASSWORD } from '../pki.js';
import { WORK } from '../root.js';
import { run, summarize, ToolError, type RunOptions, type Trace } from '../run.js';
import type { SignedCase } from '../signed-cases.js';

const CIPHER: Record<Cipher, string> = {
  des3: 'des-ede3-cbc',
  aes128: 'aes-128-cbc',
  aes192: 'aes-192-cbc',
  aes256: 'aes-256-cbc',
  'aes256-gcm': 'aes-256-gcm',
};

const KT: Record<KeyTransport, string[]> = {
  pkcs1: ['--key-transport', 'pkcs1'],
  'oaep-sha1': ['--key-transport', 'oaep', '--oaep-hash', 'sha1'],
  'oaep-sha256': ['--key-transport', 'oaep', '--oaep-hash', 'sha256'],
};

export class P7mParty implements SigningParty {
  readonly id = 'p7m';
  readonly title = 'p7m (this project, CLI)';
  readonly install = 'npm run build';
  readonly parallel = 2;
  readonly cli: string;
  private exe: string;
  private snapshot: string | null = null;

  constructor(readonly root: string) {
    this.cli = join(root, 'dist', 'bin', 'p7m.cjs');
    this.exe = this.cli;
  }

  async detect(): Promise<string> {
    if (!existsSync(this.cli)) throw new MissingTool(`${this.cli} not built`);
    // One start-up first, so that a broken build shows as one clear error instead of 200 cells.
    const r = await run(process.execPath, [this.cli, '--version']);
    if (r.code !== 0) throw new ToolError(r, `p7m --version: ${summarize(r)}`);
    return `${r.stdout.trim()} (${this.cli.slice(this.root.length + 1)}, Node ${process.version})`;
  }

  /**
   * Runs use a copy of dist/ taken at start: `npm test` and other engineers rebuild dist/ while
   * a matrix may be running, and a half-written build must not turn into 200 failing cells. The
   * copy sits under test/.work/ so that node_modules still resolves; traces show the real path.
   */
  async start(): Promise<void> {
    const snap = await mkdtemp(join(WORK, 'p7m-build-'));
    this.snapshot = snap;
    await cp(join(this.root, 'dist'), join(snap, 'dist'), { recursive: true });
    await cp(join(this.root, 'package.json'), join(snap, 'package.json'));
    this.exe = join(snap, 'dist', 'bin', 'p7m.cjs');
    const r = await run(process.execPath, [this.exe, '--version']);
    if (r.code !== 0) throw new ToolError(r, `p7m --version (copy of dist/): ${summarize(r)}`);
  }

  async stop(): Promise<void> {
    if (this.snapshot) await rm(this.snapshot, { recursive: true, force: true });
    this.snapshot = null;
    this.exe = this.cli;
  }

  private async p7m(trace: Trace, args: string[], opts: RunOptions = {}): Promise<void> {
    const r = await this.p7mRun(trace, args, opts);
    if (r.code !== 0) throw new ToolError(r);
  }

  private async p7mRun(trace: Trace, args: string[], opts: RunOptions = {}): Promise<Awaited<ReturnType<typeof run>>> {
    const r = await run(process.execPath, [this.exe, ...args], opts);
    const shown = this.snapshot ? { ...r, command: r.command.split(this.snapshot).join(this.root) } : r;
    trace.add(shown);
    return shown;
  }

  writeLimits(c: Case): Limit[] {
    return limitsOf([
      [c.cipher === 'des3', {
        why: 'p7m reads 3DES but never writes it',
        // a usage error (exit 2) that names the cipher option
        expect: /cipher[\s\S]*\(exit 2\)$/,
      }],
    ]);
  }

  readLimits(_c: Case): Limit[] {
    return [];
  }

  async encrypt(job: EncryptJob): Promise<void> {
    const { c } = job;
    const args = ['encrypt'];
    const streamed = c.encoding === 'indefinite';
    if (!streamed) args.push(job.plain);
    for (const r of job.recipients) args.push('-r', r.cert);
    args.push('-o', job.out, '--form', c.form, '--cipher', CIPHER[c.cipher], ...KT[c.kt], '--rid', c.rid);
    await this.p7m(job.trace, args, streamed ? { stdin: { file: job.plain } } : {});
  }

  async decrypt(job: DecryptJob): Promise<void> {
    // The RSA-3072 identity comes as its legacy PBE-SHA1-3DES .p12 (as gpgsm and NSS take it),
    // the others as PKCS#8 key + certificate: both ways a user names a key.
    const keys =
      job.identity.bits === 3072
        ? ['--p12', job.identity.p12, '--pass', `pass:${P12_PASSWORD}`]
        : ['--key', job.identity.key, '--cert', job.identity.cert];
    if (job.c.encoding === 'indefinite') {
      // stdin pipe -> stdout pipe: the streaming path end to end.
      await this.p7m(job.trace, ['decrypt', ...keys], { stdin: { file: job.input }, stdoutFile: job.out });
    } else {
      await this.p7m(job.trace, ['decrypt', job.input, ...keys, '-o', job.out]);
    }
  }

  signWriteLimits(_c: SignedCase): Limit[] {
    return [];
  }

  signReadLimits(_c: SignedCase, _writer: string): Limit[] {
    return [];
  }

  async sign(job: SignJob): Promise<void> {
    const { c } = job;
    if (c.op === 'sign-encrypt') {
      // The replay-proof message: signingTime and a random contentIdentifier signed, then enveloped.
      await this.p7m(job.trace, [
        'encrypt', job.plain, '-r', job.recipient.cert, '--sign-cert', job.signer.cert, '--sign-key', job.signer.key,
        '-o', job.out, '--form', c.form, '--sign-digest', c.digest, ...(c.sig === 'rsa-pss' ? ['--sign-pss'] : []),
      ]);
      return;
    }
    const args = ['sign', job.plain, '--signer', job.signer.cert, '--key', job.signer.key, '-o', job.out, '--form', c.form, '--digest', c.digest];
    if (c.sig === 'rsa-pss') args.push('--pss');
    if (c.placement === 'detached') args.push('--detached');
    await this.p7m(job.trace, args);
  }

  /**
   * `p7m verify`, or `p7m decrypt --verify` for a signed-then-enveloped message. 'replay' rows use a
   * replay cache of the cell's own and deliver the same file a second time, which must be refused.
   */
  async verify(job: VerifyJob): Promise<string | void> {
    const { c } = job;
    const db = join(job.scratch, 'replay.sqlite3');
    const replay = c.receive === 'replay' ? ['--replay-db', db] : ['--no-replay-check'];
    const args =
      c.op === 'sign-encrypt'
        ? ['decrypt', job.input, '--key', job.recipient.key, '--cert', job.recipient.cert, '--verify']
        : ['verify', job.input, ...(c.placement === 'detached' && !(await isMultipartSigned(job.input)) ? ['--content', job.plain] : [])];
    args.push('--trust', job.caCert, ...replay);
    const first = await this.p7mRun(job.trace, [...args, '-o', job.out]);
    if (first.code !== 0) throw new ToolError(first);
    if (c.receive !== 'replay') return;
    // Without a contentIdentifier (openssl, gpgsm, NSS) p7m names the message by its signed attributes, and says so.
    const derived = /replay identity from the signed attributes/.test(first.stderr);
    const again = await this.p7mRun(job.trace, [...args, '-o', join(job.scratch, 'replayed.bin')]);
    if (again.code === 0) throw new Error('p7m accepted the same file a second time (replay not detected)');
    if (!/already seen/.test(again.stderr)) throw new ToolError(again, `second delivery: ${summarize(again)}`);
    return `second delivery refused as already seen${derived ? ', identity from the signed attributes' : ''}`;
  }
}
