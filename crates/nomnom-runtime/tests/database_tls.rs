//! TLS to PostgreSQL against a private server started with certificates made by the test:
//! each `sslmode` connects (or refuses to) as libpq's does, the connection really is
//! encrypted (`pg_stat_ssl`), and a server that asks for a client certificate gets one from
//! `DATABASE_CERT_FILE` and `DATABASE_KEY_FILE`.

use std::time::Duration;

use nomnom_runtime::config::{DatabaseConfig, Env};
use nomnom_testkit::certs::TestPki;
use nomnom_testkit::{PgServer, ServerTls};

/// The pool of `url` with `vars`, asked for one connection: whether it is encrypted, or why
/// there is none.
async fn connect(url: &str, vars: &[(&str, String)]) -> Result<bool, String> {
    let mut pairs: Vec<(&str, String)> = vec![("DATABASE_URL", url.to_owned())];
    pairs.extend(vars.iter().cloned());
    let config = DatabaseConfig::from(&Env::from_pairs(pairs)).map_err(|e| e.to_string())?;
    let pool = config.pool(Duration::from_secs(5));
    let client = pool.get().await.map_err(|e| format!("{e} ({e:?})"))?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(row.get(0))
}

fn file(path: &std::path::Path) -> String {
    path.display().to_string()
}

#[tokio::test]
async fn each_sslmode_connects_or_refuses_as_libpq_does() {
    let pki = TestPki::new("nomnom");
    // The certificate names `localhost` only: connecting to 127.0.0.1 verifies the chain but
    // not the name.
    let server_cert = pki.server("server", &["localhost"]);
    let pg = PgServer::start_tls(&ServerTls {
        server: server_cert,
        ca: pki.ca_cert.clone(),
        require_client_cert: false,
    })
    .await;
    let port = pg.port();
    let by_ip =
        |mode: &str| format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode={mode}");
    let by_name =
        |mode: &str| format!("postgres://postgres@localhost:{port}/postgres?sslmode={mode}");
    let ca = [("DATABASE_CA_FILE", file(&pki.ca_cert))];

    // Encrypted without verification, as libpq's require and prefer are.
    assert_eq!(connect(&by_ip("require"), &[]).await, Ok(true));
    assert_eq!(connect(&by_ip("prefer"), &[]).await, Ok(true));
    // The default is prefer.
    let plain_url = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    assert_eq!(connect(&plain_url, &[]).await, Ok(true));
    // This server refuses plaintext over TCP.
    let refused = connect(&by_ip("disable"), &[]).await.unwrap_err();
    assert!(
        refused.contains("no encryption") || refused.contains("pg_hba"),
        "{refused}"
    );

    // verify-ca: the chain, not the name.
    assert_eq!(connect(&by_ip("verify-ca"), &ca).await, Ok(true));
    // verify-full: the name too, so 127.0.0.1 is refused and localhost accepted.
    let wrong_name = connect(&by_ip("verify-full"), &ca).await.unwrap_err();
    assert!(wrong_name.contains("NotValidForName"), "{wrong_name}");
    assert_eq!(connect(&by_name("verify-full"), &ca).await, Ok(true));
    // The CA file may be named in the URL as libpq's sslrootcert.
    let in_url = format!(
        "{}&sslrootcert={}",
        by_name("verify-full"),
        file(&pki.ca_cert)
    );
    assert_eq!(connect(&in_url, &[]).await, Ok(true));
    // require with a CA file verifies the chain, as libpq does.
    assert_eq!(connect(&by_ip("require"), &ca).await, Ok(true));

    // A certificate from another CA is refused by every verifying mode.
    let other = TestPki::new("other");
    let other_ca = [("DATABASE_CA_FILE", file(&other.ca_cert))];
    for url in [by_ip("verify-ca"), by_name("verify-full"), by_ip("require")] {
        let refused = connect(&url, &other_ca).await.unwrap_err();
        assert!(refused.contains("UnknownIssuer"), "{url}: {refused}");
    }
}

#[tokio::test]
async fn a_server_that_asks_for_a_client_certificate_gets_the_configured_one() {
    let pki = TestPki::new("nomnom");
    let pg = PgServer::start_tls(&ServerTls {
        server: pki.server("server", &["localhost", "127.0.0.1"]),
        ca: pki.ca_cert.clone(),
        require_client_cert: true,
    })
    .await;
    let url = format!(
        "postgres://postgres@127.0.0.1:{}/postgres?sslmode=verify-full",
        pg.port()
    );
    let ca = ("DATABASE_CA_FILE", file(&pki.ca_cert));
    let without = connect(&url, std::slice::from_ref(&ca)).await.unwrap_err();
    assert!(
        without.contains("requires a valid client certificate"),
        "{without}"
    );

    let client = pki.client("client", "postgres");
    let with = [
        ca.clone(),
        ("DATABASE_CERT_FILE", file(&client.cert)),
        ("DATABASE_KEY_FILE", file(&client.key)),
    ];
    assert_eq!(connect(&url, &with).await, Ok(true));

    // A certificate for another user is refused by clientcert=verify-full (PostgreSQL names
    // the hba line's method, trust, whose certificate check failed).
    let someone_else = pki.client("someone", "someone-else");
    let wrong = [
        ca,
        ("DATABASE_CERT_FILE", file(&someone_else.cert)),
        ("DATABASE_KEY_FILE", file(&someone_else.key)),
    ];
    let refused = connect(&url, &wrong).await.unwrap_err();
    assert!(
        refused.contains("authentication failed for user \\\"postgres\\\""),
        "{refused}"
    );
}

/// SCRAM over TLS binds the login to the server's certificate (SCRAM-SHA-256-PLUS, channel
/// binding `tls-server-end-point`): with `channel_binding=require`, a login with the password
/// succeeds only if the binding does, and one with a wrong password fails.
#[tokio::test]
async fn a_password_login_over_tls_uses_channel_binding() {
    let pki = TestPki::new("nomnom");
    let pg = PgServer::start_tls(&ServerTls {
        server: pki.server("server", &["localhost"]),
        ca: pki.ca_cert.clone(),
        require_client_cert: false,
    })
    .await;
    pg.require_password("s3cret pw").await;
    let ca = [("DATABASE_CA_FILE", file(&pki.ca_cert))];
    let url = |password: &str| {
        format!(
            "postgres://postgres:{password}@localhost:{}/postgres?sslmode=verify-full&channel_binding=require",
            pg.port()
        )
    };
    assert_eq!(connect(&url("s3cret%20pw"), &ca).await, Ok(true));
    let refused = connect(&url("wrong"), &ca).await.unwrap_err();
    assert!(
        refused.contains("password authentication failed"),
        "{refused}"
    );
}

#[test]
fn unreadable_tls_files_stop_start_up_naming_the_variable() {
    let err = |vars: Vec<(&str, String)>| {
        DatabaseConfig::from(&Env::from_pairs(vars))
            .map(|_| ())
            .unwrap_err()
    };
    let url = (
        "DATABASE_URL",
        "postgres://h/db?sslmode=verify-full".to_owned(),
    );
    let e = err(vec![
        url.clone(),
        ("DATABASE_CA_FILE", "/nonexistent/ca.pem".into()),
    ]);
    assert_eq!(e.name, "DATABASE_CA_FILE");
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");

    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "not a certificate\n").expect("write");
    let e = err(vec![url.clone(), ("DATABASE_CA_FILE", file(&empty))]);
    assert!(e.to_string().contains("no PEM certificate"), "{e}");

    let pki = TestPki::new("keys");
    let one = pki.client("one", "postgres");
    let two = pki.client("two", "postgres");
    let e = err(vec![
        url,
        ("DATABASE_CA_FILE", file(&pki.ca_cert)),
        ("DATABASE_CERT_FILE", file(&one.cert)),
        ("DATABASE_KEY_FILE", file(&two.key)),
    ]);
    assert_eq!(e.name, "DATABASE_KEY_FILE");
}
