import { parse, type Options } from '../args.js';
import { openInputFile } from '../io.js';
import { stdout } from '../stdout.js';
import { IoError, UsageError } from '../../errors.js';

export const help = `usage: p7m inspect [IN] [--json]

Show what a CMS EnvelopedData message is and who it is for, without any key: content type, version,
encoding, every recipient (kind, issuer and serial or subject key identifier, key transport
algorithm and its parameters, encrypted key size), the content cipher, its IV and sizes.
For a signed message (SignedData, also clear-signed multipart/signed): its signers as they name
themselves (identifier, algorithms, signingTime, content identifier), the certificates and CRLs it
carries and the content's size. Nothing is verified: that is p7m verify.

options:
  --json    print the same as JSON

example:
  p7m inspect report.pdf.p7m
  p7m inspect smime.p7m --json | jq '.recipients[].identifier'
`;

const options: Options = { json: { type: 'boolean' } };

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  if (positionals.length > 1) throw new UsageError('inspect takes one input file');
  const { inspectMessage, formatInspection } = await import('../../inspect.js');
  const r = await inspectMessage(openInputFile(positionals[0]).stream());
  const text = v.json ? JSON.stringify(r, null, 2) + '\n'
    : r.contentType === 'signedData' ? (await import('../../inspect-signed.js')).formatSignedInspection(r) : formatInspection(r);
  // Wait for the write: a failure (full disk) must reach the exit status, not vanish.
  await new Promise<void>((resolve, reject) => stdout().write(text, (e) => (e ? reject(new IoError(`cannot write to standard output: ${(e as NodeJS.ErrnoException).code ?? e.message}`, { cause: e })) : resolve())));
  return 0;
}
