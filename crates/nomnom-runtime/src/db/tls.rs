//! The TLS connector of the database connections, built with rustls from
//! [`DatabaseTls`]: the server's certificate verified as its `sslmode` says (not at all, its
//! chain only, or its chain and host name), and a client certificate when one is configured.
//!
//! `verify-ca` has no counterpart in rustls, which always checks the name: its verifier here
//! is the standard one with a name mismatch, and only that, forgiven.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres_rustls_improved::MakeRustlsConnect;

use crate::config::database_tls::{DatabaseTls, Verification};

/// Why the TLS settings cannot be used (a file missing or unreadable, no certificate in the
/// CA file, a key that does not match its certificate).
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct TlsSetupError {
    /// The variable whose setting is at fault (`DATABASE_CA_FILE`, `DATABASE_CERT_FILE`,
    /// `DATABASE_KEY_FILE`).
    pub variable: &'static str,
    /// Why.
    pub reason: String,
}

fn setup_error(variable: &'static str, reason: impl fmt::Display) -> TlsSetupError {
    TlsSetupError {
        variable,
        reason: reason.to_string(),
    }
}

/// The ring provider (async-nats's, so one crypto library is linked). Newer rustls 0.23
/// releases deprecate `ring::default_provider` because ring offers no post-quantum key
/// exchange; a generated project may resolve a release on either side of that, so the
/// deprecation is allowed here, where the choice is made.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The connector for `tls`. With `sslmode=disable` it is never asked to connect.
pub fn connector(tls: &DatabaseTls) -> Result<MakeRustlsConnect, TlsSetupError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| setup_error("DATABASE_URL", e))?;
    let builder = match tls.verification() {
        Verification::None => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Unverified(provider))),
        Verification::Chain => {
            let roots = Arc::new(roots(tls.ca_file.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| setup_error("DATABASE_CA_FILE", e))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnly(webpki)))
        }
        Verification::Full => builder.with_root_certificates(roots(tls.ca_file.as_deref())?),
    };
    let config = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cert, "DATABASE_CERT_FILE")?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| setup_error("DATABASE_KEY_FILE", format!("{}: {e}", key.display())))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                setup_error(
                    "DATABASE_KEY_FILE",
                    format!("the client certificate and key: {e}"),
                )
            })?
        }
        _ => builder.with_no_client_auth(),
    };
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of a PEM file; none is an error.
fn certificates(
    path: &Path,
    variable: &'static str,
) -> Result<Vec<CertificateDer<'static>>, TlsSetupError> {
    let fail =
        |reason: &dyn fmt::Display| setup_error(variable, format!("{}: {reason}", path.display()));
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(fail(&"no PEM certificate in the file"));
    }
    Ok(certs)
}

/// The CA file's certificates, or the system's roots without one.
fn roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsSetupError> {
    let mut store = RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for cert in certificates(path, "DATABASE_CA_FILE")? {
                store.add(cert).map_err(|e| {
                    setup_error("DATABASE_CA_FILE", format!("{}: {e}", path.display()))
                })?;
            }
        }
        None => {
            let native = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(native.certs);
            if added == 0 {
                return Err(setup_error(
                    "DATABASE_CA_FILE",
                    "no system CA certificates found: set DATABASE_CA_FILE to the CA that \
                     signed the server's certificate",
                ));
            }
        }
    }
    Ok(store)
}

/// `prefer`, and `require` without a CA: any certificate, the handshake's signatures still
/// checked (encryption without authentication, as libpq does).
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca`: the standard verification, forgiving only a certificate that does not name
/// the host.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}
