// Bouncy Castle 1.7x driver for the p7m interop matrix (test/interop/peers/bc.ts starts it).
//
// One long-lived JVM serves many requests, so the matrix pays for JVM start-up and BC's class
// loading once. The protocol is line-based on stdin/stdout, one request and one answer per line:
//
//   request:  ID <TAB> COMMAND <TAB> key=value <TAB> key=value ...
//   answer:   ID <TAB> ok [<TAB> text]   or   ID <TAB> err <TAB> message
//
// Values are file paths and short option words, which never hold a tab or a newline; an error
// message has its tabs, newlines and backslashes escaped (\t, \n, \\) so that it stays one line.
//
// Commands:
//   version                     -> "ok <bc version>"
//   encrypt in= out= certs=A,B,C cipher=des3|aes128|aes192|aes256|aes256-gcm kt=pkcs1|oaep-sha1|oaep-sha256
//           (aes256-gcm: AuthEnvelopedData, RFC 5083; BC 1.72 writes it definite only)
//           rid=issuer-serial|ski form=der|pem|smime encoding=definite|indefinite
//   decrypt in= out= cert= key= form=der|pem|smime
//   sign    in= out= cert= key= ca= op=sign|sign-encrypt sig=rsa-pkcs1|rsa-pss|ecdsa digest=sha256|sha384|sha512
//           placement=opaque|detached form=der|pem|smime contentid=yes|no [recip=CERT for sign-encrypt]
//   verify  in= out= ca= op=sign|sign-encrypt form=der|pem|smime [content=FILE for detached]
//           [cert= key= of the recipient for sign-encrypt]
//   quit
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.FileReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.StringReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.PrivateKey;
import java.security.Security;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.MGF1ParameterSpec;
import java.security.SecureRandom;
import java.util.Collection;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSet;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.DefaultSignedAttributeTableGenerator;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cms.CMSAlgorithm;
import org.bouncycastle.cms.CMSAuthEnvelopedData;
import org.bouncycastle.cms.CMSAuthEnvelopedDataGenerator;
import org.bouncycastle.cms.jcajce.JceKeyTransAuthEnvelopedRecipient;
import org.bouncycastle.operator.OutputAEADEncryptor;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.cms.CMSObjectIdentifiers;
import org.bouncycastle.asn1.cms.ContentInfo;
import org.bouncycastle.cms.CMSEnvelopedData;
import org.bouncycastle.cms.CMSEnvelopedDataGenerator;
import org.bouncycastle.cms.CMSEnvelopedDataParser;
import org.bouncycastle.cms.CMSEnvelopedDataStreamGenerator;
import org.bouncycastle.cms.CMSProcessableFile;
import org.bouncycastle.cms.CMSTypedStream;
import org.bouncycastle.cms.RecipientInformation;
import org.bouncycastle.cms.RecipientInformationStore;
import org.bouncycastle.cms.jcajce.JceCMSContentEncryptorBuilder;
import org.bouncycastle.cms.jcajce.JceKeyTransEnvelopedRecipient;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientId;
import org.bouncycastle.cms.jcajce.JceKeyTransRecipientInfoGenerator;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.OutputEncryptor;
import org.bouncycastle.operator.jcajce.JcaAlgorithmParametersConverter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.bouncycastle.util.io.pem.PemWriter;

public final class BcDriver {
    /** Thrown for a request the driver itself cannot make sense of (not a BC failure). */
    static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;
        BadRequest(String message) { super(message); }
    }

    public static void main(String[] args) throws Exception {
        Security.addProvider(new BouncyCastleProvider());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        // Anything BC or the JVM prints on stdout would break the protocol: send it to stderr.
        System.setOut(System.err);
        out.println("ready\tok\t" + version());
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isEmpty()) continue;
            String[] parts = line.split("\t");
            String id = parts[0];
            if (parts.length < 2) { out.println(id + "\terr\tmissing command"); continue; }
            String command = parts[1];
            Map<String, String> opts = new HashMap<>();
            for (int i = 2; i < parts.length; i++) {
                int eq = parts[i].indexOf('=');
                if (eq < 0) { opts.put(parts[i], ""); } else { opts.put(parts[i].substring(0, eq), parts[i].substring(eq + 1)); }
            }
            try {
                switch (command) {
                    case "version": out.println(id + "\tok\t" + version()); break;
                    case "encrypt": encrypt(opts); out.println(id + "\tok"); break;
                    case "decrypt": decrypt(opts); out.println(id + "\tok"); break;
                    case "sign": sign(opts); out.println(id + "\tok"); break;
                    case "verify": verify(opts); out.println(id + "\tok"); break;
                    case "quit": out.println(id + "\tok"); return;
                    default: out.println(id + "\terr\tunknown command " + command);
                }
            } catch (Throwable e) {
                out.println(id + "\terr\t" + escape(describe(e)));
            }
        }
    }

    static String version() {
        return "Bouncy Castle " + new BouncyCastleProvider().getVersionStr()
            + " (bcpkix " + packageVersion(CMSEnvelopedData.class) + ")"
            + ", Java " + System.getProperty("java.version");
    }

    static String packageVersion(Class<?> c) {
        Package p = c.getPackage();
        String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "?" : v;
    }

    /** The exception chain, class names included, as BC's own words for the failure. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (sb.length() > 0) sb.append(" <- ");
            sb.append(t.getClass().getName()).append(": ").append(t.getMessage());
            if (t.getCause() == t) break;
        }
        return sb.toString();
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static String need(Map<String, String> opts, String key) throws BadRequest {
        String v = opts.get(key);
        if (v == null) throw new BadRequest("missing " + key + "=");
        return v;
    }

    static X509Certificate readCert(String path) throws Exception {
        try (InputStream is = new BufferedInputStream(new FileInputStream(path))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(is);
        }
    }

    static PrivateKey readKey(String path) throws Exception {
        try (PEMParser p = new PEMParser(new FileReader(path, StandardCharsets.US_ASCII))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter().setProvider("BC");
            if (o instanceof PrivateKeyInfo) return conv.getPrivateKey((PrivateKeyInfo) o);
            if (o instanceof org.bouncycastle.openssl.PEMKeyPair) return conv.getKeyPair((org.bouncycastle.openssl.PEMKeyPair) o).getPrivate();
            throw new BadRequest("unsupported key file " + path + ": " + (o == null ? "empty" : o.getClass().getName()));
        }
    }

    static ASN1ObjectIdentifier cipherOid(String name) throws BadRequest {
        switch (name) {
            case "des3": return CMSAlgorithm.DES_EDE3_CBC;
            case "aes128": return CMSAlgorithm.AES128_CBC;
            case "aes192": return CMSAlgorithm.AES192_CBC;
            case "aes256": return CMSAlgorithm.AES256_CBC;
            case "aes256-gcm": return CMSAlgorithm.AES256_GCM;
            default: throw new BadRequest("unknown cipher " + name);
        }
    }

    /** keyEncryptionAlgorithm for the requested key transport (RFC 3560 for OAEP). */
    static AlgorithmIdentifier keyTransport(String kt) throws Exception {
        switch (kt) {
            case "pkcs1": return null;
            case "oaep-sha1":
                return new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                    PKCSObjectIdentifiers.id_RSAES_OAEP, OAEPParameterSpec.DEFAULT);
            case "oaep-sha256":
                return new JcaAlgorithmParametersConverter().getAlgorithmIdentifier(
                    PKCSObjectIdentifiers.id_RSAES_OAEP,
                    new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, PSource.PSpecified.DEFAULT));
            default: throw new BadRequest("unknown key transport " + kt);
        }
    }

    static JceKeyTransRecipientInfoGenerator recipient(X509Certificate cert, String kt, String rid) throws Exception {
        AlgorithmIdentifier alg = keyTransport(kt);
        JceKeyTransRecipientInfoGenerator gen;
        if (rid.equals("ski")) {
            byte[] ext = cert.getExtensionValue(Extension.subjectKeyIdentifier.getId());
            if (ext == null) throw new BadRequest("certificate has no subjectKeyIdentifier");
            byte[] ski = ASN1OctetString.getInstance(ASN1OctetString.getInstance(ext).getOctets()).getOctets();
            gen = alg == null ? new JceKeyTransRecipientInfoGenerator(ski, cert.getPublicKey())
                              : new JceKeyTransRecipientInfoGenerator(ski, alg, cert.getPublicKey());
        } else if (rid.equals("issuer-serial")) {
            gen = alg == null ? new JceKeyTransRecipientInfoGenerator(cert)
                              : new JceKeyTransRecipientInfoGenerator(cert, alg);
        } else {
            throw new BadRequest("unknown rid " + rid);
        }
        return gen.setProvider("BC");
    }

    static void requireForm(String form) throws Exception {
        if (form.equals("smime")) {
            // S/MIME framing lives in bcmail (org.bouncycastle.mail.smime), a separate jar that needs
            // JavaMail; bcprov/bcpkix/bcutil alone cannot write or read it. Ask the class loader, so that
            // the day bcmail is on the class path this check fails and the matrix says so.
            Class.forName("org.bouncycastle.mail.smime.SMIMEEnvelopedGenerator");
            throw new BadRequest("bcmail is on the class path but this driver does not drive it yet");
        }
        if (!form.equals("der") && !form.equals("pem")) throw new BadRequest("unknown form " + form);
    }

    static void encrypt(Map<String, String> o) throws Exception {
        String form = need(o, "form");
        requireForm(form);
        String encoding = need(o, "encoding");
        OutputEncryptor enc = new JceCMSContentEncryptorBuilder(cipherOid(need(o, "cipher"))).setProvider("BC").build();
        String kt = need(o, "kt");
        String rid = need(o, "rid");
        String[] certs = need(o, "certs").split(",");
        File inFile = new File(need(o, "in"));

        byte[] ber;
        if (need(o, "cipher").endsWith("-gcm")) {
            // AuthEnvelopedData (RFC 5083). BC 1.72 has a generator for it but no streaming one.
            if (!encoding.equals("definite")) throw new BadRequest("BC 1.72 has no streaming AuthEnvelopedData generator");
            CMSAuthEnvelopedDataGenerator gen = new CMSAuthEnvelopedDataGenerator();
            for (String c : certs) gen.addRecipientInfoGenerator(recipient(readCert(c), kt, rid));
            CMSAuthEnvelopedData aed = gen.generate(
                new CMSProcessableByteArray(Files.readAllBytes(inFile.toPath())), (OutputAEADEncryptor) enc);
            ber = aed.toASN1Structure().getEncoded(ASN1Encoding.DER);
        } else if (encoding.equals("definite")) {
            CMSEnvelopedDataGenerator gen = new CMSEnvelopedDataGenerator();
            for (String c : certs) gen.addRecipientInfoGenerator(recipient(readCert(c), kt, rid));
            CMSEnvelopedData ed = gen.generate(new CMSProcessableFile(inFile), enc);
            ber = ed.toASN1Structure().getEncoded(ASN1Encoding.DER);
        } else if (encoding.equals("indefinite")) {
            CMSEnvelopedDataStreamGenerator gen = new CMSEnvelopedDataStreamGenerator();
            for (String c : certs) gen.addRecipientInfoGenerator(recipient(readCert(c), kt, rid));
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            try (OutputStream os = gen.open(buf, enc); InputStream is = new FileInputStream(inFile)) {
                is.transferTo(os);
            }
            ber = buf.toByteArray();
        } else {
            throw new BadRequest("unknown encoding " + encoding);
        }

        try (OutputStream os = new BufferedOutputStream(new FileOutputStream(need(o, "out")))) {
            if (form.equals("pem")) {
                Writer w = new OutputStreamWriter(os, StandardCharsets.US_ASCII);
                try (PemWriter pw = new PemWriter(w)) {
                    pw.writeObject(new PemObject("CMS", ber));
                }
            } else {
                os.write(ber);
            }
        }
    }

    static void decrypt(Map<String, String> o) throws Exception {
        String form = need(o, "form");
        requireForm(form);
        X509Certificate cert = readCert(need(o, "cert"));
        PrivateKey key = readKey(need(o, "key"));
        byte[] raw = Files.readAllBytes(new File(need(o, "in")).toPath());
        InputStream ber;
        if (form.equals("pem")) {
            try (PemReader r = new PemReader(new StringReader(new String(raw, StandardCharsets.US_ASCII)))) {
                PemObject po = r.readPemObject();
                if (po == null) throw new BadRequest("no PEM object in input");
                ber = new ByteArrayInputStream(po.getContent());
            }
        } else {
            ber = new ByteArrayInputStream(raw);
        }
        byte[] all = ber.readAllBytes();
        if (ContentInfo.getInstance(ASN1Primitive.fromByteArray(all)).getContentType().equals(CMSObjectIdentifiers.authEnvelopedData)) {
            // AuthEnvelopedData (RFC 5083): BC 1.72 reads it in memory only; the tag is checked at the end of the stream.
            CMSAuthEnvelopedData aed = new CMSAuthEnvelopedData(all);
            Collection<RecipientInformation> matches = aed.getRecipientInfos().getRecipients(new JceKeyTransRecipientId(cert));
            if (matches.isEmpty()) throw new BadRequest("no RecipientInfo matches " + cert.getSubjectX500Principal());
            byte[] plain = matches.iterator().next().getContent(new JceKeyTransAuthEnvelopedRecipient(key).setProvider("BC"));
            Files.write(new File(need(o, "out")).toPath(), plain);
            return;
        }
        ber = new ByteArrayInputStream(all);
        // The streaming parser reads definite and indefinite lengths alike and never holds the
        // plaintext in memory, as a real consumer of a large message would.
        CMSEnvelopedDataParser parser = new CMSEnvelopedDataParser(ber);
        RecipientInformationStore store = parser.getRecipientInfos();
        // JceKeyTransRecipientId(cert) carries issuer+serial and the SKI, so either rid form matches.
        Collection<RecipientInformation> matches = store.getRecipients(new JceKeyTransRecipientId(cert));
        if (matches.isEmpty()) throw new BadRequest("no RecipientInfo matches " + cert.getSubjectX500Principal());
        RecipientInformation ri = matches.iterator().next();
        CMSTypedStream content = ri.getContentStream(new JceKeyTransEnvelopedRecipient(key).setProvider("BC"));
        try (InputStream is = content.getContentStream();
             OutputStream os = new BufferedOutputStream(new FileOutputStream(need(o, "out")))) {
            is.transferTo(os);
        }
    }

    /** JCA signature name: SHA256withRSA, SHA256withRSAandMGF1 (RSASSA-PSS, salt = hash length), SHA256withECDSA. */
    static String signatureName(String sig, String digest) throws BadRequest {
        String h;
        switch (digest) {
            case "sha256": h = "SHA256"; break;
            case "sha384": h = "SHA384"; break;
            case "sha512": h = "SHA512"; break;
            default: throw new BadRequest("unknown digest " + digest);
        }
        switch (sig) {
            case "rsa-pkcs1": return h + "withRSA";
            case "rsa-pss": return h + "withRSAandMGF1";
            case "ecdsa": return h + "withECDSA";
            default: throw new BadRequest("unknown signature " + sig);
        }
    }

    static void writeForm(String path, String form, byte[] der) throws Exception {
        try (OutputStream os = new BufferedOutputStream(new FileOutputStream(path))) {
            if (form.equals("pem")) {
                Writer w = new OutputStreamWriter(os, StandardCharsets.US_ASCII);
                try (PemWriter pw = new PemWriter(w)) {
                    pw.writeObject(new PemObject("CMS", der));
                }
            } else {
                os.write(der);
            }
        }
    }

    static byte[] readForm(String path, String form) throws Exception {
        byte[] raw = Files.readAllBytes(new File(path).toPath());
        if (!form.equals("pem")) return raw;
        try (PemReader r = new PemReader(new StringReader(new String(raw, StandardCharsets.US_ASCII)))) {
            PemObject po = r.readPemObject();
            if (po == null) throw new BadRequest("no PEM object in input");
            return po.getContent();
        }
    }

    /**
     * SignedData with BC's default signed attributes (contentType, signingTime, messageDigest,
     * CMSAlgorithmProtection) and, when asked, an RFC 2634 contentIdentifier of 16 random bytes:
     * what p7m's replay cache keys a message by. For sign-encrypt, the signed message (a ContentInfo)
     * is then enveloped as id-data, as `cms -sign | cms -encrypt` does.
     */
    static void sign(Map<String, String> o) throws Exception {
        String form = need(o, "form");
        requireForm(form);
        X509Certificate cert = readCert(need(o, "cert"));
        X509Certificate ca = readCert(need(o, "ca"));
        PrivateKey key = readKey(need(o, "key"));
        JcaSignerInfoGeneratorBuilder sib = new JcaSignerInfoGeneratorBuilder(
            new JcaDigestCalculatorProviderBuilder().setProvider("BC").build());
        if (need(o, "contentid").equals("yes")) {
            byte[] id = new byte[16];
            new SecureRandom().nextBytes(id);
            AttributeTable extra = new AttributeTable(new Attribute(
                PKCSObjectIdentifiers.id_aa_contentIdentifier, new DERSet(new DEROctetString(id))));
            sib.setSignedAttributeGenerator(new DefaultSignedAttributeTableGenerator(extra));
        }
        CMSSignedDataGenerator gen = new CMSSignedDataGenerator();
        gen.addSignerInfoGenerator(sib.build(
            new JcaContentSignerBuilder(signatureName(need(o, "sig"), need(o, "digest"))).setProvider("BC").build(key), cert));
        gen.addCertificates(new JcaCertStore(List.of(cert, ca)));
        boolean opaque = need(o, "placement").equals("opaque");
        byte[] content = Files.readAllBytes(new File(need(o, "in")).toPath());
        CMSSignedData sd = gen.generate(new CMSProcessableByteArray(content), opaque);
        byte[] signed = sd.toASN1Structure().getEncoded(ASN1Encoding.DER);
        if (need(o, "op").equals("sign")) {
            writeForm(need(o, "out"), form, signed);
            return;
        }
        CMSEnvelopedDataGenerator env = new CMSEnvelopedDataGenerator();
        env.addRecipientInfoGenerator(recipient(readCert(need(o, "recip")), "pkcs1", "issuer-serial"));
        OutputEncryptor enc = new JceCMSContentEncryptorBuilder(CMSAlgorithm.AES256_CBC).setProvider("BC").build();
        CMSEnvelopedData ed = env.generate(new CMSProcessableByteArray(signed), enc);
        writeForm(need(o, "out"), form, ed.toASN1Structure().getEncoded(ASN1Encoding.DER));
    }

    /**
     * Decrypts (sign-encrypt) and verifies: every SignerInfo's signature with BC, the signer's
     * certificate issued by the CA (signature and validity) and allowed to sign (keyUsage
     * digitalSignature). Writes the signed content.
     */
    static void verify(Map<String, String> o) throws Exception {
        String form = need(o, "form");
        requireForm(form);
        X509Certificate ca = readCert(need(o, "ca"));
        byte[] ber = readForm(need(o, "in"), form);
        if (need(o, "op").equals("sign-encrypt")) {
            X509Certificate rc = readCert(need(o, "cert"));
            CMSEnvelopedData ed = new CMSEnvelopedData(ber);
            Collection<RecipientInformation> matches = ed.getRecipientInfos().getRecipients(new JceKeyTransRecipientId(rc));
            if (matches.isEmpty()) throw new BadRequest("no RecipientInfo matches " + rc.getSubjectX500Principal());
            ber = matches.iterator().next().getContent(new JceKeyTransEnvelopedRecipient(readKey(need(o, "key"))).setProvider("BC"));
        }
        String contentPath = o.get("content");
        CMSSignedData sd = contentPath == null
            ? new CMSSignedData(ber)
            : new CMSSignedData(new CMSProcessableFile(new File(contentPath)), ber);
        Collection<SignerInformation> signers = sd.getSignerInfos().getSigners();
        if (signers.isEmpty()) throw new BadRequest("no SignerInfo");
        JcaX509CertificateConverter conv = new JcaX509CertificateConverter().setProvider("BC");
        for (SignerInformation si : signers) {
            @SuppressWarnings("unchecked")
            Collection<X509CertificateHolder> certs = sd.getCertificates().getMatches(si.getSID());
            if (certs.isEmpty()) throw new BadRequest("the signer's certificate is not in the message");
            X509Certificate signer = conv.getCertificate(certs.iterator().next());
            signer.verify(ca.getPublicKey());
            signer.checkValidity();
            boolean[] ku = signer.getKeyUsage();
            if (ku != null && !ku[0]) throw new BadRequest("the signer's keyUsage excludes digitalSignature");
            if (!si.verify(new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(signer))) {
                throw new BadRequest("signature does not verify");
            }
        }
        byte[] content = contentPath == null
            ? (byte[]) sd.getSignedContent().getContent()
            : Files.readAllBytes(new File(contentPath).toPath());
        try (OutputStream os = new BufferedOutputStream(new FileOutputStream(need(o, "out")))) {
            os.write(content);
        }
    }
}
