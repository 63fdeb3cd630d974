/**
 * ASN.1 Time, strictly: UTCTime and GeneralizedTime as DER writes them (X.690 §11.7–11.8), seconds
 * present and 'Z'. A time in any other shape is malformed rather than guessed at.
 */
import { MalformedInputError } from '../errors.js';
import { type Node, isUniversal, octets } from '../format/asn1.js';
import { tlv } from '../format/der.js';

const UTC_TIME = 23;
const GENERALIZED_TIME = 24;

export function decodeTime(n: Node, what: string): Date {
  if (n.idBlock.isConstructed) throw new MalformedInputError(`malformed ${what}: constructed time`);
  const s = String.fromCharCode(...octets(n, what));
  let m: RegExpExecArray | null;
  let year: number;
  let ms = 0;
  if (isUniversal(n, UTC_TIME) && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    // RFC 5280 §4.1.2.5.1 / RFC 5652 §11.3: YY ≥ 50 is 19YY, else 20YY.
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (isUniversal(n, GENERALIZED_TIME) && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?Z$/.exec(s))) {
    year = Number(m[1]);
    if (m[7]) ms = Math.floor(Number(`0.${m[7]}`) * 1000);
  } else {
    throw new MalformedInputError(`malformed ${what}: ${JSON.stringify(s.slice(0, 40))} is not a DER UTCTime or GeneralizedTime`);
  }
  const [mo, d, h, mi, se] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
  const t = new Date(Date.UTC(year, mo - 1, d, h, mi, se, ms));
  // Date.UTC rolls 31 February into March: a round trip catches out-of-range fields.
  if (t.getUTCFullYear() !== year || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || t.getUTCHours() !== h
    || t.getUTCMinutes() !== mi || t.getUTCSeconds() !== se) {
    throw new MalformedInputError(`malformed ${what}: ${s} is not a valid time`);
  }
  return t;
}

/**
 * RFC 5652 §11.3: dates from 1950 through 2049 MUST be UTCTime, others GeneralizedTime; whole seconds
 * (fractions would make GeneralizedTime non-DER only when they end in zero, simpler to drop them).
 */
export function encodeTime(date: Date): Uint8Array {
  const t = date.getTime();
  if (!Number.isFinite(t)) throw new RangeError('invalid date');
  const d = new Date(Math.floor(t / 1000) * 1000);
  const y = d.getUTCFullYear();
  if (y < 0 || y > 9999) throw new RangeError('year out of range');
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const rest = `${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}Z`;
  const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
  if (y >= 1950 && y <= 2049) return tlv(UTC_TIME, enc(`${p2(y % 100)}${rest}`));
  return tlv(GENERALIZED_TIME, enc(`${String(y).padStart(4, '0')}${rest}`));
}
