import { list, oneOf, parse, str, type Options } from '../args.js';
import { openInputFile, outputSink, readWholeFile, refuseSameFile } from '../io.js';
import { UsageError } from '../../errors.js';

export const help = `usage: p7m encrypt [IN] -r CERT [-r CERT ...] [-o OUT] [--form der|pem|smime]
                   [--cipher aes-128-cbc|aes-192-cbc|aes-256-cbc] [--key-transport pkcs1|oaep]
                   [--oaep-hash sha1|sha256|sha384|sha512] [--rid issuer-serial|ski] [--allow-expired]

Encrypt IN (default: standard input) for each recipient certificate, as CMS EnvelopedData.
A random session key encrypts the content; it is encrypted for each recipient with the RSA key in
their certificate (KeyTransRecipientInfo).

options:
  -r, --recipient CERT   recipient certificate, PEM or DER; a PEM with several certificates adds each
  -o, --out OUT          output file (default: standard output); written only if encryption succeeds
  --form FORM            der (default), pem (-----BEGIN CMS-----) or smime (application/pkcs7-mime)
  --cipher NAME          content cipher (default aes-256-cbc)
  --key-transport KT     pkcs1 (default, RSAES-PKCS1-v1_5) or oaep (RSAES-OAEP, RFC 4055)
  --oaep-hash HASH       hash for OAEP and its MGF1 (default sha256)
  --rid KIND             recipient identifier: issuer-serial (default) or ski
  --allow-expired        accept recipient certificates outside their validity period

A regular file as IN gives definite-length DER; standard input gives indefinite-length BER.

example:
  p7m encrypt report.pdf -r certs/bob.pem -o report.pdf.p7m
  p7m encrypt msg.txt -r bob.pem -r carol.pem --key-transport oaep --form smime -o smime.p7m
`;

const options: Options = {
  recipient: { type: 'string', short: 'r', multiple: true },
  out: { type: 'string', short: 'o' },
  form: { type: 'string' },
  cipher: { type: 'string' },
  'key-transport': { type: 'string' },
  'oaep-hash': { type: 'string' },
  rid: { type: 'string' },
  'allow-expired': { type: 'boolean' },
};

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  if (positionals.length > 1) throw new UsageError('encrypt takes one input file');
  const recipientFiles = list(v.recipient);
  if (recipientFiles.length === 0) throw new UsageError('at least one recipient certificate is required (-r CERT)');
  const form = oneOf(v.form, ['der', 'pem', 'smime'] as const, '--form', 'der');
  const cipher = oneOf(v.cipher, ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'] as const, '--cipher', 'aes-256-cbc');
  const keyTransport = oneOf(v['key-transport'], ['pkcs1', 'oaep'] as const, '--key-transport', 'pkcs1');
  const oaepHash = oneOf(v['oaep-hash'], ['sha1', 'sha256', 'sha384', 'sha512'] as const, '--oaep-hash', 'sha256');
  if (v['oaep-hash'] !== undefined && keyTransport !== 'oaep') throw new UsageError('--oaep-hash needs --key-transport oaep');
  const rid = oneOf(v.rid, ['issuer-serial', 'ski'] as const, '--rid', 'issuer-serial');
  const inFile = positionals[0];
  const out = str(v.out);
  refuseSameFile(inFile, out);

  const { loadCertificates } = await import('../../keys/certificate.js');
  const recipients = [];
  for (const f of recipientFiles) recipients.push(...loadCertificates(await readWholeFile(f, 'certificate')));
  const { prepareEnvelope, rechunk } = await import('../../encrypt.js');
  const { encodeOutput } = await import('../../stream/armor.js');
  const env = await prepareEnvelope({ recipients, cipher, keyTransport, oaepHash, rid, allowExpired: v['allow-expired'] === true });
  const input = openInputFile(inFile);
  const sink = await outputSink(out);
  try {
    for await (const chunk of encodeOutput(env.stream(rechunk(input.stream()), input.size), form)) await sink.write(chunk);
    await sink.commit();
  } catch (e) {
    await sink.abort();
    throw e;
  }
  return 0;
}
