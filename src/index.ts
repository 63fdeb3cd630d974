/** p7m: CMS / PKCS#7 EnvelopedData (RFC 5652) for Node, streaming, with replay-proof signed messages. */
export { encrypt, prepareEnvelope, type EncryptOptions, type EncryptObserver, CHUNK_SIZE } from './encrypt.js';
export { decrypt, openDecryption, resolveIdentity, type DecryptOptions, type DecryptResult, type DecryptInfo } from './decrypt.js';
export { inspect, inspectStream, inspectMessage, type Inspection } from './inspect.js';
export { formatSignedInspection, type SignedInspection, type InspectedSigner } from './inspect-signed.js';
export { encryptStream, decryptStream } from './streams.js';
export * from './errors.js';
export { DEFAULT_LIMITS, type Limits } from './limits.js';
export { CONTENT_CIPHERS, type ContentCipherName, type HashName } from './algorithms.js';
export { OID } from './oids.js';
export type { Recipient, Identity } from './recipient.js';
export { RsaRecipient, RsaIdentity } from './recipients/rsa.js';
export type { CertInfo } from './keys/certificate.js';

// Signed messages and replay protection (RFC 5652 §5, RFC 2634 §1.1, §2.7).
export { sign, verify, createSignedDataStreamEncoder, clearSignedStream, readSignedData, SignedDataVerifier, parseDuration } from './signed/index.js';
export type { SignOptions, ClearSignOptions, VerifyOptions, VerifyPolicy, VerifyResult, SignatureCheck, SignerSummary, ReplayIdentity } from './signed/index.js';
export { openReplayCache, defaultReplayDbPath, recordVerified, type ReplayCache } from './replay/cache.js';
export { receiveSigned, type ReceivePolicy, type Verified } from './receive.js';
export { signedStream, type SignerOptions } from './send.js';
export { encryptTripleWrapped, decryptTripleWrapped } from './triple.js';
