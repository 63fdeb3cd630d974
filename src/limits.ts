/**
 * Resource limits for untrusted input, explicit options with documented defaults (the jose
 * `maxPBES2Count` habit). The content itself is never limited: it streams.
 */
export interface Limits {
  /** Bytes of EnvelopedData before the ciphertext (originatorInfo, recipientInfos, algorithm). */
  maxHeaderBytes: number;
  /** RecipientInfos in one message. */
  maxRecipients: number;
  /** Certificates in originatorInfo / SignedData. */
  maxCertificates: number;
  /** Nesting depth of BER elements in any parsed structure. */
  maxDepth: number;
  /** Contents octets of one OBJECT IDENTIFIER. */
  maxOidBytes: number;
  /** RSA recipients tried with a bare key when no identifier matches (each one is a trial decryption). */
  maxCandidates: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderBytes: 16 * 1024 * 1024,
  maxRecipients: 10_000,
  maxCertificates: 1_000,
  maxDepth: 32,
  maxOidBytes: 64,
  maxCandidates: 16,
});

export function resolveLimits(l?: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...(l ?? {}) };
}
