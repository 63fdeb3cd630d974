/** The seed corpus (test/corpus/seeds/) and the keys that open it. */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_DIR = path.join(ROOT, 'test', 'corpus');
export const SEEDS_DIR = path.join(CORPUS_DIR, 'seeds');
export const HOSTILE_DIR = path.join(CORPUS_DIR, 'hostile');
export const REGRESSIONS_DIR = path.join(CORPUS_DIR, 'regressions');

export interface SeedEntry {
  readonly file: string;
  readonly peer: 'openssl' | 'p7m';
  readonly kind: 'enveloped' | 'signed';
  readonly form: 'der' | 'pem' | 'smime';
}

export interface Seed extends SeedEntry { readonly bytes: Uint8Array }

export interface SeedKeys {
  /** The recipient (and signer) of every seed: key, certificate PEM, certificate DER. */
  readonly rcptKey: KeyObject;
  readonly rcptCertPem: Uint8Array;
  readonly rcptCertDer: Uint8Array;
  /** A second RSA-2048 key: the second recipient of the multi-recipient seeds. */
  readonly otherKey: KeyObject;
  readonly otherCertPem: Uint8Array;
  /** A key no seed is addressed to. */
  readonly wrongKey: KeyObject;
  /** Trust anchor for the signed seeds. */
  readonly caDer: Uint8Array;
}

const pemToDer = (pem: Buffer): Uint8Array =>
  new Uint8Array(Buffer.from(pem.toString('latin1').replace(/-----[^-]+-----|\s/g, ''), 'base64'));

export function loadKeys(): SeedKeys {
  const k = (f: string): Buffer => readFileSync(path.join(SEEDS_DIR, 'keys', f));
  return {
    rcptKey: createPrivateKey(k('rcpt.key.pem')),
    rcptCertPem: new Uint8Array(k('rcpt.pem')),
    rcptCertDer: pemToDer(k('rcpt.pem')),
    otherKey: createPrivateKey(k('other.key.pem')),
    otherCertPem: new Uint8Array(k('other.pem')),
    wrongKey: createPrivateKey(k('wrong.key.pem')),
    caDer: pemToDer(k('ca.pem')),
  };
}

export function loadSeeds(): { content: Uint8Array; seeds: Seed[] } {
  const m = JSON.parse(readFileSync(path.join(SEEDS_DIR, 'seeds.json'), 'utf8')) as { content: string; seeds: SeedEntry[] };
  return {
    content: new Uint8Array(Buffer.from(m.content, 'base64')),
    seeds: m.seeds.map((s) => ({ ...s, bytes: new Uint8Array(readFileSync(path.join(SEEDS_DIR, s.file))) })),
  };
}
