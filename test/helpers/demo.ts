/** The demo PKI shipped in certs/ (scripts/make-certs.ts): paths, bytes and the one password. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CERTS } from './spawn.js';

export const DEMO_PASSWORD = 'demo-password';

export const DEMO = {
  ca: path.join(CERTS, 'ca.pem'),
  /** RSA-2048, with subjectKeyIdentifier. */
  alice: path.join(CERTS, 'alice.pem'),
  aliceKey: path.join(CERTS, 'alice.key.pem'),
  /** The same key as encrypted PKCS#8, password DEMO_PASSWORD. */
  aliceKeyEnc: path.join(CERTS, 'alice.key.enc.pem'),
  /** RSA-3072, with subjectKeyIdentifier. */
  bob: path.join(CERTS, 'bob.pem'),
  bobKey: path.join(CERTS, 'bob.key.pem'),
  bobP12: path.join(CERTS, 'bob.p12'),
  /** 3DES key bag, RC2-40 cert bag, SHA-1 MAC. */
  bobLegacyP12: path.join(CERTS, 'bob-legacy.p12'),
  /** EC P-256: not a possible recipient. */
  carol: path.join(CERTS, 'carol.pem'),
  carolKey: path.join(CERTS, 'carol.key.pem'),
} as const;

export type DemoFile = keyof typeof DEMO;

const cache = new Map<DemoFile, Buffer>();

/** The bytes of a demo file (read once). */
export function demo(name: DemoFile): Buffer {
  let b = cache.get(name);
  if (!b) { b = readFileSync(DEMO[name]); cache.set(name, b); }
  return b;
}
