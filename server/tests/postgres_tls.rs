//! TLS to PostgreSQL: a cluster of the test's own that accepts TCP connections only encrypted, with a
//! certificate from a test CA. `sslmode=require` with that CA in `sslrootcert` connects, encrypted; without
//! the CA the certificate is refused; without TLS the server refuses; a CA file that is not one is named.

mod common;

use orgdeck_server::{
    Database, orgs, pg_test,
    store::{Store, postgres::PgStore},
};

/// The certificates and the cluster, or `None` (said) when either cannot be had here.
async fn tls_cluster(dir: &std::path::Path) -> Option<u16> {
    let require = std::env::var("ORGDECK_REQUIRE_PG").is_ok_and(|v| v == "1");
    if !common::make_certificates(dir) {
        assert!(!require, "openssl could not make the test certificates");
        eprintln!("SKIPPED (no openssl for the test certificates)");
        return None;
    }
    match pg_test::start_tls_cluster(&dir.join("cert.pem"), &dir.join("key.pem")) {
        Ok((setup, port)) => {
            // Accepting connections (the first connect waits while it starts).
            pg_test::connect(&setup.database("postgres")).await;
            Some(port)
        }
        Err(why) => {
            assert!(!require, "no PostgreSQL with TLS: {why}");
            eprintln!("SKIPPED (no PostgreSQL: {why})");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_encrypts_and_verifies_the_servers_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let Some(port) = tls_cluster(dir.path()).await else {
        return;
    };
    let ca = dir.path().join("ca.pem");
    let base = format!("host=127.0.0.1 port={port} user=orgdeck dbname=postgres");

    // The CA given: connected, encrypted.
    let url = format!("{base} sslmode=require sslrootcert={}", ca.display());
    let store = PgStore::open(&url, jiff::Timestamp::now())
        .await
        .expect("connects over TLS");
    store.change_head(uuid::Uuid::nil()).await.unwrap();
    let encrypted: bool = orgs::read(&Database::Postgres(url.clone()), |c| {
        c.query_row("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [], |r| {
            r.get(0)
        })
        .map_err(|e| orgdeck_server::store::ops::db_err(e).into())
    })
    .unwrap();
    assert!(encrypted, "the session is encrypted");
    // libpq's own words for it mean the same.
    let verify_full = format!("{base} sslmode=verify-full sslrootcert={}", ca.display());
    assert!(PgStore::open(&verify_full, jiff::Timestamp::now()).await.is_ok());
    let as_url = format!(
        "postgresql://orgdeck@127.0.0.1:{port}/postgres?sslmode=require&sslrootcert={}",
        ca.display()
    );
    assert!(PgStore::open(&as_url, jiff::Timestamp::now()).await.is_ok());

    // Without the CA: a certificate nobody vouches for is refused.
    let Err(err) = PgStore::open(&format!("{base} sslmode=require"), jiff::Timestamp::now()).await else {
        panic!("a certificate of an unknown CA was taken");
    };
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");

    // Without TLS: this server refuses.
    let Err(err) = PgStore::open(&format!("{base} sslmode=disable"), jiff::Timestamp::now()).await else {
        panic!("an unencrypted connection was taken");
    };
    assert!(err.to_string().contains("no encryption"), "{err}");

    // A CA file that holds no certificate is named.
    let Err(err) = PgStore::open(
        &format!(
            "{base} sslmode=require sslrootcert={}",
            dir.path().join("key.pem").display()
        ),
        jiff::Timestamp::now(),
    )
    .await
    else {
        panic!("a key file was taken for a CA");
    };
    assert!(err.to_string().contains("key.pem"), "{err}");
}
