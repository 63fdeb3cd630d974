/**
 * Where plaintext (or a written message) goes. A sink is committed only after everything was checked
 * (last CBC block's padding, and for signed messages the signature and replay checks); until then a
 * file output lives in a private temporary file beside the target, renamed into place on commit.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import { IoError } from '../errors.js';
import * as afs from './fs-async.js';

export interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export class MemorySink implements Sink {
  readonly chunks: Uint8Array[] = [];
  size = 0;
  committed = false;
  async write(chunk: Uint8Array): Promise<void> {
    // copy: callers may reuse their buffers
    this.chunks.push(Uint8Array.from(chunk));
    this.size += chunk.length;
  }
  async commit(): Promise<void> { this.committed = true; }
  async abort(): Promise<void> { this.chunks.length = 0; this.size = 0; }
  bytes(): Uint8Array { return Buffer.concat(this.chunks, this.size); }
}

/**
 * Gather writes into ~1 MiB batches, written with one writev (no copy into a larger buffer: a fresh
 * megabyte costs page faults, and small pieces, such as 4 KiB segments of `openssl cms -stream`,
 * would be copied once more).
 */
const WRITE_BATCH = 1 << 20;

function ioError(what: string, e: unknown): IoError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOENT' ? 'no such file or directory'
    : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
    : code === 'ENOSPC' ? 'no space left on device'
    : code === 'EISDIR' ? 'is a directory'
    : code ?? 'i/o error';
  return new IoError(`${what}: ${reason}`, { cause: e });
}

/**
 * A temp file beside `target`, created exclusively with mode 0600 (plaintext and keys are private),
 * renamed over the target on commit, removed on abort. Nothing at `target` changes before commit.
 */
export class FileSink implements Sink {
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  /**
   * The batch being written, if any: one batch is written while the next is gathered (the disk and
   * the cipher work at once), and never more than one, which bounds the memory held.
   */
  private inflight: Promise<void> | null = null;
  /**
   * Called with each batch once it is written: the CLI gives the memory of its own buffers back
   * then (src/cli/reclaim.ts). A library caller's chunks are never handed to anything but the file.
   */
  onWritten: ((batch: readonly Uint8Array[]) => void) | null = null;
  /** The temp file's descriptor; null once closed (a number is never closed twice: it may be reused). */
  private fd: number | null;
  private constructor(readonly target: string, readonly tmp: string, fd: number) { this.fd = fd; }

  static async create(target: string): Promise<FileSink> {
    const dir = path.dirname(path.resolve(target));
    const tmp = path.join(dir, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.p7m-tmp`);
    try {
      return new FileSink(target, tmp, await afs.open(tmp, 'wx', 0o600));
    } catch (e) {
      throw ioError(`cannot write ${target}`, e);
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    if (this.pendingSize >= WRITE_BATCH) await this.flush();
  }

  /** Waits for the batch in flight (reporting its failure), then starts writing the pending one. */
  private async flush(): Promise<void> {
    await this.settle();
    if (this.pendingSize === 0) return;
    const batch = this.pending;
    this.pending = []; this.pendingSize = 0;
    // libuv writes the whole batch (it loops on short writes) or fails.
    const fd = this.fd;
    if (fd === null) throw new IoError(`cannot write ${this.target}: already closed`);
    const p = (batch.length === 1 ? afs.write(fd, batch[0]!) : afs.writev(fd, batch)).then(
      () => { this.onWritten?.(batch); },
      (e: unknown) => { throw ioError(`cannot write ${this.target}`, e); },
    );
    p.catch(() => undefined); // observed by the next settle(); not an unhandled rejection meanwhile
    this.inflight = p;
  }

  private async settle(): Promise<void> {
    const p = this.inflight;
    this.inflight = null;
    if (p) await p;
  }

  async commit(): Promise<void> {
    try {
      await this.flush();
      await this.settle();
      await this.closeFd();
      await afs.rename(this.tmp, this.target);
    } catch (e) {
      await this.abort();
      throw e instanceof IoError ? e : ioError(`cannot write ${this.target}`, e);
    }
  }

  async abort(): Promise<void> {
    this.pending = []; this.pendingSize = 0;
    await this.settle().catch(() => undefined);
    await this.closeFd().catch(() => undefined);
    await afs.unlink(this.tmp).catch(() => undefined);
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    if (fd === null) return;
    this.fd = null;
    await afs.close(fd);
  }
}

/**
 * Standard output: streams as it goes; a late failure is reported by the exit status (README).
 * Batches are handed to the stream corked, so a pipe gets them in one writev, without a copy.
 */
export class StdoutSink implements Sink {
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  constructor(private readonly out: NodeJS.WritableStream & Partial<Pick<Writable, 'cork' | 'uncork'>> = process.stdout) {}
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.pending.push(chunk); this.pendingSize += chunk.length;
    if (this.pendingSize >= WRITE_BATCH) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.pendingSize === 0) return;
    const batch = this.pending;
    this.pending = []; this.pendingSize = 0;
    const out = this.out;
    await new Promise<void>((resolve, reject) => {
      out.cork?.();
      for (let i = 0; i < batch.length - 1; i++) out.write(batch[i]!);
      // The stream calls back in order: the last write's callback reports the whole batch.
      out.write(batch[batch.length - 1]!, (err) => (err ? reject(ioError('cannot write to standard output', err)) : resolve()));
      out.uncork?.();
    });
  }
  async commit(): Promise<void> { await this.flush(); }
  async abort(): Promise<void> { this.pending = []; this.pendingSize = 0; }
}
