/** File and terminal plumbing shared by the commands. */
import { createReadStream, promises as fsp, realpathSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IoError, UsageError } from '../errors.js';
import { FileSink, StdoutSink, type Sink } from '../io/sink.js';

/** Read-chunk size of the content path: ~1 MiB (64 KiB halves throughput here). */
export const READ_CHUNK = 1 << 20;

export interface InputSource {
  readonly name: string;
  /** Size in bytes when IN is a regular file (known in advance), else null. */
  readonly size: number | null;
  stream(): AsyncIterable<Uint8Array>;
}

export function openInputFile(file: string | undefined): InputSource {
  if (file === undefined || file === '-') {
    // Standard input's size is not known in advance: the output is indefinite-length BER.
    return { name: 'standard input', size: null, stream: () => process.stdin };
  }
  let st;
  try {
    st = statSync(file);
  } catch (e) {
    throw new IoError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (st.isDirectory()) throw new IoError(`cannot read ${file}: is a directory`);
  return {
    name: file,
    size: st.isFile() ? st.size : null,
    stream: () => {
      const s = createReadStream(file, { highWaterMark: READ_CHUNK });
      return (async function* () {
        try {
          for await (const c of s) yield c as Buffer;
        } catch (e) {
          throw new IoError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      })();
    },
  };
}

export async function readWholeFile(file: string, what: string): Promise<Uint8Array> {
  try {
    return await fsp.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new IoError(`cannot read ${what} ${file}: ${reason}`);
  }
}

/** OUT must not be IN: writing over the input would destroy it before it is read. */
export function refuseSameFile(input: string | undefined, output: string | undefined): void {
  if (!input || !output || input === '-' || output === '-') return;
  const real = (p: string): string => { try { return realpathSync(p); } catch { return path.resolve(p); } };
  if (real(input) === real(output)) throw new UsageError(`the output file ${output} is the input file`);
}

/** File outputs go through a temp file renamed on commit; stdout streams. */
export async function outputSink(out: string | undefined): Promise<Sink> {
  if (out === undefined || out === '-') return new StdoutSink();
  return FileSink.create(out);
}

/** For several decryption candidates on stdout: spool each to a private temp file, copy the winner. */
export class SpooledStdoutSink implements Sink {
  private constructor(private readonly file: FileSink, private readonly target: string) {}
  static async create(): Promise<SpooledStdoutSink> {
    const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'p7m-'));
    const target = path.join(dir, 'plain');
    return new SpooledStdoutSink(await FileSink.create(target), target);
  }
  write(c: Uint8Array): Promise<void> { return this.file.write(c); }
  async commit(): Promise<void> {
    await this.file.commit();
    const out = new StdoutSink();
    try {
      for await (const c of createReadStream(this.target, { highWaterMark: READ_CHUNK })) await out.write(c as Buffer);
      await out.commit();
    } finally {
      await fsp.rm(path.dirname(this.target), { recursive: true, force: true });
    }
  }
  async abort(): Promise<void> {
    await this.file.abort();
    await fsp.rm(path.dirname(this.target), { recursive: true, force: true });
  }
}
