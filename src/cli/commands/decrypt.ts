import { parse, str, type Options } from '../args.js';
import { SpooledStdoutSink, openInputFile, outputSink, readWholeFile, refuseSameFile } from '../io.js';
import { UsageError } from '../../errors.js';

export const help = `usage: p7m decrypt [IN] (--key KEY [--cert CERT] | --p12 FILE) [--pass SPEC] [-o OUT]

Decrypt a CMS EnvelopedData message (DER, PEM or S/MIME, recognised from its first line) with your
private key. The output file appears only after the whole message decrypted and checked.

options:
  --key KEY        private key: PKCS#1, PKCS#8 or encrypted PKCS#8, PEM or DER; a PEM holding the key
                   and its certificate together works alone
  --cert CERT      your certificate: selects the recipient addressed to it (issuer+serial or SKI)
  --p12 FILE       PKCS#12 / PFX file holding your key and certificate
  --pass SPEC      password: pass:TEXT, env:VAR, file:PATH or stdin (prompted on a terminal if needed)
  -o, --out OUT    output file (default: standard output)

Without --cert, recipients identified by subject key identifier are matched against the key, and
otherwise every RSA recipient of the key's size is tried, as openssl cms -decrypt does.
On standard output the plaintext streams as it is decrypted; a failure at the end (a wrong key or
an altered message) is reported by the exit status 1.

example:
  p7m decrypt report.pdf.p7m --key certs/bob.key.pem --cert certs/bob.pem -o report.pdf
  p7m decrypt smime.p7m --p12 certs/bob.p12 --pass env:P12_PASSWORD
`;

const options: Options = {
  key: { type: 'string' },
  cert: { type: 'string' },
  p12: { type: 'string' },
  pass: { type: 'string' },
  out: { type: 'string', short: 'o' },
};

export async function run(args: string[]): Promise<number> {
  const { values: v, positionals } = parse(args, options);
  if (positionals.length > 1) throw new UsageError('decrypt takes one input file');
  const key = str(v.key);
  const p12 = str(v.p12);
  if ((key === undefined) === (p12 === undefined)) throw new UsageError('give either --key KEY (with optional --cert CERT) or --p12 FILE');
  if (p12 !== undefined && v.cert !== undefined) throw new UsageError('--cert goes with --key, not with --p12');
  const inFile = positionals[0];
  const out = str(v.out);
  refuseSameFile(inFile, out);

  const { resolveIdentity, openDecryption } = await import('../../decrypt.js');
  const { passwordSource } = await import('../../keys/pass.js');
  const password = passwordSource(str(v.pass), `password for ${key ?? p12!}: `);
  const identity = p12 !== undefined
    ? await resolveIdentity({ pkcs12: await readWholeFile(p12, 'PKCS#12 file'), password })
    : await resolveIdentity({
      key: await readWholeFile(key!, 'key'),
      ...(v.cert !== undefined ? { certificate: await readWholeFile(str(v.cert)!, 'certificate') } : {}),
      password,
    });
  const core = await openDecryption(openInputFile(inFile).stream(), identity);
  await core.run(async (_i, count) => (count > 1 && (out === undefined || out === '-') ? SpooledStdoutSink.create() : outputSink(out)));
  return 0;
}
