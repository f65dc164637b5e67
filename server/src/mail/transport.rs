//! Delivering one message: through an SMTP relay (lettre) or into the file outbox.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor, transport::smtp::authentication::Credentials,
};

use super::{MailError, config::MailConfig, config::MailTransport, config::SmtpSecurity};

/// The outbox's folder inside the data directory.
pub const OUTBOX_DIR: &str = "outbox";

pub enum Transport {
    Outbox(PathBuf),
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// `smtp://host:port (starttls)`, for logs.
        describe: String,
    },
}

impl Transport {
    pub fn new(config: &MailConfig, data_dir: &Path) -> Result<Self, MailError> {
        match &config.transport {
            MailTransport::Outbox => Ok(Transport::Outbox(data_dir.join(OUTBOX_DIR))),
            MailTransport::Smtp(smtp) => {
                let builder = match smtp.security {
                    SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)?,
                    SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)?,
                    SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
                };
                let mut builder = builder.port(smtp.port).timeout(Some(config.timeout));
                if let Some(user) = &smtp.username {
                    let password = smtp
                        .password
                        .as_ref()
                        .map(|p| p.expose().to_owned())
                        .unwrap_or_default();
                    builder = builder.credentials(Credentials::new(user.clone(), password));
                }
                Ok(Transport::Smtp {
                    transport: builder.build(),
                    describe: format!("smtp://{}:{} ({})", smtp.host, smtp.port, smtp.security.as_str()),
                })
            }
        }
    }

    /// Where mail goes, for the log line at start.
    pub fn describe(&self) -> String {
        match self {
            Transport::Outbox(dir) => format!("file outbox {}", dir.display()),
            Transport::Smtp { describe, .. } => describe.clone(),
        }
    }

    pub async fn send(&self, message: Message, id: uuid::Uuid) -> Result<(), MailError> {
        match self {
            Transport::Outbox(dir) => {
                let dir = dir.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_eml(&dir, id, &bytes))
                    .await
                    .map_err(|e| MailError::Io(std::io::Error::other(e)))??;
                Ok(())
            }
            Transport::Smtp { transport, .. } => {
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}

/// Writes `<dir>/<id>.eml` atomically: a temporary file, flushed to disk, then renamed (a reader never
/// sees half a message), and the folder synced so the rename survives a crash. Messages hold codes: the
/// folder is 0700 and each file 0600, whatever the umask.
pub fn write_eml(dir: &Path, id: uuid::Uuid, bytes: &[u8]) -> std::io::Result<PathBuf> {
    crate::data_dir::create_private_dir(dir)?;
    let path = dir.join(format!("{id}.eml"));
    let tmp = dir.join(format!(".{id}.eml.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)?;
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn outbox_messages_are_readable_only_by_the_server_user() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let path = write_eml(&outbox, uuid::Uuid::new_v4(), b"Subject: code\r\n\r\n123456\r\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&outbox), 0o700);
    }

    #[test]
    fn outbox_files_appear_whole_and_leave_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let id = uuid::Uuid::new_v4();
        let path = write_eml(&dir.path().join("outbox"), id, b"Subject: x\r\n\r\nhello\r\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"Subject: x\r\n\r\nhello\r\n");
        let names: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![format!("{id}.eml")]);
    }
}
