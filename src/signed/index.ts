/** Signed messages (RFC 5652 §5) with replay protection: the public surface of src/signed/. */
export { sign, SignedDataBuilder, createSignedDataStreamEncoder } from './sign.js';
export type { SignOptions, SignerInfoResult, SignedDataStreamEncoder } from './sign.js';
export { verify, SignedDataVerifier, DEFAULT_MAX_AGE_MS, DEFAULT_MAX_SKEW_MS, checkFreshness } from './verify.js';
export type { VerifyOptions, VerifyPolicy, VerifyResult, SignatureCheck, SignerSummary, ReplayIdentity } from './verify.js';
export { readSignedData, DEFAULT_SIGNED_DATA_LIMITS } from './reader.js';
export type { SignedDataHeader, SignedDataTrailer, SignedDataStream, SignedDataLimits } from './reader.js';
export { tripleWrap, verifyTripleWrapped } from './triple-wrap.js';
export type { TripleWrapOptions, TripleUnwrapOptions, TripleUnwrapResult, EncryptCallback, DecryptCallback } from './triple-wrap.js';
export { wrapContentInfo, unwrapContentInfo } from './content-info.js';
export { clearSignedStream, type ClearSignOptions } from './clear-sign.js';
export { parseDuration } from './duration.js';
export type { SigningHash } from './algorithms.js';
