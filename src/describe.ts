/** Human-readable descriptions of identifiers and algorithms, for inspect and error messages. */
import { children, oid as readOid, parseBer } from './format/asn1.js';
import type { RecipientId, RecipientInfo } from './format/recipient-info.js';
import { oidName } from './oids.js';

/** RFC 4514 short names for the attribute types seen in practice. */
const ATTR_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber', '0.9.2342.19200300.100.1.25': 'DC', '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

/** A Name (RFC 5280 §4.1.2.4) as an RFC 4514-style string, most significant RDN first as openssl prints. */
export function nameToString(der: Uint8Array): string {
  try {
    const rdns = children(parseBer(der, 'name'), 'name');
    return rdns.map((rdn) => children(rdn, 'name').map((atv) => {
      const [t, v] = children(atv, 'name');
      const type = readOid(t!, 'name');
      const value = (v as unknown as { valueBlock: { value?: unknown } }).valueBlock.value;
      const text = typeof value === 'string' ? value : Buffer.from((v as unknown as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView ?? []).toString('hex');
      return `${ATTR_NAMES[type] ?? type}=${text}`;
    }).join('+')).join(', ');
  } catch {
    return `<unreadable name ${Buffer.from(der).toString('hex').slice(0, 32)}>`;
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
