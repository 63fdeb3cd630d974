// p7m itself, driven through its built CLI (dist/src/cli/main.js), the fixed side of every pair.
//
// Through the CLI on purpose: that is what users run, and it is the only way to exercise the
// streaming paths: a regular file in gives definite-length DER, a pipe on stdin gives
// indefinite-length BER; a streamed message is decrypted from stdin to stdout the same way.
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Case, Cipher, KeyTransport } from '../cases.js';
import { limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type Party } from '../party.js';
import { P12_PASSWORD } from '../pki.js';
import { WORK } from '../root.js';
import { run, summarize, ToolError, type RunOptions, type Trace } from '../run.js';

const CIPHER: Record<Cipher, string> = {
  des3: 'des-ede3-cbc',
  aes128: 'aes-128-cbc',
  aes192: 'aes-192-cbc',
  aes256: 'aes-256-cbc',
};

const KT: Record<KeyTransport, string[]> = {
  pkcs1: ['--key-transport', 'pkcs1'],
  'oaep-sha1': ['--key-transport', 'oaep', '--oaep-hash', 'sha1'],
  'oaep-sha256': ['--key-transport', 'oaep', '--oaep-hash', 'sha256'],
};

export class P7mParty implements Party {
  readonly id = 'p7m';
  readonly title = 'p7m (this project, CLI)';
  readonly install = 'npm run build';
  readonly parallel = 2;
  readonly cli: string;
  private exe: string;
  private snapshot: string | null = null;

  constructor(readonly root: string) {
    this.cli = join(root, 'dist', 'src', 'cli', 'main.js');
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
   * Runs use a copy of dist/src taken at start: `npm test` and other engineers rebuild dist/ while
   * a matrix may be running, and a half-written build must not turn into 200 failing cells. The
   * copy sits under test/.work/ so that node_modules still resolves; traces show the real path.
   */
  async start(): Promise<void> {
    const snap = await mkdtemp(join(WORK, 'p7m-build-'));
    this.snapshot = snap;
    await cp(join(this.root, 'dist', 'src'), join(snap, 'dist', 'src'), { recursive: true });
    await cp(join(this.root, 'package.json'), join(snap, 'package.json'));
    this.exe = join(snap, 'dist', 'src', 'cli', 'main.js');
    const r = await run(process.execPath, [this.exe, '--version']);
    if (r.code !== 0) throw new ToolError(r, `p7m --version (copy of dist/src): ${summarize(r)}`);
  }

  async stop(): Promise<void> {
    if (this.snapshot) await rm(this.snapshot, { recursive: true, force: true });
    this.snapshot = null;
    this.exe = this.cli;
  }

  private async p7m(trace: Trace, args: string[], opts: RunOptions = {}): Promise<void> {
    const r = await run(process.execPath, [this.exe, ...args], opts);
    const shown = this.snapshot ? { ...r, command: r.command.split(this.snapshot).join(this.root) } : r;
    trace.add(shown);
    if (r.code !== 0) throw new ToolError(shown);
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
}
