import { list, oneOf, parse, str, type Options } from '../args.js';
import { type Borrowed, type InputSource, batchInputs, openInputFile, outputSink, readWholeFile, refuseSameFile, runBatchCommand } from '../io.js';
import { PROGRESS_HELP, PROGRESS_OPTIONS, type Progress, counted, progressMode, startProgress } from '../progress.js';
import { UsageError } from '../../errors.js';
import { type LoadedSigner, type SignatureChoice, checkSignatureChoice, loadSigner, signatureChoice, signatureHelp, signatureOptions } from '../signer.js';
import type { Sink } from '../../io/sink.js';
import type { EncryptOptions, PreparedEnvelope } from '../../encrypt.js';
import type { OutputForm } from '../../stream/armor.js';

export const help = `usage: p7m encrypt [IN] -r CERT [-r CERT ...] [-o OUT] [--form der|pem|smime]
                   [--cipher aes-{128,192,256}-{cbc,gcm}] [--key-transport pkcs1|oaep]
                   [--oaep-hash sha1|sha256|sha384|sha512] [--rid issuer-serial|ski] [--allow-expired]
       p7m encrypt -r CERT [-r CERT ...] --out-dir DIR FILE... [options]

Encrypt IN (default: standard input) for each recipient certificate, as CMS EnvelopedData
(AuthEnvelopedData with an AES-GCM --cipher).
A random session key encrypts the content; it is encrypted for each recipient with the RSA key in
their certificate (KeyTransRecipientInfo).

options:
  -r, --recipient CERT   recipient certificate, PEM or DER; a PEM with several certificates adds each
  -o, --out OUT          output file (default: standard output); written only if encryption succeeds
  --out-dir DIR          batch: encrypt each FILE to DIR/FILE.p7m (a fresh session key for each);
                         a file that fails is reported and the others go on; exit status 1 if any failed
  --form FORM            der (default), pem (-----BEGIN CMS-----) or smime (application/pkcs7-mime)
  --cipher NAME          content cipher (default aes-256-cbc); aes-128-gcm, aes-192-gcm, aes-256-gcm
                         write AuthEnvelopedData (RFC 5083/5084): the content is authenticated,
                         so a modified message is refused; openssl 3 and Bouncy Castle read it,
                         gpgsm 2.2 and NSS 3.87 do not
  --key-transport KT     pkcs1 (default, RSAES-PKCS1-v1_5) or oaep (RSAES-OAEP, RFC 4055)
  --oaep-hash HASH       hash for OAEP and its MGF1 (default sha256)
  --rid KIND             recipient identifier: issuer-serial (default) or ski
  --allow-expired        accept recipient certificates outside their validity period
  --sign-cert CERT       sign first (replay-proof: signingTime and a unique contentIdentifier are
  --sign-key KEY           signed), then encrypt the signed message; or --sign-p12 FILE
  --sign-pass SPEC       password for the signing key or PKCS#12 file
  --sign-certfile FILE   more certificates to include in the signature (the chain)
${signatureHelp('sign-')}  --triple-wrap          sign, encrypt, sign again (RFC 2634 §1.1): binds the sender to the recipient
                         list, against surreptitious forwarding (one file, held in memory)
${PROGRESS_HELP}

A regular file as IN gives definite-length DER; standard input or a pipe gives indefinite-length
BER (the content is streamed, never held in memory).

example:
  p7m encrypt report.pdf -r certs/bob.pem -o report.pdf.p7m
  p7m encrypt msg.txt -r bob.pem -r carol.pem --key-transport oaep --form smime -o smime.p7m
  p7m encrypt -r certs/bob.pem --out-dir outbox/ invoices/*.pdf
  p7m encrypt order.txt -r certs/bob.pem --sign-cert certs/alice.pem --sign-key certs/alice.key.pem -o order.p7m
  p7m encrypt order.txt -r certs/bob.pem --sign-p12 certs/bob.p12 --sign-digest sha512 --sign-pss -o order.p7m
`;

const options: Options = {
  recipient: { type: 'string', short: 'r', multiple: true },
  out: { type: 'string', short: 'o' },
  'out-dir': { type: 'string' },
  form: { type: 'string' },
  cipher: { type: 'string' },
  'key-transport': { type: 'string' },
  'oaep-hash': { type: 'string' },
  rid: { type: 'string' },
  'allow-expired': { type: 'boolean' },
  'sign-cert': { type: 'string' },
  'sign-key': { type: 'string' },
  'sign-p12': { type: 'string' },
  'sign-pass': { type: 'string' },
  'sign-certfile': { type: 'string', multiple: true },
  ...signatureOptions('sign-'),
  'triple-wrap': { type: 'boolean' },
  ...PROGRESS_OPTIONS,
};

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  const outDir = str(v['out-dir']);
  const out = str(v.out);
  if (outDir !== undefined && out !== undefined) throw new UsageError('give either -o OUT or --out-dir DIR, not both');
  if (outDir === undefined && positionals.length > 1) throw new UsageError('encrypt takes one input file; use --out-dir DIR for several');
  const recipientFiles = list(v.recipient);
  if (recipientFiles.length === 0) throw new UsageError('at least one recipient certificate is required (-r CERT)');
  const form = oneOf(v.form, ['der', 'pem', 'smime'] as const, '--form', 'der');
  const cipher = oneOf(v.cipher, ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc', 'aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'] as const, '--cipher', 'aes-256-cbc');
  const keyTransport = oneOf(v['key-transport'], ['pkcs1', 'oaep'] as const, '--key-transport', 'pkcs1');
  const oaepHash = oneOf(v['oaep-hash'], ['sha1', 'sha256', 'sha384', 'sha512'] as const, '--oaep-hash', 'sha256');
  if (v['oaep-hash'] !== undefined && keyTransport !== 'oaep') throw new UsageError('--oaep-hash needs --key-transport oaep');
  const rid = oneOf(v.rid, ['issuer-serial', 'ski'] as const, '--rid', 'issuer-serial');
  const progress = progressMode(args);
  const jobs = outDir === undefined ? null : batchInputs(positionals, outDir, (name) => `${name}.p7m`);
  if (jobs === null) refuseSameFile(positionals[0], out);
  // One file: it starts being read now, so that its first piece is in memory when the certificates
  // are loaded and the key is wrapped (~4 ms of a 100 MiB encrypt here otherwise spent waiting).
  const single = jobs === null && v['triple-wrap'] !== true ? openInputFile(positionals[0]) : null;
  const content = single?.borrowed();
  try {
    return await setUpAndEncrypt();
  } finally {
    // Read to the end on success; released unread when the set-up failed.
    await content?.release();
  }

  async function setUpAndEncrypt(): Promise<number> {
    // Certificates are read and parsed once, also for a batch; each file still gets its own session key.
    const { loadCertificates } = await import('../../keys/certificate.js');
    // All are read at once, and parsed in order (the first bad one is the one reported).
    const certFiles = recipientFiles.map((f) => readWholeFile(f, 'certificate'));
    for (const p of certFiles) p.catch(() => undefined); // each is awaited below
    // A large file: the allocator is primed now, while those files are read (src/cli/reclaim.ts).
    if (single) (await import('../reclaim.js')).primeFor(single.size);
    const recipients = [];
    for (const f of certFiles) recipients.push(...loadCertificates(await f));
    const { prepareEnvelope } = await import('../../encrypt.js');
    // Sign-then-encrypt (src/send.ts): the signed message, a ContentInfo, is the enveloped id-data.
    const signing = v['sign-cert'] !== undefined || v['sign-key'] !== undefined || v['sign-p12'] !== undefined;
    if (v['triple-wrap'] === true && !signing) throw new UsageError('--triple-wrap needs a signer (--sign-cert CERT --sign-key KEY, or --sign-p12 FILE)');
    const choice = signatureChoice(v, 'sign-');
    for (const [opt, given] of [['--sign-digest', choice.digest !== undefined], ['--sign-pss', choice.pss]] as const) {
      if (given && !signing) throw new UsageError(`${opt} needs a signer (--sign-cert CERT --sign-key KEY, or --sign-p12 FILE)`);
    }
    const signer = signing
      ? withChoice(await loadSigner({ cert: str(v['sign-cert']), key: str(v['sign-key']), p12: str(v['sign-p12']), pass: str(v['sign-pass']), certfile: list(v['sign-certfile']) }), choice)
      : undefined;
    const envOpts: EncryptOptions = { recipients, cipher, keyTransport, oaepHash, rid, allowExpired: v['allow-expired'] === true };
    if (v['triple-wrap'] === true) {
      if (jobs !== null) throw new UsageError('--triple-wrap works on one file at a time');
      return tripleWrapOne(envOpts, signer!, positionals[0], out, form);
    }
    // Checks every certificate before any file is touched (an expired one fails here, once).
    const first = await prepareEnvelope(envOpts);

    if (single !== null && content !== undefined) {
      const bar = startProgress({ mode: progress, total: single.size, verb: 'encrypting' });
      try {
        await encryptOne(first, single, content, await outputSink(out), form, bar, signer);
      } finally {
        await bar.stop();
      }
      return 0;
    }

    let unused: PreparedEnvelope | null = first;
    const { FileSink } = await import('../../io/sink.js');
    const batch = jobs!;
    const bar = startProgress({ mode: progress, total: batch.total, verb: 'encrypting', files: batch.list.length });
    return runBatchCommand(batch.list, bar, 'encrypt', async (job) => {
      refuseSameFile(job.input, job.output);
      const input = openInputFile(job.input);
      // A fresh session key for every file (the first reuses the one prepared above, unused so far).
      const env = unused ?? await prepareEnvelope(envOpts);
      unused = null;
      const sink = await FileSink.create(job.output);
      await encryptOne(env, input, input.borrowed(), sink, form, bar, signer);
    });
  }
}

const PIPE_CHUNK = 64 << 10;

/** The signer with the chosen digest and scheme (src/send.ts SignerOptions), for both sign-then-encrypt and --triple-wrap. */
type Signer = LoadedSigner & Pick<SignatureChoice, 'pss'> & { digest?: NonNullable<SignatureChoice['digest']> };

function withChoice(signer: LoadedSigner, choice: SignatureChoice): Signer {
  checkSignatureChoice(choice, signer, 'sign-');
  return { ...signer, pss: choice.pss, ...(choice.digest ? { digest: choice.digest } : {}) };
}

/** Streams one input (`content`, from input.borrowed()) through the envelope into the sink; the sink is committed only on success. */
async function encryptOne(env: PreparedEnvelope, input: InputSource, content: Borrowed, sink: Sink, form: OutputForm, bar: Progress, signer?: Signer): Promise<void> {
  const { rechunk } = await import('../../encrypt.js');
  const { encodeOutput } = await import('../../stream/armor.js');
  const { reclaimer, reclaiming } = await import('../reclaim.js');
  try {
    const src = counted(content, bar);
    // A regular file is read in whole READ_CHUNK pieces already. A pipe gives up to 64 KiB at a time
    // (the pipe buffer): those pass as they are, only smaller pieces are gathered, so that the
    // segments of the indefinite output are never tiny.
    const pieces = input.size === null ? rechunk(src, PIPE_CHUNK) : src;
    // A signed content's length is not known in advance: the envelope is then indefinite-length BER.
    const plain = signer ? (await import('../../send.js')).signedStream(pieces, signer) : pieces;
    const out = reclaiming(sink, reclaimer(input.size));
    for await (const chunk of encodeOutput(env.stream(plain, signer ? null : input.size), form, env.smimeType)) await out.write(chunk);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  } finally {
    await content.release();
  }
}

/** RFC 2634 §1.1 triple wrap of one file (in memory: the outer signature needs the whole envelope). */
async function tripleWrapOne(envOpts: EncryptOptions, signer: Signer, inFile: string | undefined, out: string | undefined, form: OutputForm): Promise<number> {
  const { encryptTripleWrapped } = await import('../../triple.js');
  const { encodeOutput } = await import('../../stream/armor.js');
  const parts: Uint8Array[] = [];
  for await (const c of openInputFile(inFile).borrowed()) parts.push(Uint8Array.from(c));
  const der = await encryptTripleWrapped(Buffer.concat(parts), { ...envOpts, contentType: undefined, sign: signer });
  const sink = await outputSink(out);
  try {
    for await (const chunk of encodeOutput((async function* () { yield der; })(), form, 'signed-data')) await sink.write(chunk);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return 0;
}
