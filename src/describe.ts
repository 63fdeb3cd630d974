/** Human-readable descriptions of identifiers and algorithms, for inspect and error messages. */
import * as der from './keys/der.js';
import { nameToString as formatNameTlv } from './keys/certificate.js';
import type { RecipientId, RecipientInfo } from './format/recipient-info.js';
import { oidName } from './oids.js';

/**
 * A Name (RFC 5280 §4.1.2.4) as an RFC 4514 string (`CN=Bob,O=p7m demo`), written by the same
 * formatter as the certificate names in messages and errors (src/keys/certificate.ts).
 */
export function nameToString(nameDer: Uint8Array): string {
  try {
    return formatNameTlv(der.parse(nameDer, 'ber'));
  } catch {
    return `<unreadable name ${Buffer.from(nameDer).toString('hex').slice(0, 32)}>`;
  }
}

export function hex(b: Uint8Array, sep = ''): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(sep);
}

export function describeRid(rid: RecipientId): string {
  if (rid.kind === 'ski') return `subject key identifier ${hex(rid.ski, ':')}`;
  return `issuer "${nameToString(rid.issuerDer)}", serial 0x${hex(rid.serial)}`;
}

export function algorithmName(oid: string): string { return oidName(oid) ?? oid; }

export function describeRecipient(ri: RecipientInfo): string {
  if (ri.type === 'ktri') return `key transport (${algorithmName(ri.keyEncryptionAlgorithm.oid)}) to ${describeRid(ri.rid)}`;
  const kinds = { kari: 'key agreement', kekri: 'key encryption key', pwri: 'password', ori: 'other' } as const;
  return `${kinds[ri.type]} recipient (not supported by p7m)`;
}
