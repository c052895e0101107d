//! Certificates made by a test, never shipped: a private CA, a server certificate it signs
//! (for `localhost` and `127.0.0.1`, or only for the names given), and a client certificate,
//! each written as PEM into a temporary folder removed when the [`TestPki`] is dropped.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use tempfile::TempDir;

/// A CA and the certificates it signed, as PEM files.
pub struct TestPki {
    dir: TempDir,
    ca: Issuer<'static, KeyPair>,
    /// The CA's certificate.
    pub ca_cert: PathBuf,
}

/// A certificate and its private key, as PEM files.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// The certificate.
    pub cert: PathBuf,
    /// Its private key (PKCS#8).
    pub key: PathBuf,
}

impl TestPki {
    /// A new CA named `name`, its certificate written to `<dir>/<name>-ca.pem`.
    pub fn new(name: &str) -> TestPki {
        let dir = tempfile::Builder::new()
            .prefix("nomnom-pki-")
            .tempdir()
            .expect("a folder for test certificates");
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::new()).expect("CA parameters");
        params.distinguished_name = common_name(&format!("{name} test CA"));
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).expect("the CA certificate");
        let ca_cert = dir.path().join(format!("{name}-ca.pem"));
        write(&ca_cert, &cert.pem());
        TestPki {
            dir,
            ca: Issuer::new(params, key),
            ca_cert,
        }
    }

    /// The folder holding the files.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed by the CA.
    pub fn server(&self, file_stem: &str, names: &[&str]) -> CertFiles {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server certificate names");
        params.distinguished_name = common_name(file_stem);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        self.sign(file_stem, params)
    }

    /// A client certificate whose common name is `user` (PostgreSQL's `clientcert=verify-full`
    /// matches it with the user name), signed by the CA.
    pub fn client(&self, file_stem: &str, user: &str) -> CertFiles {
        let mut params = CertificateParams::new(Vec::new()).expect("client parameters");
        params.distinguished_name = common_name(user);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        self.sign(file_stem, params)
    }

    fn sign(&self, file_stem: &str, params: CertificateParams) -> CertFiles {
        let key = KeyPair::generate().expect("a key");
        let cert = params
            .signed_by(&key, &self.ca)
            .expect("a certificate signed by the test CA");
        let files = CertFiles {
            cert: self.dir.path().join(format!("{file_stem}.pem")),
            key: self.dir.path().join(format!("{file_stem}-key.pem")),
        };
        write(&files.cert, &cert.pem());
        write(&files.key, &key.serialize_pem());
        files
    }
}

/// A distinguished name of only a common name (rcgen's default holds one of its own).
fn common_name(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}
