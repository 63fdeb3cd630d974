/**
 * Flat memory: the CLI's peak resident set does not grow with the size of what it encrypts or
 * decrypts. A 200 MB run must stay within 32 MiB of a 20 MB run, in both directions, for a regular
 * file (definite DER) and for a pipe (indefinite BER).
 *
 * The peak is the child's own VmHWM (Linux /proc/self/status), written by a module preloaded with
 * --import when the process exits. Skipped where /proc is missing. Needs `npm run build`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { CLI, explain, run, type RunOptions } from './helpers/spawn.js';
import { DEMO } from './helpers/demo.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('p7m-memory-');
after(() => tmp.remove());

const MiB = 1 << 20;
const MARGIN = 32 * MiB;
const SMALL = 20_000_000;
const LARGE = 200_000_000;
const skip = existsSync('/proc/self/status') ? false : 'needs /proc (Linux) to read the peak RSS';

/** Preloaded into the child: its peak RSS, in bytes, to the file named by P7M_TEST_HWM at exit. */
const HWM_PRELOAD = `data:text/javascript,${encodeURIComponent(`
import { readFileSync, writeFileSync } from 'node:fs';
process.on('exit', () => {
  const m = /VmHWM:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  if (m) writeFileSync(process.env.P7M_TEST_HWM, String(Number(m[1]) * 1024));
});`)}`;

let seq = 0;
/** Runs the CLI and returns its peak RSS in bytes. */
async function peak(args: string[], opts: RunOptions = {}): Promise<number> {
  const hwm = tmp.join(`hwm-${seq++}`);
  const env: NodeJS.ProcessEnv = { ...process.env, P7M_TEST_HWM: hwm };
  delete env.P7M_DEBUG;
  const r = await run(process.execPath, ['--import', HWM_PRELOAD, CLI, ...args], { ...opts, env, timeoutMs: 300_000 });
  assert.equal(r.status, 0, explain(r));
  return Number(readFileSync(hwm, 'utf8'));
}

/** A file of `size` bytes without spending time on randomness (the cipher does not care). */
function makeFile(name: string, size: number): string {
  const f = tmp.join(name);
  const block = Buffer.alloc(4 * MiB);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  const fd = openSync(f, 'w');
  for (let left = size; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
  closeSync(fd);
  return f;
}

async function shaFile(f: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(f, { highWaterMark: 4 * MiB })) h.update(c as Buffer);
  return h.digest('hex');
}

const fmt = (b: number): string => `${(b / MiB).toFixed(1)} MiB`;

describe('peak RSS does not grow with the content', { skip }, () => {
  const files = new Map<number, string>();
  before(() => {
    for (const size of [SMALL, LARGE]) files.set(size, makeFile(`in-${size}.bin`, size));
  });

  const cases: { name: string; args: (size: number) => string[]; opts?: (size: number) => RunOptions }[] = [
    { name: 'encrypt, regular file → file (definite)', args: (s) => ['encrypt', files.get(s)!, '-r', DEMO.bob, '-o', tmp.join(`def-${s}.p7m`)] },
    { name: 'decrypt, definite file → file', args: (s) => ['decrypt', tmp.join(`def-${s}.p7m`), '--key', DEMO.bobKey, '--cert', DEMO.bob, '-o', tmp.join(`def-${s}.out`)] },
    { name: 'encrypt, pipe → file (indefinite)', args: (s) => ['encrypt', '-r', DEMO.bob, '-o', tmp.join(`ind-${s}.p7m`)], opts: (s) => ({ stdin: { file: files.get(s)! } }) },
    { name: 'decrypt, indefinite file → file', args: (s) => ['decrypt', tmp.join(`ind-${s}.p7m`), '--key', DEMO.bobKey, '--cert', DEMO.bob, '-o', tmp.join(`ind-${s}.out`)] },
  ];
  for (const c of cases) {
    it(c.name, async (t) => {
      const small = await peak(c.args(SMALL), c.opts?.(SMALL));
      const large = await peak(c.args(LARGE), c.opts?.(LARGE));
      t.diagnostic(`peak RSS: ${fmt(small)} for 20 MB, ${fmt(large)} for 200 MB`);
      assert.ok(large <= small + MARGIN, `peak RSS ${fmt(large)} for 200 MB against ${fmt(small)} for 20 MB: more than ${fmt(MARGIN)} apart`);
    });
  }

  it('the 200 MB outputs are the inputs', async () => {
    const want = await shaFile(files.get(LARGE)!);
    for (const kind of ['def', 'ind']) assert.equal(await shaFile(tmp.join(`${kind}-${LARGE}.out`)), want, kind);
  });
});
