//! The declared minimum Rust version is the truth: the workspace's `rust-version` is the highest
//! `rust-version` any locked dependency declares (so `cargo +1.xx build` with the declared version works,
//! and no dependency update silently raises it), and the README says the same.

use std::process::Command;

/// `1.89` and `1.89.0` alike, as `[1, 89, 0]`.
fn version(v: &str) -> Vec<u32> {
    let mut parts: Vec<u32> = v.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    parts
}

#[test]
fn the_declared_rust_version_is_the_highest_any_locked_dependency_needs_and_the_readme_says_it() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let members: Vec<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    let mut declared = None;
    let mut needed: Option<(Vec<u32>, String)> = None;
    for p in meta["packages"].as_array().unwrap() {
        let Some(rv) = p["rust_version"].as_str() else { continue };
        let id = p["id"].as_str().unwrap_or_default();
        if members.contains(&id) {
            declared = Some(rv.to_owned());
        } else if needed.as_ref().is_none_or(|(v, _)| version(rv) > *v) {
            needed = Some((
                version(rv),
                format!(
                    "{} {} needs {rv}",
                    p["name"].as_str().unwrap_or_default(),
                    p["version"].as_str().unwrap_or_default()
                ),
            ));
        }
    }
    let declared = declared.expect("the workspace declares rust-version");
    let (needed, who) = needed.expect("some dependency declares one");
    assert_eq!(
        version(&declared),
        needed,
        "the workspace says rust-version {declared}, but {who}: set rust-version to the highest"
    );
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let short = declared.trim_end_matches(".0");
    assert!(
        readme.contains(&format!("Rust toolchain ({short} or newer)")),
        "the README's quick start names Rust {short}"
    );
}
