/**
 * Typed errors with stable codes (the jose model): callers switch on `code`, never on a message.
 * Messages are lower case, without a final period; hints are the CLI's business (src/cli/).
 *
 * Exit status mapping lives in the CLI: UsageError → 2, every other P7mError → 1.
 */
export class P7mError extends Error {
  /** Stable machine-readable code, e.g. 'ERR_DECRYPTION_FAILED'. Never changes once published. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Command-line or API misuse (bad option, missing argument, OUT equal to IN). Exit status 2. */
export class UsageError extends P7mError {
  constructor(message: string) { super('ERR_USAGE', message); }
}

/** Input is not well-formed BER/DER/PEM/S-MIME, or not the CMS structure expected. */
export class MalformedInputError extends P7mError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_MALFORMED_INPUT', message, options); }
}

/** A configured resource limit (nesting depth, header size, recipients, certificates, OID length) was exceeded. */
export class LimitExceededError extends P7mError {
  constructor(message: string) { super('ERR_LIMIT_EXCEEDED', message); }
}

/** An algorithm (content cipher, key transport, digest, signature) p7m does not implement or refuses. */
export class UnsupportedAlgorithmError extends P7mError {
  constructor(message: string) { super('ERR_UNSUPPORTED_ALGORITHM', message); }
}

/** The message is not EnvelopedData / SignedData where one is required, or a RecipientInfo kind p7m cannot use. */
export class UnsupportedContentError extends P7mError {
  constructor(message: string) { super('ERR_UNSUPPORTED_CONTENT', message); }
}

/** No RecipientInfo is addressed to the given certificate / key. `recipients` describes who the message is for. */
export class NoMatchingRecipientError extends P7mError {
  readonly recipients: string[];
  constructor(message: string, recipients: string[]) {
    super('ERR_NO_MATCHING_RECIPIENT', message);
    this.recipients = recipients;
  }
}

/**
 * Decryption failed. ONE error for wrong key, bad PKCS#1/OAEP padding, wrong session-key length and bad
 * CBC padding (RFC 3218 §2.3; Bleichenbacher / Marvin): the message and code never say which step failed.
 */
export class DecryptionFailedError extends P7mError {
  constructor() { super('ERR_DECRYPTION_FAILED', 'decryption failed'); }
}

/** A certificate cannot be used as a recipient (not RSA, keyUsage, validity, key too small). */
export class BadRecipientCertificateError extends P7mError {
  constructor(message: string) { super('ERR_BAD_RECIPIENT_CERT', message); }
}

/** A key, certificate or PKCS#12 file could not be read (format, password, mismatch). */
export class KeyFileError extends P7mError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_KEY_FILE', message, options); }
}

/** A password was needed and is wrong, or the PKCS#12 MAC does not verify. */
export class BadPasswordError extends P7mError {
  constructor(message = 'wrong password or corrupt key file') { super('ERR_BAD_PASSWORD', message); }
}

/** A key or PKCS#12 file is encrypted and no password could be obtained (none given, no terminal to ask). */
export class PasswordRequiredError extends P7mError {
  constructor(message: string) { super('ERR_PASSWORD_REQUIRED', message); }
}

/** Reading or writing a file failed (not found, permission, disk full). */
export class IoError extends P7mError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_IO', message, options); }
}

// --- signed messages and replay protection (RFC 5652 §5, RFC 2634) ---

export class BadSignatureError extends P7mError {
  constructor(message = 'signature does not verify') { super('ERR_BAD_SIGNATURE', message); }
}
export class UntrustedSignerError extends P7mError {
  constructor(message: string) { super('ERR_UNTRUSTED_SIGNER', message); }
}
export class ExpiredSignerError extends P7mError {
  constructor(message: string) { super('ERR_EXPIRED_SIGNER', message); }
}
/** A certificate of the signer's chain is on its issuer's CRL (RFC 5280 §5). */
export class RevokedCertificateError extends P7mError {
  readonly revokedAt: Date;
  constructor(message: string, revokedAt: Date) { super('ERR_CERTIFICATE_REVOKED', message); this.revokedAt = revokedAt; }
}
/** Revocation was to be checked and no usable CRL covers a certificate (none from its issuer, or out of date). */
export class RevocationUnknownError extends P7mError {
  constructor(message: string) { super('ERR_REVOCATION_UNKNOWN', message); }
}
export class StaleMessageError extends P7mError {
  constructor(message: string) { super('ERR_STALE_MESSAGE', message); }
}
export class FutureMessageError extends P7mError {
  constructor(message: string) { super('ERR_FUTURE_MESSAGE', message); }
}
export class ReplayedMessageError extends P7mError {
  readonly firstSeen: Date;
  constructor(message: string, firstSeen: Date) { super('ERR_REPLAYED_MESSAGE', message); this.firstSeen = firstSeen; }
}
export class MissingReplayAttributesError extends P7mError {
  constructor(message: string) { super('ERR_MISSING_TIMESTAMP_OR_ID', message); }
}
export class ReplayCacheError extends P7mError {
  constructor(message: string, options?: { cause?: unknown }) { super('ERR_REPLAY_CACHE', message, options); }
}
export class UnsignedMessageError extends P7mError {
  constructor(message: string) { super('ERR_UNSIGNED_MESSAGE', message); }
}
export class SignerMismatchError extends P7mError {
  constructor(message: string) { super('ERR_SIGNER_MISMATCH', message); }
}
