//! TLS through rustls (aws-lc-rs), from a PEM certificate chain and a PEM private key.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio_rustls::TlsAcceptor;

/// Why TLS cannot be set up from the configured files.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read the TLS certificate {}", .path.display())]
    ReadCertificate {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("cannot parse the TLS certificate {}", .path.display())]
    ParseCertificate {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("no certificate in {}", .path.display())]
    NoCertificate { path: PathBuf },
    #[error("cannot read a private key from {}", .path.display())]
    ReadKey {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("the TLS library refuses its default protocol versions")]
    Protocols(#[source] rustls::Error),
    #[error("the TLS certificate {} and key {} do not fit together", .cert.display(), .key.display())]
    Mismatch {
        cert: PathBuf,
        key: PathBuf,
        source: rustls::Error,
    },
}

pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|source| TlsError::ReadCertificate {
            path: cert.to_owned(),
            source,
        })?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::ParseCertificate {
            path: cert.to_owned(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate { path: cert.to_owned() });
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::ReadKey {
        path: key.to_owned(),
        source,
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Protocols)?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|source| TlsError::Mismatch {
            cert: cert.to_owned(),
            key: key.to_owned(),
            source,
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_names_the_file_at_fault() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let err = acceptor(&cert, &key).err().expect("no certificate file");
        assert!(
            matches!(&err, TlsError::ReadCertificate { path, .. } if *path == cert),
            "{err:?}"
        );
        assert!(err.to_string().contains("cert.pem"), "{err}");

        std::fs::write(&cert, "not a certificate\n").unwrap();
        let err = acceptor(&cert, &key).err().expect("an empty certificate file");
        assert!(
            matches!(&err, TlsError::NoCertificate { path } if *path == cert),
            "{err:?}"
        );
    }
}
