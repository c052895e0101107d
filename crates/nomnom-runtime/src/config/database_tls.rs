//! TLS to PostgreSQL as `DATABASE_URL` and the `DATABASE_*_FILE` variables ask for it, with
//! libpq's meanings: `sslmode` is `disable`, `prefer` (the default: TLS when the server offers
//! it, unverified), `require` (TLS or no connection; unverified, unless a CA file is given,
//! when it verifies like `verify-ca`), `verify-ca` (the server's certificate chains to the CA)
//! or `verify-full` (and names the host connected to). The CA, and a client certificate and
//! key for servers that ask for one, come from `DATABASE_CA_FILE`, `DATABASE_CERT_FILE` and
//! `DATABASE_KEY_FILE`, or from the URL's own `sslrootcert`, `sslcert` and `sslkey`.
//!
//! tokio-postgres knows only `disable`, `prefer` and `require`, and refuses parameters it does
//! not know, so these are taken out of the URL before it is parsed ([`split_tls_params`]); the
//! connector that honours them is [`crate::db::tls`].

use std::path::PathBuf;

use super::env::{ConfigError, Env};

/// libpq's `sslmode` values this runtime honours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never TLS.
    Disable,
    /// TLS when the server offers it, without verifying its certificate.
    Prefer,
    /// TLS or no connection; the certificate verified only when a CA file is given.
    Require,
    /// TLS, the server's certificate chaining to the CA.
    VerifyCa,
    /// TLS, the certificate chaining to the CA and naming the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        match value {
            "disable" => Ok(SslMode::Disable),
            "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" => Err(
                "sslmode=allow (plaintext first) is not supported: use prefer or require".into(),
            ),
            other => Err(format!(
                "unknown sslmode `{other}`: expected disable, prefer, require, verify-ca or verify-full"
            )),
        }
    }

    /// The mode tokio-postgres negotiates with: whether to ask for TLS, and whether to go on
    /// without it.
    pub fn negotiation(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }
}

/// How the server's certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verification {
    /// Not at all (`prefer`, or `require` without a CA file): encryption without
    /// authentication, as libpq does.
    None,
    /// The chain to the CA, not the host name (`verify-ca`, or `require` with a CA file).
    Chain,
    /// The chain and the host name (`verify-full`).
    Full,
}

/// TLS settings for the database connections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseTls {
    /// The `sslmode`.
    pub mode: SslMode,
    /// PEM file of the CA(s) the server's certificate must chain to; without it,
    /// `verify-ca` and `verify-full` use the system's roots.
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate (chain), for servers that ask for one.
    pub cert_file: Option<PathBuf>,
    /// PEM private key of the client certificate.
    pub key_file: Option<PathBuf>,
}

impl DatabaseTls {
    /// How the server's certificate is checked under these settings.
    pub fn verification(&self) -> Verification {
        match self.mode {
            SslMode::Disable | SslMode::Prefer => Verification::None,
            SslMode::Require if self.ca_file.is_none() => Verification::None,
            SslMode::Require | SslMode::VerifyCa => Verification::Chain,
            SslMode::VerifyFull => Verification::Full,
        }
    }

    /// Reads the settings from the URL's TLS parameters (taken out by [`split_tls_params`])
    /// and the `DATABASE_*_FILE` variables. A file named in both places, a key without its
    /// certificate, or an unknown `sslmode` is an error naming the variable.
    pub fn from(env: &Env, url_params: &[(String, String)]) -> Result<DatabaseTls, ConfigError> {
        let from_url = |key: &str| {
            url_params
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let mode = match from_url("sslmode") {
            Some(value) => SslMode::parse(&value)
                .map_err(|reason| ConfigError::new("DATABASE_URL", "", reason))?,
            None => SslMode::Prefer,
        };
        let file = |variable: &'static str, param: &str| -> Result<Option<PathBuf>, ConfigError> {
            match (env.optional(variable), from_url(param)) {
                (Some(value), Some(_)) => Err(ConfigError::new(
                    variable,
                    &value,
                    format!("given twice: in {variable} and as {param} in DATABASE_URL"),
                )),
                (Some(path), None) | (None, Some(path)) => Ok(Some(PathBuf::from(path))),
                (None, None) => Ok(None),
            }
        };
        let tls = DatabaseTls {
            mode,
            ca_file: file("DATABASE_CA_FILE", "sslrootcert")?,
            cert_file: file("DATABASE_CERT_FILE", "sslcert")?,
            key_file: file("DATABASE_KEY_FILE", "sslkey")?,
        };
        if tls.cert_file.is_some() != tls.key_file.is_some() {
            let (name, value) = match &tls.cert_file {
                Some(cert) => ("DATABASE_CERT_FILE", cert.display().to_string()),
                None => ("DATABASE_KEY_FILE", env.get("DATABASE_KEY_FILE")),
            };
            return Err(ConfigError::new(
                name,
                &value,
                "a client certificate needs both DATABASE_CERT_FILE and DATABASE_KEY_FILE \
                 (or sslcert and sslkey in DATABASE_URL)",
            ));
        }
        Ok(tls)
    }
}

/// The URL's query parameters that [`DatabaseTls`] reads.
const TLS_PARAMS: [&str; 4] = ["sslmode", "sslrootcert", "sslcert", "sslkey"];

/// Splits the TLS parameters out of a `postgres://` URL: the URL without them (for
/// tokio-postgres) and their decoded values.
pub fn split_tls_params(url: &str) -> (String, Vec<(String, String)>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), Vec::new());
    };
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if TLS_PARAMS.contains(&key) {
            taken.push((key.to_owned(), percent_decode(value)));
        } else {
            kept.push(pair);
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, taken)
}

/// Decodes `%XX` escapes (a file path in a URL may hold `%2F`); an invalid escape is kept.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls(url: &str, vars: &[(&str, &str)]) -> Result<DatabaseTls, ConfigError> {
        let (_, params) = split_tls_params(url);
        DatabaseTls::from(&Env::from_pairs(vars.iter().copied()), &params)
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url_and_the_rest_kept() {
        let (url, params) = split_tls_params(
            "postgres://u@h/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        );
        assert_eq!(url, "postgres://u@h/db?application_name=x");
        assert_eq!(
            params,
            [
                ("sslmode".to_owned(), "verify-full".to_owned()),
                ("sslrootcert".to_owned(), "/etc/ca.pem".to_owned())
            ]
        );
        assert_eq!(
            split_tls_params("postgres://u@h/db?sslmode=require").0,
            "postgres://u@h/db"
        );
        assert_eq!(split_tls_params("postgres://u@h/db").1, []);
        assert_eq!(percent_decode("a%2"), "a%2");
    }

    #[test]
    fn modes_follow_libpq() {
        let mode = |url: &str, ca: Option<&str>| {
            let vars: Vec<(&str, &str)> = ca.map(|c| ("DATABASE_CA_FILE", c)).into_iter().collect();
            let t = tls(url, &vars).expect("valid");
            (t.mode, t.verification())
        };
        assert_eq!(
            mode("postgres://h/db", None),
            (SslMode::Prefer, Verification::None)
        );
        assert_eq!(
            mode("postgres://h/db?sslmode=disable", None),
            (SslMode::Disable, Verification::None)
        );
        assert_eq!(
            mode("postgres://h/db?sslmode=require", None),
            (SslMode::Require, Verification::None)
        );
        assert_eq!(
            mode("postgres://h/db?sslmode=require", Some("/ca.pem")),
            (SslMode::Require, Verification::Chain),
            "require with a CA file verifies like verify-ca"
        );
        assert_eq!(
            mode("postgres://h/db?sslmode=verify-ca", None),
            (SslMode::VerifyCa, Verification::Chain)
        );
        assert_eq!(
            mode("postgres://h/db?sslmode=verify-full", None),
            (SslMode::VerifyFull, Verification::Full)
        );
        assert_eq!(
            SslMode::VerifyFull.negotiation(),
            tokio_postgres::config::SslMode::Require
        );
    }

    #[test]
    fn mistakes_are_named() {
        let err = tls("postgres://h/db?sslmode=verify", &[]).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        assert!(
            err.to_string().contains("unknown sslmode `verify`"),
            "{err}"
        );
        let err = tls("postgres://h/db?sslmode=allow", &[]).unwrap_err();
        assert!(err.to_string().contains("not supported"), "{err}");
        let err = tls(
            "postgres://h/db?sslrootcert=/a.pem",
            &[("DATABASE_CA_FILE", "/b.pem")],
        )
        .unwrap_err();
        assert_eq!(err.name, "DATABASE_CA_FILE");
        assert!(err.to_string().contains("given twice"), "{err}");
        let err = tls("postgres://h/db", &[("DATABASE_CERT_FILE", "/c.pem")]).unwrap_err();
        assert!(err.to_string().contains("needs both"), "{err}");
        let t = tls(
            "postgres://h/db?sslcert=/c.pem&sslkey=/k.pem",
            &[("DATABASE_CA_FILE", "/ca.pem")],
        )
        .expect("valid");
        assert_eq!(t.cert_file, Some(PathBuf::from("/c.pem")));
        assert_eq!(t.key_file, Some(PathBuf::from("/k.pem")));
        assert_eq!(t.ca_file, Some(PathBuf::from("/ca.pem")));
    }
}
