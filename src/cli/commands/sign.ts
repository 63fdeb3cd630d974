import { list, oneOf, parse, str, type Options } from '../args.js';
import { openInputFile, outputSink, refuseSameFile } from '../io.js';
import { checkSignatureChoice, loadSigner, readCrlFiles, signatureHelp, signatureOptions, signedOptions } from '../signer.js';
import { UsageError } from '../../errors.js';

export const help = `usage: p7m sign [IN] (--signer CERT --key KEY | --p12 FILE) [--pass SPEC] [-o OUT] [--detached]
                [--form der|pem|smime] [--certfile FILE] [--crl FILE] [--digest sha256|sha384|sha512] [--pss]
                [--signer-rid issuer-serial|ski]

Sign IN (default: standard input) as CMS SignedData (RFC 5652 §5). The signed attributes always hold
contentType, messageDigest, signingTime, a 16-byte random contentIdentifier (RFC 2634 §2.7) that names
this message uniquely, and smimeCapabilities: what a receiver's replay protection checks.

options:
  --signer CERT        the signer's certificate (PEM or DER)
  --key KEY            the signer's private key (RSA or EC; PEM or DER, PKCS#1/PKCS#8/encrypted)
  --p12 FILE           signer certificate and key from a PKCS#12 file
  --pass SPEC          password: pass:TEXT, env:VAR, file:PATH or stdin
  --certfile FILE      more certificates to include (the chain up to the CA)
  --crl FILE           a CRL to include (PEM or DER; repeatable), for receivers that check
                       revocation (p7m verify --crl-check, openssl cms -verify -crl_check)
  --detached           leave the content out of the message (a detached signature); with --form
                       smime, a clear-signed multipart/signed entity (RFC 8551 §3.5.3) instead: the
                       content, lines ending in CRLF, then the signature (see "clear-signed" below)
${signatureHelp('')}  --signer-rid KIND    how the signer is named: issuer-serial (default) or ski
  --form FORM          der (default), pem or smime
  -o, --out OUT        output file (default: standard output)

clear-signed (--detached --form smime): the first part is IN itself, nothing added, every line made to
end in CRLF (RFC 8551 §3.1.1) as \`openssl cms -sign\` does without -text or -binary: a bare LF becomes
CRLF, CRs just before a line end or at the very end are dropped. p7m verify and openssl cms -verify give
back those bytes: IN itself when its lines end in CRLF. Give a MIME entity ("Content-Type: text/plain;
charset=utf-8", an empty line, the text) for mail clients to display it; sign binary content opaque.

example:
  p7m sign note.txt --signer certs/alice.pem --key certs/alice.key.pem -o note.p7s
`;

const options: Options = {
  signer: { type: 'string' }, key: { type: 'string' }, p12: { type: 'string' }, pass: { type: 'string' },
  certfile: { type: 'string', multiple: true }, crl: { type: 'string', multiple: true }, detached: { type: 'boolean' }, ...signatureOptions(''),
  'signer-rid': { type: 'string' }, form: { type: 'string' }, out: { type: 'string', short: 'o' },
};

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  if (positionals.length > 1) throw new UsageError('sign takes one input file');
  const form = oneOf(v.form, ['der', 'pem', 'smime'] as const, '--form', 'der');
  const out = str(v.out);
  refuseSameFile(positionals[0], out);
  const o = signedOptions(v);
  const signer = await loadSigner({ cert: str(v.signer), key: str(v.key), p12: str(v.p12), pass: str(v.pass), certfile: list(v.certfile) });
  const { createSignedDataStreamEncoder } = await import('../../signed/sign.js');
  const { encodeOutput } = await import('../../stream/armor.js');
  const { rechunk } = await import('../../encrypt.js');
  checkSignatureChoice(o, signer, '');
  const crls = await readCrlFiles(list(v.crl));
  const signOpts = { ...signer, ...(o.digest ? { digest: o.digest } : {}), pss: o.pss, rid: o.rid, crls };
  const input = openInputFile(positionals[0]);
  let output: AsyncIterable<Uint8Array>;
  if (v.detached === true && form === 'smime') {
    // RFC 8551 §3.5.3: a detached S/MIME signature is a clear-signed multipart/signed entity.
    const { clearSignedStream } = await import('../../signed/clear-sign.js');
    output = clearSignedStream(rechunk(input.stream()), signOpts);
  } else {
    const enc = createSignedDataStreamEncoder({ ...signOpts, detached: v.detached === true });
    output = encodeOutput((async function* der(): AsyncGenerator<Uint8Array> {
      yield enc.header();
      for await (const c of rechunk(input.stream())) { const s = enc.segment(c); if (s.length) yield s; }
      yield await enc.finish();
    })(), form, 'signed-data');
  }
  const sink = await outputSink(out);
  try {
    for await (const chunk of output) await sink.write(chunk);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return 0;
}
