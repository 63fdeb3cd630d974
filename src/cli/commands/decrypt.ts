import { parse, str, type Options } from '../args.js';
import { SpooledStdoutSink, batchInputs, openInputFile, outputSink, readWholeFile, refuseSameFile, runBatchCommand } from '../io.js';
import { PROGRESS_HELP, PROGRESS_OPTIONS, type Progress, counted, progressMode, startProgress } from '../progress.js';
import { info, warn } from '../report.js';
import { UsageError } from '../../errors.js';
import { type CliPolicy, VERIFY_HELP, VERIFY_OPTIONS, VERIFY_OPTION_NAMES, describeSigner, verifyPolicy } from '../signer.js';
import type { Verified } from '../../receive.js';
import type { Sink } from '../../io/sink.js';
import type { Identity } from '../../recipient.js';

export const help = `usage: p7m decrypt [IN] (--key KEY [--cert CERT] | --p12 FILE) [--pass SPEC] [-o OUT]
       p7m decrypt (--key KEY [--cert CERT] | --p12 FILE) [--pass SPEC] --out-dir DIR FILE.p7m...

Decrypt a CMS EnvelopedData message (DER, PEM or S/MIME, recognised from its first line) with your
private key. The output file appears only after the whole message decrypted and checked.

options:
  --key KEY        private key: PKCS#1, PKCS#8 or encrypted PKCS#8, PEM or DER; a PEM holding the key
                   and its certificate together works alone
  --cert CERT      your certificate: selects the recipient addressed to it (issuer+serial or SKI)
  --p12 FILE       PKCS#12 / PFX file holding your key and certificate
  --pass SPEC      password: pass:TEXT, env:VAR, file:PATH or stdin (prompted on a terminal if needed)
  -o, --out OUT    output file (default: standard output)
  --out-dir DIR    batch: decrypt each FILE to DIR, named without its .p7m suffix (FILE.out when it
                   has none); a file that fails is reported and the others go on; exit status 1 if
                   any failed. The key is read once.
  --verify         require a signed message (sign-then-encrypt, or triple-wrapped) and check it
                   before any plaintext is released:
${VERIFY_HELP}  --allow-unsigned with --verify, accept a plain envelope too (warns: replay cannot be detected)
${PROGRESS_HELP}

Without --cert, recipients identified by subject key identifier are matched against the key, and
otherwise every RSA recipient of the key's size is tried, as openssl cms -decrypt does.
On standard output the plaintext streams as it is decrypted; a failure at the end (a wrong key or
an altered message) is reported by the exit status 1.

example:
  p7m decrypt report.pdf.p7m --key certs/bob.key.pem --cert certs/bob.pem -o report.pdf
  p7m decrypt smime.p7m --p12 certs/bob.p12 --pass env:P12_PASSWORD
  p7m decrypt --key certs/bob.key.pem --out-dir inbox/ outbox/*.p7m
  p7m decrypt order.p7m --key certs/bob.key.pem --verify --trust certs/ca.pem -o order.txt
`;

const options: Options = {
  key: { type: 'string' },
  cert: { type: 'string' },
  p12: { type: 'string' },
  pass: { type: 'string' },
  out: { type: 'string', short: 'o' },
  'out-dir': { type: 'string' },
  verify: { type: 'boolean' },
  'allow-unsigned': { type: 'boolean' },
  ...VERIFY_OPTIONS,
  ...PROGRESS_OPTIONS,
};

/** DIR/NAME for FILE.p7m, DIR/FILE.out for anything else (never the input's own name). */
export function decryptedName(base: string): string {
  const stripped = base.replace(/\.p7m$/i, '');
  return stripped !== base && stripped !== '' ? stripped : `${base}.out`;
}

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  const outDir = str(v['out-dir']);
  const out = str(v.out);
  if (outDir !== undefined && out !== undefined) throw new UsageError('give either -o OUT or --out-dir DIR, not both');
  if (outDir === undefined && positionals.length > 1) throw new UsageError('decrypt takes one input file; use --out-dir DIR for several');
  const key = str(v.key);
  const p12 = str(v.p12);
  if ((key === undefined) === (p12 === undefined)) throw new UsageError('give either --key KEY (with optional --cert CERT) or --p12 FILE');
  if (p12 !== undefined && v.cert !== undefined) throw new UsageError('--cert goes with --key, not with --p12');
  const progress = progressMode(args);
  const jobs = outDir === undefined ? null : batchInputs(positionals, outDir, decryptedName);
  if (jobs === null) refuseSameFile(positionals[0], out);
  const verifying = v.verify === true;
  if (!verifying && [...VERIFY_OPTION_NAMES, 'allow-unsigned'].some((name) => v[name] !== undefined)) {
    throw new UsageError(`${[...VERIFY_OPTION_NAMES, 'allow-unsigned'].map((n) => `--${n}`).join(', ')} go with --verify`);
  }
  const verify = verifying ? { policy: await verifyPolicy(v, warn), allowUnsigned: v['allow-unsigned'] === true } : undefined;

  // The key is read (and its password asked for) once, also for a batch.
  const { resolveIdentity } = await import('../../decrypt.js');
  const { passwordSource } = await import('../../keys/pass.js');
  const password = passwordSource(str(v.pass), `password for ${key ?? p12!}: `);
  const identity = p12 !== undefined
    ? await resolveIdentity({ pkcs12: await readWholeFile(p12, 'PKCS#12 file'), password })
    : await resolveIdentity({
      key: await readWholeFile(key!, 'key'),
      ...(v.cert !== undefined ? { certificate: await readWholeFile(str(v.cert)!, 'certificate') } : {}),
      password,
    });

  if (jobs === null) {
    const input = openInputFile(positionals[0]);
    const toStdout = out === undefined || out === '-';
    const bar = startProgress({ mode: progress, total: input.size, verb: 'decrypting' });
    try {
      // Several candidate recipients (a bare key) on standard output: each is spooled to a private
      // temp file and only the one whose padding checks is copied out.
      const source = verify ? await tripleWrapOr(input.borrowed(), identity, verify.policy, out) : input.borrowed();
      if (source === null) return 0; // a triple-wrapped message, handled whole
      // On standard output, plaintext that must be checked first (several candidates, --verify, or an
      // AuthEnvelopedData, whose whole point is that nothing unauthenticated comes out) is spooled to a
      // private temp file and copied out only once it is accepted. CBC alone streams (README).
      const check = await decryptOne(identity, source, input.size,
        (count, authenticated) => ((count > 1 || verify || authenticated) && toStdout ? SpooledStdoutSink.create() : outputSink(out)), bar, verify);
      reportVerified(check, verify);
    } finally {
      await bar.stop();
    }
    return 0;
  }

  const { FileSink } = await import('../../io/sink.js');
  const bar = startProgress({ mode: progress, total: jobs.total, verb: 'decrypting', files: jobs.list.length });
  return runBatchCommand(jobs.list, bar, 'decrypt', async (job) => {
    refuseSameFile(job.input, job.output);
    const input = openInputFile(job.input);
    const check = await decryptOne(identity, input.borrowed(), input.size, () => FileSink.create(job.output), bar, verify);
    reportVerified(check, verify, job.input);
  });
}

type VerifySpec = { policy: CliPolicy; allowUnsigned: boolean };

/** With --verify the plaintext goes through a VerifyingSink: committed only after signature, chain, freshness and replay checks. */
async function decryptOne(
  identity: Identity, source: AsyncIterable<Uint8Array>, size: number | null,
  sinkFor: (count: number, authenticated: boolean) => Promise<Sink>, bar: Progress, verify?: VerifySpec,
): Promise<Verified | 'unsigned' | undefined> {
  const { openDecryption } = await import('../../decrypt.js');
  const { reclaimer, reclaiming } = await import('../reclaim.js');
  const memory = reclaimer(size);
  const src = counted(source, bar);
  try {
    const core = await openDecryption(src, identity);
    if (!verify) {
      await core.run(async (_i, count) => reclaiming(await sinkFor(count, core.info.header.authenticated), memory, 'collect'));
      return undefined;
    }
    const { VerifyingSink } = await import('../../receive.js');
    const sinks: InstanceType<typeof VerifyingSink>[] = [];
    await core.run(async (_i, count) => {
      const vs = new VerifyingSink(reclaiming(await sinkFor(count, core.info.header.authenticated), memory, 'collect'), verify.policy, core.info.contentType, verify.allowUnsigned);
      sinks.push(vs);
      return vs;
    });
    const winner = sinks.find((x) => x.result !== undefined || x.unsigned);
    return winner?.unsigned ? 'unsigned' : winner?.result;
  } finally {
    // A message that ends in an error before its last byte leaves the input open: close it now, not
    // at garbage collection (a batch of many bad files would run out of file descriptors).
    await src.return(undefined);
  }
}

function reportVerified(check: Verified | 'unsigned' | undefined, verify: VerifySpec | undefined, file?: string): void {
  if (!verify) return;
  const where = file ? `${file}: ` : '';
  if (check === 'unsigned') warn(`${where}the message is not signed: accepted because of --allow-unsigned, but its origin is unknown and a replay cannot be detected`);
  else if (check) info(`${where}verified: ${describeSigner(check)}`);
}

/**
 * A triple-wrapped message (RFC 2634 §1.1) starts with SignedData, not EnvelopedData: it is verified,
 * decrypted and verified again as a whole (src/triple.ts). Returns null when it handled the message,
 * else the (re-assembled) input for the streaming path.
 */
async function tripleWrapOr(source: AsyncIterable<Uint8Array>, identity: Identity, policy: CliPolicy, out: string | undefined): Promise<AsyncIterable<Uint8Array> | null> {
  const { openInput } = await import('../../stream/armor.js');
  const { peekContentType } = await import('../../stream/peek.js');
  const { OID } = await import('../../oids.js');
  const { contentType, stream } = await peekContentType((await openInput(source)).der);
  if (contentType !== OID.signedData) return stream;
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(Uint8Array.from(c));
  const { decryptTripleWrapped } = await import('../../triple.js');
  const r = await decryptTripleWrapped(Buffer.concat(parts), { identity, verify: policy });
  const sink = await outputSink(out);
  try {
    await sink.write(r.content);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  info(`verified (triple-wrapped, same signer inside and out): ${describeSigner(r.inner)}`);
  return null;
}
