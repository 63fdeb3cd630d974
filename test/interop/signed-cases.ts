// The rows of the "Signed messages" part of the interop matrix: SignedData alone (p7m sign / verify)
// and sign-then-encrypt (p7m encrypt --sign-… / decrypt --verify), each row run by every peer in
// both directions, like the encryption rows of cases.ts.
//
// Seven dimensions (2·4·3·2·3·2·3 = 864 combinations, 720 of them valid: a detached signature
// cannot be enveloped). As in cases.ts, two layers:
//
//  1. Seed rows, picked by hand so that the restricted peers meet every value they support: NSS
//     cmsutil signs PKCS#1 v1.5 or ECDSA in binary only; gpgsm signs RSA PKCS#1 v1.5 in binary or
//     armor; only openssl reads and writes S/MIME; only Bouncy Castle can add a contentIdentifier
//     (the others' messages are named by their signed attributes in p7m's replay cache). One
//     replay-protected sign-then-encrypt row in binary DER is there for every peer (the second
//     delivery of the same file must be refused).
//  2. Pairwise completion (pairwise.ts) over the valid combinations.
import { completePairs, pairCoverageOf, type Dimensions } from './pairwise.js';

/** SignedData alone, or signed then enveloped (the signed message is the enveloped content). */
export const OPS = ['sign', 'sign-encrypt'] as const;
/** Signature algorithm and the signer's key: RSA-2048 PKCS#1 v1.5 or PSS, ECDSA on P-256 or P-384. */
export const SIGS = ['rsa-pkcs1', 'rsa-pss', 'ecdsa-p256', 'ecdsa-p384'] as const;
export const DIGESTS = ['sha256', 'sha384', 'sha512'] as const;
/** Content inside the SignedData (opaque, encapsulated) or left out (detached, RFC 5652 §5.2). */
export const PLACEMENTS = ['opaque', 'detached'] as const;
/** S/MIME: application/pkcs7-mime for opaque and enveloped messages, multipart/signed for detached (RFC 8551 §3.5). */
export const SIGNED_FORMS = ['der', 'pem', 'smime'] as const;
/**
 * How p7m receives (when it is the reader): 'replay' is the default, a replay cache (fresh per cell)
 * that needs signingTime and names the message by its contentIdentifier or, without one, by its
 * signed attributes; the same file delivered a second time must be refused. 'signature' is
 * `--no-replay-check`, signature, chain and freshness only. When p7m (or Bouncy Castle) writes,
 * 'replay' rows also check that the message carries both attributes.
 */
export const RECEIVES = ['replay', 'signature'] as const;
export const SIGNED_SIZES = [0, 1, 100 * 1024] as const;

export type Op = (typeof OPS)[number];
export type Sig = (typeof SIGS)[number];
export type Digest = (typeof DIGESTS)[number];
export type Placement = (typeof PLACEMENTS)[number];
export type SignedForm = (typeof SIGNED_FORMS)[number];
export type Receive = (typeof RECEIVES)[number];
export type SignedSize = (typeof SIGNED_SIZES)[number];

export interface SignedCase {
  readonly id: string;
  readonly op: Op;
  readonly sig: Sig;
  readonly digest: Digest;
  readonly placement: Placement;
  readonly form: SignedForm;
  readonly receive: Receive;
  readonly size: SignedSize;
  readonly origin: 'seed' | 'pairwise';
  readonly why?: string;
}

type Values = Omit<SignedCase, 'id' | 'origin' | 'why'>;

export const SIGNED_DIMENSIONS = {
  op: OPS,
  sig: SIGS,
  digest: DIGESTS,
  placement: PLACEMENTS,
  form: SIGNED_FORMS,
  receive: RECEIVES,
  size: SIGNED_SIZES,
} as const satisfies Dimensions;
export type SignedDimension = keyof typeof SIGNED_DIMENSIONS;
export const SIGNED_DIMENSION_NAMES = Object.keys(SIGNED_DIMENSIONS) as SignedDimension[];

/** A detached signature has no content to envelope: sign-then-encrypt is always opaque. */
export function validSigned(v: Partial<Record<SignedDimension, unknown>>): boolean {
  return !(v.op === 'sign-encrypt' && v.placement === 'detached');
}

/** The signer's key type, as the PKI names it (pki.ts signers). */
export function signerKey(sig: Sig): 'rsa' | 'p256' | 'p384' {
  return sig === 'ecdsa-p256' ? 'p256' : sig === 'ecdsa-p384' ? 'p384' : 'rsa';
}

/** The signature scheme as the harness reads it from SignerInfo.signatureAlgorithm. */
export function scheme(sig: Sig): 'rsa-pkcs1' | 'rsa-pss' | 'ecdsa' {
  return sig === 'ecdsa-p256' || sig === 'ecdsa-p384' ? 'ecdsa' : sig;
}

function seed(v: Values, why: string): Omit<SignedCase, 'id'> {
  return { ...v, origin: 'seed', why };
}

const KB100 = 100 * 1024;

const SEEDS: readonly Omit<SignedCase, 'id'>[] = [
  // Every peer reads and writes these (binary, RSA PKCS#1 v1.5 or ECDSA): the core of each column.
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'signature', size: 1 }, 'baseline: RSA PKCS#1 v1.5, SHA-256, opaque DER'),
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha384', placement: 'detached', form: 'der', receive: 'signature', size: KB100 }, 'detached DER, SHA-384'),
  seed({ op: 'sign', sig: 'ecdsa-p256', digest: 'sha512', placement: 'opaque', form: 'der', receive: 'signature', size: 1 }, 'ECDSA P-256 with SHA-512'),
  seed({ op: 'sign', sig: 'ecdsa-p384', digest: 'sha384', placement: 'detached', form: 'der', receive: 'signature', size: 1 }, 'ECDSA P-384, detached'),
  seed({ op: 'sign', sig: 'rsa-pss', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'signature', size: KB100 }, 'RSA-PSS (gpgsm and NSS read it; openssl and BC write it)'),
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha512', placement: 'opaque', form: 'pem', receive: 'signature', size: 1 }, 'PEM / gpgsm armor, SHA-512'),
  // p7m's own signatures carry a contentIdentifier; only BC can add one among the peers (the others'
  // messages are named by their signed attributes).
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'replay', size: KB100 }, 'replay-protected verify of a SignedData'),
  // S/MIME: application/pkcs7-mime opaque, multipart/signed detached (openssl).
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'smime', receive: 'signature', size: 1 }, 'S/MIME opaque-signed (application/pkcs7-mime)'),
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'detached', form: 'smime', receive: 'signature', size: KB100 }, 'S/MIME clear-signed (multipart/signed)'),
  // Sign-then-encrypt, in the shapes each peer's pipeline writes (binary, RSA PKCS#1 v1.5 or ECDSA).
  seed({ op: 'sign-encrypt', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'replay', size: 1 }, 'replay-proof message; a second delivery is refused'),
  seed({ op: 'sign-encrypt', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'signature', size: KB100 }, 'signed-then-enveloped, signature checks only'),
  seed({ op: 'sign-encrypt', sig: 'ecdsa-p256', digest: 'sha256', placement: 'opaque', form: 'der', receive: 'signature', size: 0 }, 'signed-then-enveloped with ECDSA P-256, empty (NSS and gpgsm cannot sign empty content)'),
  seed({ op: 'sign', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'detached', form: 'der', receive: 'signature', size: 0 }, 'empty content, detached'),
  seed({ op: 'sign-encrypt', sig: 'ecdsa-p384', digest: 'sha384', placement: 'opaque', form: 'smime', receive: 'replay', size: 1 }, 'S/MIME envelope, ECDSA P-384'),
  seed({ op: 'sign-encrypt', sig: 'rsa-pkcs1', digest: 'sha256', placement: 'opaque', form: 'pem', receive: 'signature', size: 1 }, 'PEM envelope (gpgsm armor)'),
];

function label(n: number): string {
  return `s${String(n).padStart(2, '0')}`;
}

export function buildSignedCases(): SignedCase[] {
  const strip = ({ origin: _o, why: _w, ...v }: Omit<SignedCase, 'id'>): Values => v;
  const extra = completePairs(SIGNED_DIMENSIONS, SEEDS.map(strip), validSigned) as Values[];
  return [
    ...SEEDS.map((s, i) => ({ id: label(i + 1), ...s })),
    ...extra.map((v, i) => ({ id: label(SEEDS.length + i + 1), ...v, origin: 'pairwise' as const })),
  ];
}

export function signedSizeLabel(size: number): string {
  return size >= 1024 ? `${size / 1024} KB` : `${size} B`;
}

export function describeSignedCase(c: SignedCase): string {
  return `${c.op} ${c.sig} ${c.digest} ${c.placement} ${c.form} ${c.receive} ${signedSizeLabel(c.size)}`;
}

/** Pair coverage of the signed rows, over the valid pairs. */
export function signedPairCoverage(rows: readonly Values[]): { covered: number; total: number } {
  return pairCoverageOf(SIGNED_DIMENSIONS, rows, validSigned);
}
