/** Every OID p7m names, once, with the document that defines it. */
export const OID = {
  // RFC 5652 §3–§6, §11 (CMS content types and attributes)
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  digestedData: '1.2.840.113549.1.7.5',
  encryptedData: '1.2.840.113549.1.7.6',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23', // RFC 5083
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  smimeCapabilities: '1.2.840.113549.1.9.15', // RFC 8551 §2.5.2
  contentIdentifier: '1.2.840.113549.1.9.16.2.7', // RFC 2634 §2.7 id-aa-contentIdentifier

  // RFC 8017 / RFC 4055 (RSA)
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  pSpecified: '1.2.840.113549.1.1.9',
  rsassaPss: '1.2.840.113549.1.1.10',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  sha384WithRSAEncryption: '1.2.840.113549.1.1.12',
  sha512WithRSAEncryption: '1.2.840.113549.1.1.13',
  sha1WithRSAEncryption: '1.2.840.113549.1.1.5',
  sha224WithRSAEncryption: '1.2.840.113549.1.1.14', // RFC 4055 §5

  // RFC 5758 (ECDSA), RFC 5480 (EC keys)
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSHA224: '1.2.840.10045.4.3.1',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  ecdsaWithSHA384: '1.2.840.10045.4.3.3',
  ecdsaWithSHA512: '1.2.840.10045.4.3.4',

  // Digests: RFC 3370 §2, RFC 5754 §2
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',

  // Content ciphers: RFC 3565 (AES), RFC 3370 §5.1 (3DES), RFC 3370 §5.2 (RC2), RFC 5084 (AES-GCM)
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  aes128Gcm: '2.16.840.1.101.3.4.1.6',
  aes192Gcm: '2.16.840.1.101.3.4.1.26',
  aes256Gcm: '2.16.840.1.101.3.4.1.46',
  desEde3Cbc: '1.2.840.113549.3.7',
  desCbc: '1.3.14.3.2.7',
  rc2Cbc: '1.2.840.113549.3.2',

  // X.509 extensions and key purposes (RFC 5280 §4.2.1)
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20', // RFC 5280 §5.2.3
  cRLReason: '2.5.29.21', // §5.3.1
  invalidityDate: '2.5.29.24', // §5.3.2
  deltaCRLIndicator: '2.5.29.27', // §5.2.4
  issuingDistributionPoint: '2.5.29.28', // §5.2.5
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  anyExtendedKeyUsage: '2.5.29.37.0', // §4.2.1.12
  emailProtection: '1.3.6.1.5.5.7.3.4',
  emailAddress: '1.2.840.113549.1.9.1',

  // Password-based cryptography: RFC 8018 (PKCS#5 v2.1) §A, §B.1; RFC 7914 §7 (scrypt)
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbmac1: '1.2.840.113549.1.5.14', // RFC 8018 §A.5, RFC 9579
  scrypt: '1.3.6.1.4.1.11591.4.11',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  // PBES1 (RFC 8018 §A.3): named only to refuse them
  pbeWithMD5AndDESCBC: '1.2.840.113549.1.5.3',
  pbeWithMD5AndRC2CBC: '1.2.840.113549.1.5.6',
  pbeWithSHA1AndDESCBC: '1.2.840.113549.1.5.10',
  pbeWithSHA1AndRC2CBC: '1.2.840.113549.1.5.11',

  // PKCS#12: RFC 7292 Appendix C (PBE schemes), §4.2 (bag types), §4.2.3 (certificate types)
  pbeWithSHAAnd128BitRC4: '1.2.840.113549.1.12.1.1',
  pbeWithSHAAnd40BitRC4: '1.2.840.113549.1.12.1.2',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd2KeyTripleDESCBC: '1.2.840.113549.1.12.1.4',
  pbeWithSHAAnd128BitRC2CBC: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2CBC: '1.2.840.113549.1.12.1.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',
} as const;

/** Reverse lookup for messages: '2.16.840.1.101.3.4.1.42' → 'aes256Cbc'. */
const byOid = new Map<string, string>(Object.entries(OID).map(([k, v]) => [v, k]));
export function oidName(oid: string): string | undefined { return byOid.get(oid); }
