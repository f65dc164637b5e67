//! The console's configuration: profiles (one per server), the last used one, key overrides and theme,
//! in `config.toml` under the platform config dir (`$XDG_CONFIG_HOME/orgdeck` on Linux).

use std::{
    collections::BTreeMap,
    fs,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// Where the console keeps its files.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    /// The platform directories (directories honours `XDG_CONFIG_HOME` and `XDG_DATA_HOME`).
    pub fn platform() -> anyhow::Result<Dirs> {
        let dirs = directories::ProjectDirs::from("", "", "orgdeck")
            .context("no home directory to keep the configuration in")?;
        Ok(Dirs {
            config: dirs.config_dir().to_path_buf(),
            data: dirs.data_local_dir().to_path_buf(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data.join("logs")
    }

    pub fn credentials_dir(&self) -> PathBuf {
        self.data.join("credentials")
    }
}

/// One server the console talks to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub url: String,
    pub user: String,
    /// A PEM file with the CA certificate the server's certificate chains to (private CAs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// Viewing only: every action that changes something is removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// Where the session token is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialStoreKind {
    /// The OS keyring, falling back to the file when no keyring works.
    #[default]
    Auto,
    /// Always the 0600 file under the data dir.
    File,
    /// Nowhere: log in at every start.
    Memory,
}

impl CredentialStoreKind {
    pub fn parse(s: &str) -> Option<CredentialStoreKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" | "keyring" => Some(CredentialStoreKind::Auto),
            "file" => Some(CredentialStoreKind::File),
            "memory" | "none" => Some(CredentialStoreKind::Memory),
            _ => None,
        }
    }
}

/// A key, or several, for one action in `[keys]`: `save = "ctrl-s"` or `save = ["ctrl-s", "f2"]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Keys {
    One(String),
    Many(Vec<String>),
}

impl Keys {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Keys::One(k) => vec![k.clone()],
            Keys::Many(k) => k.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_profile: Option<String>,
    /// `256`, `16` or `mono`; `NO_COLOR` forces `mono`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
    #[serde(default)]
    pub credential_store: CredentialStoreKind,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<String, Keys>,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl Config {
    /// The configuration in `path`, or an empty one when the file does not exist yet.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        match fs::read_to_string(path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let text = toml::to_string_pretty(self)?;
        let tmp = path.with_extension("toml.tmp");
        fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }

    /// The key overrides as action name to key strings.
    pub fn key_overrides(&self) -> BTreeMap<String, Vec<String>> {
        self.keys.iter().map(|(k, v)| (k.clone(), v.to_vec())).collect()
    }

    /// The profile to open: the one named, else the last used, else the only one.
    pub fn pick_profile(&self, name: Option<&str>) -> anyhow::Result<(String, Profile)> {
        let name = match name {
            Some(n) => n.to_owned(),
            None => match &self.last_profile {
                Some(n) if self.profiles.contains_key(n) => n.clone(),
                _ if self.profiles.len() == 1 => self.profiles.keys().next().cloned().expect("one profile"),
                _ => bail!(
                    "several profiles and none used last: pick one with --profile NAME (see `orgdeck profile list`)"
                ),
            },
        };
        match self.profiles.get(&name) {
            Some(p) => Ok((name, p.clone())),
            None => bail!("no profile named {name:?} (see `orgdeck profile list`)"),
        }
    }
}

/// Checks a profile name: letters, digits, `-`, `_` and `.`, so it is safe as a file name.
pub fn validate_profile_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || name.len() > 64 || name.starts_with('.') {
        bail!("a profile name has 1 to 64 characters and does not start with a dot");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bail!("a profile name uses only letters, digits, '-', '_' and '.'");
    }
    Ok(())
}

/// Checks a server URL: `http://` or `https://` and a host.
pub fn normalize_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url.trim()).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        bail!("the server URL must be http(s)://HOST[:PORT]");
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_with_profiles_and_key_overrides() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let mut config = Config::default();
        config.profiles.insert(
            "prod".into(),
            Profile {
                url: "https://deck.example".into(),
                user: "a@b.c".into(),
                ca_cert: None,
                read_only: true,
            },
        );
        config.last_profile = Some("prod".into());
        config.keys.insert("save".into(), Keys::One("f2".into()));
        config.save(&path).unwrap();
        let back = Config::load(&path).unwrap();
        assert_eq!(back, config);
        assert_eq!(back.key_overrides()["save"], vec!["f2".to_string()]);
        assert_eq!(back.pick_profile(None).unwrap().0, "prod");
    }

    #[test]
    fn keys_accept_a_string_or_a_list() {
        let config: Config =
            toml::from_str("credential_store = \"file\"\n[keys]\nquit = \"x\"\nsave = [\"ctrl-s\", \"f2\"]\n").unwrap();
        assert_eq!(config.credential_store, CredentialStoreKind::File);
        assert_eq!(config.key_overrides()["save"].len(), 2);
    }

    #[test]
    fn profile_names_and_urls_are_checked() {
        assert!(validate_profile_name("prod-eu.1").is_ok());
        assert!(validate_profile_name("../x").is_err());
        assert_eq!(
            normalize_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_url("ftp://x").is_err());
    }
}
