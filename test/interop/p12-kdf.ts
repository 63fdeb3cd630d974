// Which PKCS#12 files gpgsm 2.2 cannot read, found without running it.
//
// The PKCS#12 key derivation (RFC 7292 Appendix B.2) makes a 3DES key (24 bytes) in two SHA-1
// rounds; between them it sets each 64-byte block I_j of I = S || P to (I_j + B + 1) mod 2^512.
// gpgsm 2.2.40's minip12.c does this with a libgcrypt MPI and prints the sum back unsigned, which
// writes no leading zero bytes: when a sum starts with 0x00 the block comes back short, the key is
// wrong and the import fails ("decryption failed; trying charset …", then `error at "bag.data"`).
// Each sum's first byte is 0 with chance 1/256, a 3DES file has two derivations (the certificate
// bag and the key bag) of two blocks each, so about 1 file in 64 that `openssl pkcs12 -export`
// writes with a random salt is unreadable by gpgsm. The matrix has gpgsm import six of them, so
// about one fresh PKI in eleven broke its whole gpgsm column (a CI run on 0addeea did). Measured
// here: 1 of 60 re-exports of one key failed, the one this flags, and p7m and openssl read it.
// The PKI generator re-exports such a file (a new random salt), so the gpgsm column tests p7m,
// not this.
import { createHash } from 'node:crypto';
import { content, decodeOid, parseBer, type BerNode } from './ber.js';

/** pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 Appendix C). */
const PBE_SHA1_3DES = '1.2.840.113549.1.12.1.3';

export interface Pbe {
  readonly salt: Uint8Array;
  readonly iterations: number;
}

/** Every 3DES PBE (salt, iterations) in a PFX, looking inside OCTET STRINGs that hold DER. */
export function pbeParams(der: Uint8Array): Pbe[] {
  const found: Pbe[] = [];
  const walk = (buf: Uint8Array, n: BerNode): void => {
    // AlgorithmIdentifier { OID, SEQUENCE { salt OCTET STRING, iterations INTEGER } }
    const [oid, params] = n.children;
    if (n.tag === 0x30 && oid?.tag === 0x06 && decodeOid(content(buf, oid)) === PBE_SHA1_3DES && params) {
      const [salt, iter] = params.children;
      if (salt && iter) {
        const it = content(buf, iter).reduce((v, b) => v * 256 + b, 0);
        found.push({ salt: content(buf, salt), iterations: it });
        return;
      }
    }
    for (const c of n.children) walk(buf, c);
    if (n.tag === 0x04 && !n.constructed) {
      const inner = content(buf, n);
      try {
        const root = parseBer(inner);
        if (root.end === inner.length) walk(inner, root);
      } catch {
        // Not DER inside (ciphertext, a MAC, a salt): nothing to look at.
      }
    }
  };
  walk(der, parseBer(der));
  return found;
}

/** RFC 7292 B.1: the password as a BMPString with its two zero bytes. */
function bmp(password: string): Buffer {
  const b = Buffer.alloc(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) b.writeUInt16BE(password.charCodeAt(i), i * 2);
  return b;
}

/** `x` repeated to a multiple of 64 bytes (RFC 7292 B.2 steps 2–3). */
function fill(x: Uint8Array): Buffer {
  const out = Buffer.alloc(64 * Math.ceil(x.length / 64));
  for (let i = 0; i < out.length; i++) out[i] = x[i % x.length]!;
  return out;
}

/**
 * True when the key derivation (ID 1) for this salt makes an I_j + B + 1 whose first byte is 0,
 * which gpgsm 2.2's derivation gets wrong. The IV (8 bytes) and the MAC key (20 bytes) take one
 * round and never reach that step.
 */
export function shortensInGpgsm(pbe: Pbe, password: string): boolean {
  const I = Buffer.concat([fill(pbe.salt), fill(bmp(password))]);
  let a = createHash('sha1').update(Buffer.alloc(64, 1)).update(I).digest();
  for (let k = 1; k < pbe.iterations; k++) a = createHash('sha1').update(a).digest();
  const b1 = BigInt(`0x${fill(a).toString('hex')}`) + 1n;
  const mod = 1n << 512n;
  for (let j = 0; j < I.length; j += 64) {
    const sum = (BigInt(`0x${I.subarray(j, j + 64).toString('hex')}`) + b1) % mod;
    if (sum < 1n << 504n) return true;
  }
  return false;
}

/** True when gpgsm 2.2 can derive every key of this PFX. */
export function gpgsmCanRead(der: Uint8Array, password: string): boolean {
  return pbeParams(der).every((p) => !shortensInGpgsm(p, password));
}
