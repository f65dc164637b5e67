//! The command line: `orgdeck [--profile NAME | --demo]`, `orgdeck profile add|list|remove`.

use std::{io::Write, path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::{CommandFactory, Parser, Subcommand};

use crate::{
    config::{Config, Dirs, Profile, normalize_url, validate_profile_name},
    launch,
};

#[derive(Debug, Parser)]
#[command(
    name = "orgdeck",
    version,
    about = "Administer an orgdeck organization from the terminal"
)]
pub struct Cli {
    /// The profile (server and user) to open; default: the one used last.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Start an embedded server with demo data on loopback and open the console logged in.
    #[arg(long, conflicts_with = "profile")]
    pub demo: bool,
    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Manage profiles: one per server.
    Profile {
        #[command(subcommand)]
        action: ProfileCommand,
    },
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff) to standard output.
    Man,
}

/// Writes the completion script of `cmd` for `shell`, or its man page, to `out`.
pub fn write_docs(cmd: clap::Command, shell: Option<clap_complete::Shell>, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut cmd = cmd;
    match shell {
        Some(shell) => {
            let name = cmd.get_name().to_owned();
            clap_complete::generate(shell, &mut cmd, name, out);
        }
        None => clap_mangen::Man::new(cmd).render(out)?,
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add a profile (or replace the one of that name).
    Add {
        name: String,
        /// The server, e.g. https://orgdeck.example.com:8443
        #[arg(long)]
        url: String,
        /// Your email on that server.
        #[arg(long)]
        user: String,
        /// A PEM file with the CA certificate of the server (for a private CA).
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
        /// View only: saving is disabled.
        #[arg(long)]
        read_only: bool,
    },
    /// List the profiles.
    List,
    /// Remove a profile and its stored session.
    Remove { name: String },
}

/// The whole program; the exit code says how it went.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("orgdeck: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli));
    // Background tasks (requests in flight) must not keep the process alive after quitting.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("orgdeck: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let dirs = Dirs::platform()?;
    match cli.command {
        Some(Commands::Profile { action }) => profile_command(&dirs, action).map(|()| ExitCode::SUCCESS),
        Some(Commands::Completions { shell }) => {
            write_docs(Cli::command(), Some(shell), &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Commands::Man) => {
            write_docs(Cli::command(), None, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        None if cli.demo => launch::demo(&dirs).await,
        None => launch::profile(&dirs, cli.profile.as_deref()).await,
    }
}

fn profile_command(dirs: &Dirs, action: ProfileCommand) -> anyhow::Result<()> {
    let path = dirs.config_file();
    let mut config = Config::load(&path)?;
    let mut out = std::io::stdout().lock();
    match action {
        ProfileCommand::Add {
            name,
            url,
            user,
            ca_cert,
            read_only,
        } => {
            validate_profile_name(&name)?;
            let url = normalize_url(&url)?;
            let user = user.trim().to_owned();
            anyhow::ensure!(user.contains('@'), "--user is the email you log in with");
            let ca_cert = match ca_cert {
                Some(p) => {
                    let p = std::path::absolute(&p).with_context(|| format!("{}", p.display()))?;
                    let pem = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
                    reqwest::Certificate::from_pem_bundle(&pem)
                        .with_context(|| format!("{} holds no PEM certificate", p.display()))?;
                    Some(p)
                }
                None => None,
            };
            let replaced = config
                .profiles
                .insert(
                    name.clone(),
                    Profile {
                        url: url.clone(),
                        user,
                        ca_cert,
                        read_only,
                    },
                )
                .is_some();
            if config.last_profile.is_none() {
                config.last_profile = Some(name.clone());
            }
            config.save(&path)?;
            let verb = if replaced { "Replaced" } else { "Added" };
            writeln!(out, "{verb} profile {name} ({url}) in {}", path.display())?;
            writeln!(out, "Open it with: orgdeck --profile {name}")?;
        }
        ProfileCommand::List => {
            if config.profiles.is_empty() {
                writeln!(
                    out,
                    "No profiles yet. Add one with: orgdeck profile add NAME --url URL --user EMAIL"
                )?;
            }
            for (name, p) in &config.profiles {
                let last = if config.last_profile.as_deref() == Some(name) {
                    "*"
                } else {
                    " "
                };
                let mut extra = String::new();
                if p.read_only {
                    extra.push_str("  read-only");
                }
                if let Some(ca) = &p.ca_cert {
                    extra.push_str(&format!("  ca-cert {}", ca.display()));
                }
                writeln!(out, "{last} {name:<16} {:<36} {}{extra}", p.url, p.user)?;
            }
        }
        ProfileCommand::Remove { name } => {
            anyhow::ensure!(config.profiles.remove(&name).is_some(), "no profile named {name:?}");
            if config.last_profile.as_deref() == Some(name.as_str()) {
                config.last_profile = None;
            }
            config.save(&path)?;
            crate::credentials::Credentials::open(&name, config.credential_store, dirs.credentials_dir()).clear();
            writeln!(out, "Removed profile {name}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_command_lines_parse() {
        let cli = Cli::try_parse_from(["orgdeck", "--profile", "prod"]).unwrap();
        assert_eq!(cli.profile.as_deref(), Some("prod"));
        let cli = Cli::try_parse_from(["orgdeck", "--demo"]).unwrap();
        assert!(cli.demo);
        let cli = Cli::try_parse_from([
            "orgdeck",
            "profile",
            "add",
            "p",
            "--url",
            "http://x",
            "--user",
            "a@b.c",
            "--read-only",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Commands::Profile {
                action: ProfileCommand::Add { read_only: true, .. }
            })
        ));
        assert!(Cli::try_parse_from(["orgdeck", "--demo", "--profile", "x"]).is_err());
    }

    #[test]
    fn completions_and_the_man_page_name_every_subcommand() {
        let mut bash = Vec::new();
        write_docs(Cli::command(), Some(clap_complete::Shell::Bash), &mut bash).unwrap();
        let bash = String::from_utf8(bash).unwrap();
        assert!(bash.contains("complete -F") && bash.contains("profile") && bash.contains("--demo"));
        let mut man = Vec::new();
        write_docs(Cli::command(), None, &mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        assert!(man.starts_with(".ie") || man.contains(".TH orgdeck"), "{man}");
        assert!(man.contains("profile") && man.contains("completions"));
        let cli = Cli::try_parse_from(["orgdeck", "completions", "zsh"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Commands::Completions {
                shell: clap_complete::Shell::Zsh
            })
        ));
    }
}
