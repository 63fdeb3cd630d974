/** Loading a signer (certificate + key, or PKCS#12) and the verification policy options, shared by commands. */
import type { KeyObject } from 'node:crypto';
import { KeyFileError, UsageError } from '../errors.js';
import { oneOf, str, list, type Options } from './args.js';
import { readWholeFile } from './io.js';

export interface LoadedSigner { signerCert: Uint8Array; signerKey: KeyObject; chain: Uint8Array[] }

export async function loadSigner(o: { cert?: string; key?: string; p12?: string; pass?: string; certfile?: string[] }): Promise<LoadedSigner> {
  const { passwordSource } = await import('../keys/pass.js');
  let chain: Uint8Array[] = [];
  if (o.certfile?.length) {
    const { loadCertificates } = await import('../keys/certificate.js');
    for (const f of o.certfile) chain.push(...loadCertificates(await readWholeFile(f, 'certificate')).map((c) => c.der));
  }
  if (o.p12 !== undefined) {
    if (o.cert !== undefined || o.key !== undefined) throw new UsageError('give either a certificate and a key, or a PKCS#12 file');
    const { loadPkcs12 } = await import('../keys/pkcs12.js');
    const p = await loadPkcs12(await readWholeFile(o.p12, 'PKCS#12 file'), passwordSource(o.pass, `password for ${o.p12}: `));
    chain = [...p.chain.map((c) => c.der), ...chain];
    return { signerCert: p.certificate.der, signerKey: p.key, chain };
  }
  if (o.key === undefined) throw new UsageError('a signing key is needed: give a certificate and a key, or a PKCS#12 file');
  const { loadPrivateKey } = await import('../keys/private-key.js');
  const loaded = await loadPrivateKey(await readWholeFile(o.key, 'key'), passwordSource(o.pass, `password for ${o.key}: `));
  let cert = loaded.certificate?.der;
  if (o.cert !== undefined) {
    const { loadCertificates } = await import('../keys/certificate.js');
    const certs = loadCertificates(await readWholeFile(o.cert, 'certificate'));
    const { certificateMatchesKey } = await import('../keys/certificate.js');
    const mine = certs.find((c) => certificateMatchesKey(c, loaded.key));
    if (!mine) throw new UsageError(`the certificate ${o.cert} does not belong to the key ${o.key}`);
    cert = mine.der;
    chain.push(...certs.filter((c) => c !== mine).map((c) => c.der));
  }
  if (!cert) throw new UsageError('the signer certificate is needed (--signer CERT), unless the key file holds it');
  return { signerCert: cert, signerKey: loaded.key, chain };
}

export const VERIFY_OPTIONS: Options = {
  trust: { type: 'string', multiple: true },
  'max-age': { type: 'string' },
  'max-skew': { type: 'string' },
  'replay-db': { type: 'string' },
  'no-replay-check': { type: 'boolean' },
  'require-content-id': { type: 'boolean' },
  crl: { type: 'string', multiple: true },
  'crl-check': { type: 'string' },
};

/** The verification options, as `decrypt` refuses them without --verify. */
export const VERIFY_OPTION_NAMES = Object.keys(VERIFY_OPTIONS);

export const VERIFY_HELP = `  --trust CA           trust anchor (PEM or DER; repeatable): the signer must chain to one
  --max-age DURATION   refuse messages signed longer ago than this (default 24h; 90s, 5m, 24h, 7d)
  --max-skew DURATION  refuse messages signed further in the future than this (default 5m)
  --replay-db PATH     replay cache (default: $XDG_STATE_HOME/p7m/replay.sqlite3 or ~/.local/state/p7m/replay.sqlite3)
  --no-replay-check    skip the replay cache and accept messages without signingTime (warns)
  --require-content-id refuse messages without a contentIdentifier (RFC 2634 §2.7; only p7m writes
                       one) instead of naming them in the replay cache by their signed attributes
  --crl FILE           CRL (PEM or DER; repeatable) to check revocation against, with any the message
                       carries; turns on --crl-check signer
  --crl-check SCOPE    signer: the signer's certificate must be on no current CRL of its issuer and
                       covered by one; chain: every certificate below the trust anchor (as openssl's
                       -crl_check / -crl_check_all); off (default without --crl)
`;

export interface CliPolicy {
  trust: Uint8Array[];
  maxAgeMs: number;
  maxSkewMs: number;
  replayDb: string | null;
  requireReplayAttributes: boolean;
  requireContentIdentifier: boolean;
  crls: Uint8Array[];
  revocation: 'off' | 'signer' | 'chain';
}

export async function verifyPolicy(v: Record<string, unknown>, warn: (m: string) => void): Promise<CliPolicy> {
  const trustFiles = list(v.trust);
  if (trustFiles.length === 0) throw new UsageError('at least one trust anchor is needed (--trust CA)');
  const { loadCertificates } = await import('../keys/certificate.js');
  const trust: Uint8Array[] = [];
  for (const f of trustFiles) trust.push(...loadCertificates(await readWholeFile(f, 'trust anchor')).map((c) => c.der));
  const { parseDuration } = await import('../signed/duration.js');
  const { DEFAULT_MAX_AGE_MS, DEFAULT_MAX_SKEW_MS } = await import('../signed/freshness.js');
  const maxAgeMs = str(v['max-age']) !== undefined ? parseDuration(str(v['max-age'])!, '--max-age') : DEFAULT_MAX_AGE_MS;
  const maxSkewMs = str(v['max-skew']) !== undefined ? parseDuration(str(v['max-skew'])!, '--max-skew') : DEFAULT_MAX_SKEW_MS;
  let replayDb: string | null = null;
  if (v['no-replay-check'] === true) {
    if (v['replay-db'] !== undefined) throw new UsageError('--replay-db and --no-replay-check exclude each other');
    if (v['require-content-id'] !== undefined) throw new UsageError('--require-content-id and --no-replay-check exclude each other');
    warn('replay check disabled: a recorded copy of this message would be accepted again');
  } else {
    const { defaultReplayDbPath } = await import('../replay/cache.js');
    replayDb = str(v['replay-db']) ?? defaultReplayDbPath();
  }
  const crls = await readCrlFiles(list(v.crl));
  const revocation = oneOf(v['crl-check'], ['off', 'signer', 'chain'] as const, '--crl-check', crls.length ? 'signer' : 'off');
  return {
    trust, maxAgeMs, maxSkewMs, replayDb, requireReplayAttributes: replayDb !== null, requireContentIdentifier: v['require-content-id'] === true,
    crls, revocation,
  };
}

/**
 * The CRLs in `files` (PEM or DER, several to a PEM file), DER each. Read at once, so that a file that
 * is not a CRL is named by its path rather than as "CRL 2" later.
 */
export async function readCrlFiles(files: readonly string[]): Promise<Uint8Array[]> {
  if (files.length === 0) return [];
  const { loadCrls } = await import('../keys/crl.js');
  const crls: Uint8Array[] = [];
  for (const f of files) {
    try {
      crls.push(...loadCrls(await readWholeFile(f, 'CRL')).map((c) => c.der));
    } catch (e) {
      throw e instanceof KeyFileError ? new KeyFileError(`${f}: ${e.message}`, { cause: e }) : e;
    }
  }
  return crls;
}

/** The digest names `--digest` / `--sign-digest` take (src/signed/algorithms.ts SIGNING_HASHES). */
const SIGNING_DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
export type SigningDigest = (typeof SIGNING_DIGESTS)[number];

/**
 * The signature choices, named the same on every command: `sign` takes `--digest` and `--pss`,
 * `encrypt` (which signs before it envelopes) the same with `prefix` 'sign-': `--sign-digest`, `--sign-pss`.
 */
export function signatureOptions(prefix: '' | 'sign-'): Options {
  return { [`${prefix}digest`]: { type: 'string' }, [`${prefix}pss`]: { type: 'boolean' } };
}

export function signatureHelp(prefix: '' | 'sign-'): string {
  const pad = (s: string): string => s.padEnd(prefix === '' ? 21 : 23);
  return `  ${pad(`--${prefix}digest HASH`)}sha256 (default; sha384 for an EC P-384 key), sha384 or sha512
  ${pad(`--${prefix}pss`)}RSASSA-PSS (RFC 4056) instead of PKCS#1 v1.5 (RSA keys)
`;
}

export interface SignatureChoice { digest: SigningDigest | undefined; pss: boolean }

/** Validates `--[sign-]digest` and `--[sign-]pss` (before any file is read). */
export function signatureChoice(v: Record<string, unknown>, prefix: '' | 'sign-'): SignatureChoice {
  const d = v[`${prefix}digest`];
  const digest = d === undefined ? undefined : oneOf(d, SIGNING_DIGESTS, `--${prefix}digest`, 'sha256');
  return { digest, pss: v[`${prefix}pss`] === true };
}

/** Refuses `--[sign-]pss` for a key that is not RSA, naming the option (the library's error would not). */
export function checkSignatureChoice(choice: SignatureChoice, signer: LoadedSigner, prefix: '' | 'sign-'): void {
  const kind = signer.signerKey.asymmetricKeyType;
  if (choice.pss && kind !== 'rsa' && kind !== 'rsa-pss') throw new UsageError(`--${prefix}pss applies to RSA keys only (the signing key is ${kind ?? 'unknown'})`);
}

export function signedOptions(v: Record<string, unknown>): SignatureChoice & { rid: 'issuer-serial' | 'ski' } {
  return { ...signatureChoice(v, ''), rid: oneOf(v['signer-rid'], ['issuer-serial', 'ski'] as const, '--signer-rid', 'issuer-serial') };
}

export function describeSigner(check: {
  signer: { subject: string; email?: string; fingerprintSha256: string };
  signingTime?: Date;
  replayIdentity?: { kind: 'contentIdentifier' | 'signedAttributes' };
}): string {
  const s = check.signer;
  return `signed by ${s.subject}${s.email ? ` <${s.email}>` : ''} (sha256 fingerprint ${s.fingerprintSha256})` +
    (check.signingTime ? ` at ${check.signingTime.toISOString()}` : '') +
    // Say so: two sends of the same content within one second by this signer would look like one message.
    (check.replayIdentity?.kind === 'signedAttributes' ? '; no contentIdentifier: replay identity from the signed attributes' : '');
}
