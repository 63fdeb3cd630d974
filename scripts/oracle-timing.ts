/**
 * Statistical timing check for the PKCS#1 v1.5 unwrap: does unwrapPkcs1Cek take measurably different
 * time for ciphertexts with valid padding than for ciphertexts with invalid padding? A difference would
 * be a Bleichenbacher / Marvin timing oracle (the reason Node 20 refuses RSA_PKCS1_PADDING decryption).
 *
 *   node --import tsx scripts/oracle-timing.ts [--trials 10000] [--bits 2048] [--seed 1]
 *
 * Method: `trials` fresh ciphertexts of each kind, all decrypted in one randomly interleaved order (so
 * that drift — frequency scaling, GC, other load — hits both kinds alike), after a warm-up. "valid" is a
 * correctly padded 32-byte CEK, as a real message carries. "invalid" cycles through the classes a
 * padding-oracle attacker produces: bad leading bytes, no separator, padding string too short, and
 * correct padding around a key of the wrong length (16 bytes where 32 are expected). The report gives
 * means and medians, the difference of means with a Welch 95% confidence interval, and the difference
 * of medians with a bootstrap 95% interval. An interval containing 0 means no difference was detected
 * at this sample size; the width of the interval says how small a difference could have been seen.
 */
import { constants, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { pkcs1v15Encrypt, unwrapPkcs1Cek } from '../src/rsa/pkcs1.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} wants a positive integer`);
  return v;
}

const TRIALS = arg('trials', 10_000);
const BITS = arg('bits', 2048);
const WARMUP = Math.min(2_000, TRIALS);
const BOOTSTRAP = 2_000;
const CEK_LENGTH = 32;

// A small seeded PRNG (mulberry32) for the interleaving and the bootstrap, so a run can be repeated.
let state = arg('seed', 1) >>> 0;
function rand(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Non-zero random bytes, for a PKCS#1 padding string. */
function nonZero(n: number): Uint8Array {
  const b = randomBytes(n);
  for (let i = 0; i < n; i++) while (b[i] === 0) b[i] = randomBytes(1)[0]!;
  return b;
}

/** RSA-encrypt a hand-made k-byte encoded message (no padding added by OpenSSL). */
function rawEncrypt(pub: KeyObject, em: Uint8Array): Uint8Array {
  return publicEncrypt({ key: pub, padding: constants.RSA_NO_PADDING }, em);
}

const INVALID_CLASSES = ['bad leading bytes (00 01)', 'no 00 separator', 'padding string < 8 bytes', 'wrong key length (16)'] as const;

function invalidCiphertext(pub: KeyObject, k: number, cls: number): Uint8Array {
  const em = new Uint8Array(k);
  switch (cls) {
    case 0: { // 00 01 || PS || 00 || M: block type 1 (signature padding)
      em.set(nonZero(k - CEK_LENGTH - 3), 2);
      em[1] = 1;
      em.set(randomBytes(CEK_LENGTH), k - CEK_LENGTH);
      break;
    }
    case 1: { // 00 02 || non-zero bytes to the end
      em[1] = 2;
      em.set(nonZero(k - 2), 2);
      break;
    }
    case 2: { // 00 02 || 5 non-zero || 00 || rest
      em[1] = 2;
      em.set(nonZero(5), 2);
      em.set(nonZero(k - 8), 8);
      break;
    }
    default: // well-formed padding, but a 16-byte key where 32 are expected
      return pkcs1v15Encrypt(pub, randomBytes(16));
  }
  return rawEncrypt(pub, em);
}

function mean(xs: Float64Array): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

function variance(xs: Float64Array, m: number): number {
  let s = 0;
  for (const x of xs) s += (x - m) ** 2;
  return s / (xs.length - 1);
}

function median(xs: Float64Array): number {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

function resample(xs: Float64Array): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = xs[Math.floor(rand() * xs.length)]!;
  return out;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

const us = (ns: number): string => `${(ns / 1000).toFixed(2)} µs`;

function main(): void {
  console.log(`oracle-timing: unwrapPkcs1Cek(cekLength=${CEK_LENGTH}), RSA-${BITS}, ${TRIALS} valid + ${TRIALS} invalid, node ${process.version}`);
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: BITS });
  const k = Math.ceil(BITS / 8);

  process.stdout.write('preparing ciphertexts… ');
  const valid: Uint8Array[] = [];
  const invalid: Uint8Array[] = [];
  for (let i = 0; i < TRIALS; i++) {
    valid.push(pkcs1v15Encrypt(publicKey, randomBytes(CEK_LENGTH)));
    invalid.push(invalidCiphertext(publicKey, k, i % INVALID_CLASSES.length));
  }
  console.log('done');

  // Warm-up: let V8 optimise every path before anything is measured.
  for (let i = 0; i < WARMUP; i++) {
    unwrapPkcs1Cek(privateKey, valid[i]!, CEK_LENGTH);
    unwrapPkcs1Cek(privateKey, invalid[i]!, CEK_LENGTH);
  }

  // Random interleaving (Fisher–Yates over the 2·TRIALS measurements).
  const order = new Int32Array(2 * TRIALS);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }

  const tValid = new Float64Array(TRIALS);
  const tInvalid = new Float64Array(TRIALS);
  let sink = 0;
  for (const o of order) {
    const isValid = o < TRIALS;
    const idx = isValid ? o : o - TRIALS;
    const c = isValid ? valid[idx]! : invalid[idx]!;
    const t0 = process.hrtime.bigint();
    const cek = unwrapPkcs1Cek(privateKey, c, CEK_LENGTH);
    const dt = Number(process.hrtime.bigint() - t0);
    sink ^= cek[0]!;
    (isValid ? tValid : tInvalid)[idx] = dt;
  }

  const mV = mean(tValid), mI = mean(tInvalid);
  const vV = variance(tValid, mV), vI = variance(tInvalid, mI);
  const se = Math.sqrt(vV / TRIALS + vI / TRIALS);
  const diff = mI - mV;
  // Welch–Satterthwaite degrees of freedom; with n = 10,000 the t quantile is 1.96 to two decimals.
  const df = (vV / TRIALS + vI / TRIALS) ** 2 / ((vV / TRIALS) ** 2 / (TRIALS - 1) + (vI / TRIALS) ** 2 / (TRIALS - 1));
  const z = 1.96;

  const medV = median(tValid), medI = median(tInvalid);
  const boots = new Float64Array(BOOTSTRAP);
  for (let b = 0; b < BOOTSTRAP; b++) boots[b] = median(resample(tInvalid)) - median(resample(tValid));
  boots.sort();
  const bLo = quantile(boots, 0.025), bHi = quantile(boots, 0.975);

  console.log('');
  console.log(`                 mean          median        sd`);
  console.log(`valid padding    ${us(mV).padEnd(13)} ${us(medV).padEnd(13)} ${us(Math.sqrt(vV))}`);
  console.log(`invalid padding  ${us(mI).padEnd(13)} ${us(medI).padEnd(13)} ${us(Math.sqrt(vI))}`);
  console.log('');
  console.log(`difference of means   (invalid − valid): ${us(diff)}, Welch 95% CI [${us(diff - z * se)}, ${us(diff + z * se)}] (df ≈ ${df.toFixed(0)}, t = ${(diff / se).toFixed(2)})`);
  console.log(`difference of medians (invalid − valid): ${us(medI - medV)}, bootstrap 95% CI [${us(bLo)}, ${us(bHi)}] (${BOOTSTRAP} resamples)`);

  // Per invalid class, medians only (each class has TRIALS / 4 samples).
  console.log('');
  console.log('invalid classes (median):');
  INVALID_CLASSES.forEach((name, cls) => {
    const xs = tInvalid.filter((_, i) => i % INVALID_CLASSES.length === cls);
    console.log(`  ${name.padEnd(28)} ${us(median(xs))}  (n = ${xs.length})`);
  });

  const meanOk = diff - z * se <= 0 && 0 <= diff + z * se;
  const medOk = bLo <= 0 && 0 <= bHi;
  console.log('');
  console.log(meanOk && medOk
    ? 'verdict: no timing difference detected between valid and invalid padding at 95%'
    : 'verdict: the intervals exclude 0 — look at the size of the difference against the noise (sd) before concluding');
  if (sink === 256) console.log(''); // keep the results alive
}

main();
