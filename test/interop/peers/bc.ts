// Bouncy Castle 1.7x through test/interop/BcDriver.java: compiled once (cached by source hash),
// then ONE JVM serves every request of the run over a line protocol on stdin/stdout.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, mkdtemp } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { Case } from '../cases.js';
import { limitsOf, MissingTool, type DecryptJob, type EncryptJob, type Limit, type SignJob, type SigningParty, type VerifyJob } from '../party.js';
import { scheme, type SignedCase } from '../signed-cases.js';
import { run, runOk, Trace } from '../run.js';
import { ROOT } from '../root.js';

// The Java source stays in test/interop/ (tsc does not copy it to dist/).
const SOURCE = join(ROOT, 'test', 'interop', 'BcDriver.java');
const JAR_DIR = process.env.P7M_BC_JARS ?? '/usr/share/java';
const JARS = ['bcprov.jar', 'bcpkix.jar', 'bcutil.jar'].map((j) => join(JAR_DIR, j));

class Jvm {
  private next = 1;
  private readonly pending = new Map<string, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited: Error | null = null;

  constructor(readonly child: ChildProcessWithoutNullStreams, readonly ready: Promise<string>) {}

  static start(classDir: string): Jvm {
    const child = spawn('java', ['-cp', [classDir, ...JARS].join(':'), 'BcDriver'], { stdio: 'pipe' });
    let resolveReady!: (v: string) => void;
    let rejectReady!: (e: Error) => void;
    const ready = new Promise<string>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    const jvm = new Jvm(child, ready);
    child.stderr.on('data', (b: Buffer) => {
      jvm.stderr = (jvm.stderr + b.toString()).slice(-4000);
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [id, status, ...rest] = line.split('\t');
      const text = rest.join('\t').replace(/\\(.)/g, (_m, ch: string) => ({ t: '\t', n: '\n', r: '\r' })[ch] ?? ch);
      if (id === 'ready') return resolveReady(text);
      const p = jvm.pending.get(id!);
      if (!p) return;
      jvm.pending.delete(id!);
      if (status === 'ok') p.resolve(text);
      else p.reject(new Error(text || 'BcDriver failed without a message'));
    });
    child.on('error', (e) => rejectReady(e));
    child.on('exit', (code, signal) => {
      jvm.exited = new Error(`BcDriver JVM exited (${signal ?? code}): ${jvm.stderr.trim()}`);
      rejectReady(jvm.exited);
      for (const p of jvm.pending.values()) p.reject(jvm.exited);
      jvm.pending.clear();
    });
    return jvm;
  }

  request(command: string, opts: Record<string, string>): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    const id = String(this.next++);
    const fields = [id, command, ...Object.entries(opts).map(([k, v]) => `${k}=${v}`)];
    if (fields.some((f) => /[\t\n]/.test(f))) return Promise.reject(new Error('tab or newline in a BcDriver argument'));
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${fields.join('\t')}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((res) => this.child.once('exit', () => res()));
    await this.request('quit', {}).catch(() => null);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
}

export class BcPeer implements SigningParty {
  readonly id = 'bc';
  readonly title = 'Bouncy Castle (Java)';
  readonly install = 'apt-get install -y default-jdk-headless libbcprov-java libbcpkix-java libbcutil-java';
  // The JVM answers one request at a time.
  readonly parallel = 1;
  private jvm: Jvm | null = null;
  private version = '';

  constructor(private readonly cacheRoot: string) {}

  async detect(): Promise<string> {
    for (const jar of JARS) if (!existsSync(jar)) throw new MissingTool(`${jar} not found`);
    for (const tool of ['java', 'javac']) {
      const r = await run(tool, ['-version']).catch(() => null);
      if (!r || r.code !== 0) throw new MissingTool(`${tool} not found`);
    }
    if (!this.version) {
      await this.start();
      return this.version;
    }
    return this.version;
  }

  /** javac into a cache directory named by the source's and the jars' hash. */
  private async compile(): Promise<string> {
    const h = createHash('sha256').update(await readFile(SOURCE));
    for (const jar of JARS) h.update(jar).update(String((await readFile(jar)).length));
    const dir = join(this.cacheRoot, `bc-${h.digest('hex').slice(0, 16)}`);
    if (existsSync(join(dir, 'BcDriver.class'))) return dir;
    await mkdir(this.cacheRoot, { recursive: true });
    const tmp = await mkdtemp(join(this.cacheRoot, '.bc-'));
    try {
      await runOk(new Trace(), 'javac', ['-nowarn', '-d', tmp, '-cp', JARS.join(':'), SOURCE]);
      await rename(tmp, dir).catch((e: NodeJS.ErrnoException) => {
        if (!existsSync(join(dir, 'BcDriver.class'))) throw e;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return dir;
  }

  async start(): Promise<void> {
    if (this.jvm) return;
    const jvm = Jvm.start(await this.compile());
    this.jvm = jvm;
    this.version = await jvm.ready;
  }

  async stop(): Promise<void> {
    await this.jvm?.stop();
    this.jvm = null;
  }

  writeLimits(c: Case): Limit[] {
    return limitsOf([
      [c.form === 'smime', SMIME],
      [c.cipher === 'aes256-gcm' && c.encoding === 'indefinite', {
        why: 'BC 1.72 writes AuthEnvelopedData with CMSAuthEnvelopedDataGenerator only: no streaming (indefinite) generator',
        expect: /no streaming AuthEnvelopedData generator/,
      }],
    ]);
  }

  readLimits(c: Case): Limit[] {
    return limitsOf([[c.form === 'smime', SMIME]]);
  }

  private async call(trace: Trace, command: string, opts: Record<string, string>): Promise<void> {
    if (!this.jvm) throw new Error('BcDriver is not running');
    const shown = `BcDriver ${command} ${Object.entries(opts).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    try {
      await this.jvm.request(command, opts);
      trace.note(shown, 0, '');
    } catch (e) {
      trace.note(shown, 1, (e as Error).message);
      throw e;
    }
  }

  async encrypt(job: EncryptJob): Promise<void> {
    const { c } = job;
    await this.call(job.trace, 'encrypt', {
      in: job.plain,
      out: job.out,
      certs: job.recipients.map((r) => r.cert).join(','),
      cipher: c.cipher,
      kt: c.kt,
      rid: c.rid,
      form: c.form,
      encoding: c.encoding,
    });
  }

  async decrypt(job: DecryptJob): Promise<void> {
    await this.call(job.trace, 'decrypt', {
      in: job.input,
      out: job.out,
      cert: job.identity.cert,
      key: job.identity.key,
      form: job.c.form,
    });
  }

  signWriteLimits(c: SignedCase): Limit[] {
    return limitsOf([[c.form === 'smime', SMIME]]);
  }

  signReadLimits(c: SignedCase, _writer: string): Limit[] {
    return limitsOf([[c.form === 'smime', SMIME]]);
  }

  async sign(job: SignJob): Promise<void> {
    const { c } = job;
    await this.call(job.trace, 'sign', {
      in: job.plain,
      out: job.out,
      cert: job.signer.cert,
      key: job.signer.key,
      ca: job.caCert,
      op: c.op,
      sig: scheme(c.sig),
      digest: c.digest,
      placement: c.placement,
      form: c.form,
      // Only BC among the peers can add one: asked for in the replay rows, so that they cover both of
      // p7m's replay identities (a contentIdentifier from BC, the signed attributes' hash from the others).
      contentid: c.receive === 'replay' ? 'yes' : 'no',
      recip: job.recipient.cert,
    });
  }

  async verify(job: VerifyJob): Promise<void> {
    const { c } = job;
    await this.call(job.trace, 'verify', {
      in: job.input,
      out: job.out,
      ca: job.caCert,
      op: c.op,
      form: c.form,
      cert: job.recipient.cert,
      key: job.recipient.key,
      ...(c.placement === 'detached' ? { content: job.plain } : {}),
    });
  }
}

/** The same words as for encryption: requireForm() in BcDriver.java asks for bcmail's class. */
const SMIME: Limit = {
  why: 'S/MIME framing is in bcmail (needs JavaMail), not in bcprov/bcpkix/bcutil',
  expect: /ClassNotFoundException: org\.bouncycastle\.mail\.smime/,
};
