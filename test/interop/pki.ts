// The throw-away PKI of the interop matrix, made with openssl once and cached.
//
// A CA, three targets (RSA-2048/3072/4096: the identity a cell decrypts with) and four bystanders
// that fill the other two slots of a three-recipient message; no decrypting side holds their keys.
// Three signers for the signed rows (RSA-2048, EC P-256, EC P-384): keyUsage digitalSignature (and
// nonRepudiation) only, as a signing certificate has, so a tool that wrongly wants keyEncipherment
// from a signer shows it; EKU emailProtection, which openssl's and NSS's S/MIME checks need.
//
// Why four bystanders with hand-set serials and SKIs: RecipientInfos is a SET OF, and DER writers
// (openssl, Bouncy Castle) sort a SET OF by its encodings (X.690 §11.6), which puts the length
// octets first. A writer may therefore not keep the order it was given. So "low" bystanders
// (RSA-2048, one-octet serials, SKIs 00…) sort before every target and "high" ones (RSA-4096,
// 20-octet serials 7fff…, SKIs ff…) after every target: the order we ask for IS the sorted order,
// and a sorting writer and an order-keeping one both put the target first, in the middle or last.
//
// Everything lives under test/.work/interop/pki-v<N>/ (gitignored); bump PKI_VERSION when the
// recipe changes.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certIds, type CertIds, unframe } from './ber.js';
import { gpgsmCanRead } from './p12-kdf.js';
import { runOk, Trace } from './run.js';
import type { Bits } from './cases.js';

const PKI_VERSION = 4;
export const P12_PASSWORD = 'interop';

export interface Identity {
  readonly name: string;
  readonly bits: number;
  readonly email: string;
  /** PEM certificate. */
  readonly cert: string;
  /** Unencrypted PKCS#8 PEM private key. */
  readonly key: string;
  /** PKCS#12 with PBE-SHA1-3DES and a SHA-1 MAC, the format every peer imports. */
  readonly p12: string;
  /** SHA-1 fingerprint, upper-case hex without colons (gpgsm's name for a certificate). */
  readonly fingerprint: string;
  readonly ids: CertIds;
}

/** The signing identities, by key: see signed-cases.ts signerKey(). */
export type SignerKey = 'rsa' | 'p256' | 'p384';

export interface Pki {
  readonly dir: string;
  readonly caCert: string;
  readonly caFingerprint: string;
  readonly targets: Readonly<Record<Bits, Identity>>;
  /** Sort before every target's RecipientInfo. */
  readonly low: readonly [Identity, Identity];
  /** Sort after every target's RecipientInfo. */
  readonly high: readonly [Identity, Identity];
  /** The encryption identities (targets and bystanders); the signers are apart. */
  readonly all: readonly Identity[];
  readonly signers: Readonly<Record<SignerKey, Identity>>;
}

interface Spec {
  readonly name: string;
  readonly bits: number;
  /** Serials also exercise INTEGER encoding: a high bit (leading 00), one octet, twenty octets. */
  readonly serial: string;
  /** Set by hand (RFC 5280 §4.2.1.2 allows any method), so that SET OF order is known. */
  readonly ski: string;
}

interface SignerSpec {
  readonly name: string;
  readonly key: SignerKey;
  /** genpkey arguments. */
  readonly alg: readonly string[];
  readonly bits: number;
  readonly serial: string;
}

const SIGNER_SPECS: readonly SignerSpec[] = [
  { name: 'sign-rsa', key: 'rsa', alg: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], bits: 2048, serial: '0x51' },
  { name: 'sign-p256', key: 'p256', alg: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], bits: 256, serial: '0x52' },
  { name: 'sign-p384', key: 'p384', alg: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'], bits: 384, serial: '0x53' },
];

function signerExt(name: string): string {
  return [
    'basicConstraints=critical,CA:false',
    'keyUsage=critical,digitalSignature,nonRepudiation',
    'extendedKeyUsage=emailProtection',
    `subjectAltName=email:${name}@interop.test`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    '',
  ].join('\n');
}

const ski = (first: string, last: string): string => `${first}${'5a'.repeat(18)}${last}`;

const SPECS: readonly Spec[] = [
  { name: 'rsa2048', bits: 2048, serial: '0x8f2a6c1e00000001', ski: ski('50', '01') },
  { name: 'rsa3072', bits: 3072, serial: '0x02', ski: ski('51', '02') },
  { name: 'rsa4096', bits: 4096, serial: '0x7a1b2c3d4e5f60718293a4b5c6d7e8f901020304', ski: ski('52', '03') },
  { name: 'low-a', bits: 2048, serial: '0x0a', ski: ski('00', '0a') },
  { name: 'low-b', bits: 2048, serial: '0x0b', ski: ski('00', '0b') },
  { name: 'high-a', bits: 4096, serial: `0x7f${'ff'.repeat(18)}01`, ski: ski('ff', '01') },
  { name: 'high-b', bits: 4096, serial: `0x7f${'ff'.repeat(18)}02`, ski: ski('ff', '02') },
];

function leaf(spec: Spec): string {
  return [
    'basicConstraints=critical,CA:false',
    'keyUsage=critical,keyEncipherment,dataEncipherment',
    'extendedKeyUsage=emailProtection',
    `subjectAltName=email:${spec.name}@interop.test`,
    `subjectKeyIdentifier=${spec.ski}`,
    'authorityKeyIdentifier=keyid',
    '',
  ].join('\n');
}

async function generate(dir: string): Promise<void> {
  const t = new Trace();
  const o = (args: string[]) => runOk(t, 'openssl', args, { cwd: dir });
  const keygen = (bits: number, out: string) =>
    o(['genpkey', '-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`, '-out', out]);
  // Two cores: generate the keys two at a time, RSA-4096 first.
  const order = [{ name: 'ca', bits: 2048 }, ...SPECS].sort((a, b) => b.bits - a.bits);
  const queue = [...order];
  await Promise.all(
    [0, 1].map(async () => {
      for (let s = queue.shift(); s; s = queue.shift()) await keygen(s.bits, `${s.name}.key`);
    }),
  );
  for (const s of SIGNER_SPECS) await o(['genpkey', ...s.alg, '-out', `${s.name}.key`]);
  await o([
    'req', '-x509', '-new', '-key', 'ca.key', '-subj', '/O=p7m interop/CN=p7m interop CA', '-days', '3650',
    '-set_serial', '1', '-addext', 'basicConstraints=critical,CA:true',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-addext', 'subjectKeyIdentifier=hash', '-out', 'ca.pem',
  ]);
  /** NAME.pem issued by the CA with the extensions `ext`, and NAME.p12 with the key and the CA. */
  const issue = async (name: string, serial: string, ext: string): Promise<void> => {
    await writeFile(join(dir, `${name}.ext`), ext);
    await o(['req', '-new', '-key', `${name}.key`, '-subj', `/O=p7m interop/CN=${name}`, '-out', `${name}.csr`]);
    await o([
      'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', serial,
      '-days', '3650', '-extfile', `${name}.ext`, '-out', `${name}.pem`,
    ]);
    // gpgsm 2.2 reads only the legacy PKCS#12 algorithms; NSS reads them too. About 1 salt in 64
    // hits a bug in gpgsm's key derivation (see p12-kdf.ts): export again until none does.
    for (let attempt = 1; ; attempt++) {
      await o([
        'pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`, '-certfile', 'ca.pem', '-name', name,
        '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-macalg', 'sha1',
        '-passout', `pass:${P12_PASSWORD}`, '-out', `${name}.p12`,
      ]);
      if (gpgsmCanRead(await readFile(join(dir, `${name}.p12`)), P12_PASSWORD)) break;
      if (attempt === 20) throw new Error(`${name}.p12: 20 exports in a row that gpgsm cannot read`);
    }
  };
  for (const s of SPECS) await issue(s.name, s.serial, leaf(s));
  for (const s of SIGNER_SPECS) await issue(s.name, s.serial, signerExt(s.name));
  await writeFile(join(dir, 'DONE'), `p7m interop PKI v${PKI_VERSION}\n`);
}

async function fingerprint(pemPath: string): Promise<{ fp: string; der: Uint8Array }> {
  const der = unframe(await readFile(pemPath)).ber;
  return { fp: createHash('sha1').update(der).digest('hex').toUpperCase(), der };
}

async function identity(dir: string, name: string, bits: number): Promise<Identity> {
  const cert = join(dir, `${name}.pem`);
  const { fp, der } = await fingerprint(cert);
  return {
    name,
    bits,
    email: `${name}@interop.test`,
    cert,
    key: join(dir, `${name}.key`),
    p12: join(dir, `${name}.p12`),
    fingerprint: fp,
    ids: certIds(der),
  };
}

async function load(dir: string): Promise<Pki> {
  const ids: Identity[] = [];
  for (const s of SPECS) ids.push(await identity(dir, s.name, s.bits));
  const signers = {} as Record<SignerKey, Identity>;
  for (const s of SIGNER_SPECS) signers[s.key] = await identity(dir, s.name, s.bits);
  const by = (n: string): Identity => ids.find((i) => i.name === n)!;
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caFingerprint: (await fingerprint(join(dir, 'ca.pem'))).fp,
    targets: { 2048: by('rsa2048'), 3072: by('rsa3072'), 4096: by('rsa4096') },
    low: [by('low-a'), by('low-b')],
    high: [by('high-a'), by('high-b')],
    all: ids,
    signers,
  };
}

/** The PKI under `workRoot`, generated on first use (RSA-4096 keygen takes a few seconds). */
export async function ensurePki(workRoot: string): Promise<Pki> {
  const dir = join(workRoot, `pki-v${PKI_VERSION}`);
  if (!existsSync(join(dir, 'DONE'))) {
    await mkdir(workRoot, { recursive: true });
    const tmp = await mkdtemp(join(workRoot, '.pki-'));
    try {
      await generate(tmp);
      await rm(dir, { recursive: true, force: true });
      // Another run may have won the race; theirs is as good as ours.
      await rename(tmp, dir).catch(async (e: NodeJS.ErrnoException) => {
        if (!existsSync(join(dir, 'DONE'))) throw e;
      });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return load(dir);
}
