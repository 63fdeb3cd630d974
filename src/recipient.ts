/**
 * The two interfaces that carry the design (the age model): a Recipient wraps the content-encryption
 * key into one RecipientInfo; an Identity says which RecipientInfos are addressed to it and unwraps
 * them. Each recipient kind is one file in src/recipients/ implementing both.
 */
import type { ContentCipher } from './algorithms.js';
import type { RecipientInfo } from './format/recipient-info.js';

export interface Recipient {
  /** Wrap the content-encryption key (CEK) for this recipient. */
  wrap(cek: Uint8Array): RecipientInfo;
}

/**
 * 'yes': addressed to this identity by its identifier; 'maybe': could be (bare key, same algorithm
 * and size, no identifier to compare); 'no': not ours ("not mine" is not an error, habit 2).
 */
export type Match = 'yes' | 'maybe' | 'no';

export interface Identity {
  match(ri: RecipientInfo): Match;
  /**
   * Unwrap the CEK for `cipher`. Never says whether the key or the padding was wrong: on any failure
   * after the private-key operation it returns a random key of the right length (RFC 3218 §2.3.2),
   * so the failure surfaces later as the one generic DecryptionFailedError. Throws only for what is
   * public (malformed parameters, unsupported algorithm).
   */
  unwrap(ri: RecipientInfo, cipher: ContentCipher): Uint8Array;
}
