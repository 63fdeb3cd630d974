import { parse, str, type Options } from '../args.js';
import { SpooledStdoutSink, openInputFile, outputSink, refuseSameFile } from '../io.js';
import { info, warn } from '../report.js';
import { VERIFY_HELP, VERIFY_OPTIONS, describeSigner, verifyPolicy } from '../signer.js';
import { UsageError } from '../../errors.js';

export const help = `usage: p7m verify [IN] --trust CA [--trust CA ...] [--content FILE] [-o OUT]
                  [--max-age DURATION] [--max-skew DURATION] [--replay-db PATH | --no-replay-check]
                  [--require-content-id]

Verify a CMS SignedData message (DER, PEM, S/MIME application/pkcs7-mime, or clear-signed
multipart/signed): the message digest, the signature, a certificate chain to a trust anchor
(validity at signingTime and now, keyUsage digitalSignature, EKU emailProtection where present),
the freshness of signingTime, and the replay cache (a message seen before is refused). A message
is named in the replay cache by its contentIdentifier, or, without one (openssl, gpgsm, Thunderbird
and Outlook write none), by a hash of its signed attributes. The content is written only after
every check passed.

options:
${VERIFY_HELP}  --content FILE       the signed content, for a detached signature
  -o, --out OUT        where to write the content (default: standard output)

example:
  p7m verify note.p7s --trust certs/ca.pem -o note.txt
`;

const options: Options = { ...VERIFY_OPTIONS, content: { type: 'string' }, out: { type: 'string', short: 'o' } };

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  if (positionals.length > 1) throw new UsageError('verify takes one input file');
  const out = str(v.out);
  refuseSameFile(positionals[0], out);
  const policy = await verifyPolicy(v, warn);
  const { receiveSigned } = await import('../../receive.js');
  // Nothing reaches standard output before every check passed: spool it (a temp file, mode 0600).
  const sink = out === undefined || out === '-' ? await SpooledStdoutSink.create() : await outputSink(out);
  const content = str(v.content);
  const check = await receiveSigned(openInputFile(positionals[0]).stream(), policy, sink, {
    shape: 'cms',
    ...(content !== undefined ? { detachedContent: openInputFile(content).stream() } : {}),
  });
  info(`verified: ${describeSigner(check)}`);
  return 0;
}
