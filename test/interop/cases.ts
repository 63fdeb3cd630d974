// The rows of the interop matrix: which combinations of the eight dimensions get run.
//
// The full cross product is 4·3·2·3·4·3·2·4 = 13,824 messages per peer and direction; no peer
// needs that. The design has two layers (docs/interop.md shows the outcome):
//
//  1. Seed rows, picked by hand so that each *restricted* peer still sees every value it does
//     support. NSS cmsutil writes only PKCS#1 v1.5 / issuer+serial / binary / indefinite length
//     with a cipher it picks itself (AES-256 for recipients all over 3072 bits, else AES-128), and
//     gpgsm only PKCS#1 v1.5 / issuer+serial / binary-or-armor /
//     indefinite, so rows in those shapes vary key size, recipient layout, size and cipher for
//     them; rows for OAEP, SKI and S/MIME do the same for the peers that have those.
//  2. Pairwise completion: a deterministic greedy pass (AETG-style) adds rows until every pair
//     of values from two different dimensions occurs in some row, e.g. OAEP-SHA-256 with
//     RSA-4096, SKI with the recipient in the middle, 5 MB with indefinite length, 0 B with PEM.
//
// Each row is run by every peer in both directions; what a peer cannot do becomes an n/a cell
// that is still executed and must still fail the way the peer's limit says (see peers/*.ts).

import { completePairs, pairCoverageOf } from './pairwise.js';

/** Every combination of the encryption dimensions can exist (a peer's limits are n/a cells, not gaps). */
const ANY = (): boolean => true;

/** aes256-gcm: AuthEnvelopedData (RFC 5083, AES-GCM RFC 5084) rather than EnvelopedData. */
export const CIPHERS = ['des3', 'aes128', 'aes192', 'aes256', 'aes256-gcm'] as const;
export const KEY_TRANSPORTS = ['pkcs1', 'oaep-sha1', 'oaep-sha256'] as const;
export const RIDS = ['issuer-serial', 'ski'] as const;
export const BITS = [2048, 3072, 4096] as const;
export const LAYOUTS = ['single', 'first', 'middle', 'last'] as const;
export const FORMS = ['der', 'pem', 'smime'] as const;
export const ENCODINGS = ['definite', 'indefinite'] as const;
export const SIZES = [0, 1, 100 * 1024, 5 * 1024 * 1024] as const;

export type Cipher = (typeof CIPHERS)[number];
export type KeyTransport = (typeof KEY_TRANSPORTS)[number];
export type Rid = (typeof RIDS)[number];
export type Bits = (typeof BITS)[number];
/** Where the decrypting side's recipient sits: alone, or first/middle/last of three. */
export type Layout = (typeof LAYOUTS)[number];
export type Form = (typeof FORMS)[number];
/** definite = DER-style lengths throughout; indefinite = streamed BER (X.690 §8.1.3.6). */
export type Encoding = (typeof ENCODINGS)[number];
export type Size = (typeof SIZES)[number];

export interface Case {
  readonly id: string;
  readonly cipher: Cipher;
  readonly kt: KeyTransport;
  readonly rid: Rid;
  readonly bits: Bits;
  readonly layout: Layout;
  readonly form: Form;
  readonly encoding: Encoding;
  readonly size: Size;
  /** 'seed' rows are hand-picked (see above), 'pairwise' rows complete the pair coverage. */
  readonly origin: 'seed' | 'pairwise';
  readonly why?: string;
}

type Values = Omit<Case, 'id' | 'origin' | 'why'>;

export const DIMENSIONS = {
  cipher: CIPHERS,
  kt: KEY_TRANSPORTS,
  rid: RIDS,
  bits: BITS,
  layout: LAYOUTS,
  form: FORMS,
  encoding: ENCODINGS,
  size: SIZES,
} as const;
export type Dimension = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as Dimension[];

function seed(v: Values, why: string): Omit<Case, 'id'> {
  return { ...v, origin: 'seed', why };
}

const NSS_SHAPE = { cipher: 'aes128', kt: 'pkcs1', rid: 'issuer-serial', form: 'der', encoding: 'indefinite' } as const;
const GPGSM_SHAPE = { kt: 'pkcs1', rid: 'issuer-serial', encoding: 'indefinite' } as const;

const SEEDS: readonly Omit<Case, 'id'>[] = [
  // What NSS cmsutil can write: vary key size, layout and size inside that shape.
  seed({ ...NSS_SHAPE, bits: 2048, layout: 'single', size: 0 }, 'NSS-writable shape; empty content'),
  seed({ ...NSS_SHAPE, bits: 3072, layout: 'first', size: 1 }, 'NSS-writable shape; 1 byte, recipient first of three'),
  seed({ ...NSS_SHAPE, bits: 4096, layout: 'middle', size: 100 * 1024 }, 'NSS-writable shape; RSA-4096 in the middle'),
  seed({ ...NSS_SHAPE, bits: 2048, layout: 'last', size: 5 * 1024 * 1024 }, 'NSS-writable shape; 5 MB, recipient last'),
  seed({ ...NSS_SHAPE, cipher: 'aes256', bits: 4096, layout: 'first', size: 100 * 1024 }, 'NSS-writable with AES-256 (all recipients over 3072 bits)'),
  // What gpgsm can write: every cipher (3DES included), binary and armor.
  seed({ ...GPGSM_SHAPE, cipher: 'aes192', bits: 4096, layout: 'first', form: 'pem', size: 0 }, 'gpgsm armor; AES-192'),
  seed({ ...GPGSM_SHAPE, cipher: 'aes256', bits: 3072, layout: 'middle', form: 'der', size: 5 * 1024 * 1024 }, 'gpgsm binary; AES-256, 5 MB'),
  seed({ ...GPGSM_SHAPE, cipher: 'des3', bits: 2048, layout: 'last', form: 'pem', size: 100 * 1024 }, '3DES as gpgsm writes it (p7m reads only)'),
  // What NSS and gpgsm read beyond that: definite lengths, SKI (NSS), other ciphers.
  seed({ cipher: 'aes256', kt: 'pkcs1', rid: 'ski', bits: 4096, layout: 'single', form: 'der', encoding: 'definite', size: 1 }, 'SKI rid in definite DER (NSS reads SKI)'),
  seed({ cipher: 'aes192', kt: 'pkcs1', rid: 'issuer-serial', bits: 2048, layout: 'last', form: 'der', encoding: 'definite', size: 100 * 1024 }, 'definite DER, AES-192, for the binary-only readers'),
  seed({ cipher: 'aes256', kt: 'pkcs1', rid: 'issuer-serial', bits: 3072, layout: 'single', form: 'pem', encoding: 'definite', size: 5 * 1024 * 1024 }, 'PEM definite, 5 MB (gpgsm reads PEM)'),
  // Key transport: each OAEP hash with each key size.
  seed({ cipher: 'aes256', kt: 'oaep-sha1', rid: 'issuer-serial', bits: 2048, layout: 'single', form: 'der', encoding: 'definite', size: 1 }, 'OAEP SHA-1 (RFC 3560 default params)'),
  seed({ cipher: 'aes128', kt: 'oaep-sha256', rid: 'issuer-serial', bits: 3072, layout: 'middle', form: 'der', encoding: 'indefinite', size: 100 * 1024 }, 'OAEP SHA-256, streamed'),
  seed({ cipher: 'aes192', kt: 'oaep-sha256', rid: 'ski', bits: 4096, layout: 'last', form: 'pem', encoding: 'definite', size: 5 * 1024 * 1024 }, 'OAEP SHA-256 + SKI + RSA-4096'),
  seed({ cipher: 'aes256', kt: 'oaep-sha1', rid: 'ski', bits: 4096, layout: 'first', form: 'der', encoding: 'indefinite', size: 0 }, 'OAEP SHA-1 + SKI, empty, streamed'),
  seed({ cipher: 'des3', kt: 'oaep-sha256', rid: 'issuer-serial', bits: 3072, layout: 'single', form: 'der', encoding: 'definite', size: 1 }, '3DES with OAEP (openssl/BC write it)'),
  // S/MIME entities.
  seed({ cipher: 'aes256', kt: 'pkcs1', rid: 'issuer-serial', bits: 2048, layout: 'single', form: 'smime', encoding: 'definite', size: 100 * 1024 }, 'S/MIME, plain'),
  seed({ cipher: 'aes128', kt: 'oaep-sha256', rid: 'ski', bits: 4096, layout: 'middle', form: 'smime', encoding: 'indefinite', size: 5 * 1024 * 1024 }, 'S/MIME streamed, OAEP, SKI, 5 MB'),
  seed({ cipher: 'des3', kt: 'pkcs1', rid: 'ski', bits: 3072, layout: 'first', form: 'smime', encoding: 'indefinite', size: 0 }, 'S/MIME 3DES, empty'),
];

function label(n: number): string {
  return `c${String(n).padStart(2, '0')}`;
}

export function buildCases(): Case[] {
  const seeds = SEEDS;
  const extra = completePairs(DIMENSIONS, seeds.map(({ origin: _o, why: _w, ...v }) => v), ANY) as Values[];
  return [
    ...seeds.map((s, i) => ({ id: label(i + 1), ...s })),
    ...extra.map((v, i) => ({ id: label(seeds.length + i + 1), ...v, origin: 'pairwise' as const })),
  ];
}

export function sizeLabel(size: number): string {
  if (size >= 1024 * 1024) return `${size / (1024 * 1024)} MB`;
  if (size >= 1024) return `${size / 1024} KB`;
  return `${size} B`;
}

export function describeCase(c: Case): string {
  const rid = c.rid === 'ski' ? 'ski' : 'isn';
  return `${c.cipher} ${c.kt} ${rid} rsa${c.bits} ${c.layout} ${c.form} ${c.encoding === 'definite' ? 'def' : 'indef'} ${sizeLabel(c.size)}`;
}

/** Pair coverage of a set of rows, for the docs. */
export function pairCoverage(rows: readonly Values[]): { covered: number; total: number } {
  return pairCoverageOf(DIMENSIONS, rows, ANY);
}
