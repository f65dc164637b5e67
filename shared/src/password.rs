//! The password policy of SETTINGS.md section 4, and the check every password set goes through.
//!
//! The server enforces it whenever a password is set; the console runs the same check while a password is
//! typed, to show which rules are still unmet.

use std::{collections::HashSet, fmt, sync::LazyLock};

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// Passwords longer than this are refused (never truncated).
pub const PASSWORD_MAX: usize = 128;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../assets/common-passwords.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
});

/// Whether `password` is on the bundled list of 10,000 common passwords (case-insensitively).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(password.to_lowercase().as_str())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordStrength {
    /// Length over composition: 15 characters, no class rules, no expiry.
    #[default]
    Nist,
    Weak,
    Medium,
    Strong,
    Complex,
    Custom,
}

impl PasswordStrength {
    pub const ALL: [PasswordStrength; 6] = [
        PasswordStrength::Nist,
        PasswordStrength::Weak,
        PasswordStrength::Medium,
        PasswordStrength::Strong,
        PasswordStrength::Complex,
        PasswordStrength::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PasswordStrength::Nist => "nist",
            PasswordStrength::Weak => "weak",
            PasswordStrength::Medium => "medium",
            PasswordStrength::Strong => "strong",
            PasswordStrength::Complex => "complex",
            PasswordStrength::Custom => "custom",
        }
    }

    /// (minimum length, character classes required) of a preset; `None` for custom.
    pub fn preset(self) -> Option<(u32, u32)> {
        match self {
            PasswordStrength::Nist => Some((15, 0)),
            PasswordStrength::Weak => Some((8, 0)),
            PasswordStrength::Medium => Some((8, 2)),
            PasswordStrength::Strong => Some((10, 3)),
            PasswordStrength::Complex => Some((12, 4)),
            PasswordStrength::Custom => None,
        }
    }
}

impl fmt::Display for PasswordStrength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `settings/password_policy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct PasswordPolicy {
    pub strength: PasswordStrength,
    /// Custom only (presets fix it): 8..=128.
    pub min_length: u32,
    /// Custom only: minimum characters of each class, 0..=10.
    pub min_upper: u32,
    pub min_lower: u32,
    pub min_digits: u32,
    pub min_symbols: u32,
    /// Custom only: 0 = never; else 30..=365.
    pub expiration_days: u32,
    /// Earlier passwords that cannot be reused, 0..=24.
    pub history: u32,
    /// Consecutive failures that lock the account, 1..=100.
    pub lockout_attempts: u32,
    /// 0 = until an admin unlocks.
    pub lockout_minutes: u32,
    /// Accounts unused this long are locked; 0 = never.
    pub inactive_lock_days: u32,
    /// Refuse the common-password list and passwords containing the email name or the org name.
    pub block_common: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            strength: PasswordStrength::Nist,
            min_length: 15,
            min_upper: 0,
            min_lower: 0,
            min_digits: 0,
            min_symbols: 0,
            expiration_days: 0,
            history: 0,
            lockout_attempts: 10,
            lockout_minutes: 10,
            inactive_lock_days: 0,
            block_common: true,
        }
    }
}

/// What a password is checked against besides the policy: words it must not contain.
#[derive(Debug, Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub email: &'a str,
    pub org_name: &'a str,
}

/// One unmet rule, with the sentence the console shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PasswordProblem {
    pub rule: PasswordRule,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    MinLength,
    MaxLength,
    Classes,
    Upper,
    Lower,
    Digits,
    Symbols,
    Common,
    ContainsEmailName,
    ContainsOrgName,
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    chars: u32,
    upper: u32,
    lower: u32,
    digits: u32,
    symbols: u32,
}

fn counts(password: &str) -> Counts {
    let mut c = Counts::default();
    for ch in password.chars() {
        c.chars += 1;
        if ch.is_uppercase() {
            c.upper += 1;
        } else if ch.is_lowercase() {
            c.lower += 1;
        } else if ch.is_numeric() {
            c.digits += 1;
        } else if !ch.is_whitespace() {
            c.symbols += 1;
        }
    }
    c
}

impl PasswordPolicy {
    /// The policy a preset stands for: its length and classes, no per-class minimums, no expiry.
    /// Custom policies are returned as they are.
    pub fn normalized(&self) -> PasswordPolicy {
        let Some((min_length, _)) = self.strength.preset() else {
            return self.clone();
        };
        PasswordPolicy {
            min_length,
            min_upper: 0,
            min_lower: 0,
            min_digits: 0,
            min_symbols: 0,
            expiration_days: 0,
            ..self.clone()
        }
    }

    /// Character classes (upper, lower, digits, symbols) a password must mix.
    pub fn required_classes(&self) -> u32 {
        self.strength.preset().map_or(0, |(_, classes)| classes)
    }

    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut range = |field: &str, value: u32, lo: u32, hi: u32| {
            if value < lo || value > hi {
                errors.push(FieldError::new(field, format!("must be from {lo} to {hi}")));
            }
        };
        if self.strength == PasswordStrength::Custom {
            range("min_length", self.min_length, 8, PASSWORD_MAX as u32);
            range("min_upper", self.min_upper, 0, 10);
            range("min_lower", self.min_lower, 0, 10);
            range("min_digits", self.min_digits, 0, 10);
            range("min_symbols", self.min_symbols, 0, 10);
        }
        range("history", self.history, 0, 24);
        range("lockout_attempts", self.lockout_attempts, 1, 100);
        range("lockout_minutes", self.lockout_minutes, 0, 10_080);
        range("inactive_lock_days", self.inactive_lock_days, 0, 3_650);
        if self.strength == PasswordStrength::Custom && self.expiration_days != 0 {
            range("expiration_days", self.expiration_days, 30, 365);
        }
        if self.strength == PasswordStrength::Custom && errors.is_empty() {
            // Each minimum is at most 10 here, so the sum cannot overflow.
            let classes = self.min_upper + self.min_lower + self.min_digits + self.min_symbols;
            if classes > self.min_length {
                errors.push(FieldError::new(
                    "min_length",
                    format!("must be at least the {classes} characters the class minimums add up to"),
                ));
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Every rule `password` does not meet, in the order the console lists them. Empty means accepted.
    pub fn check(&self, password: &str, ctx: PasswordContext<'_>) -> Vec<PasswordProblem> {
        let policy = self.normalized();
        let c = counts(password);
        let mut problems = Vec::new();
        let mut miss = |rule, message: String| problems.push(PasswordProblem { rule, message });
        if c.chars < policy.min_length {
            miss(
                PasswordRule::MinLength,
                format!("at least {} characters ({} so far)", policy.min_length, c.chars),
            );
        }
        if c.chars as usize > PASSWORD_MAX {
            miss(PasswordRule::MaxLength, format!("at most {PASSWORD_MAX} characters"));
        }
        let classes = [c.upper, c.lower, c.digits, c.symbols]
            .iter()
            .filter(|&&n| n > 0)
            .count() as u32;
        let required = policy.required_classes();
        if classes < required {
            miss(
                PasswordRule::Classes,
                format!("mix at least {required} of: upper case, lower case, digits, symbols ({classes} so far)"),
            );
        }
        for (rule, have, want, what) in [
            (PasswordRule::Upper, c.upper, policy.min_upper, "upper-case letter"),
            (PasswordRule::Lower, c.lower, policy.min_lower, "lower-case letter"),
            (PasswordRule::Digits, c.digits, policy.min_digits, "digit"),
            (PasswordRule::Symbols, c.symbols, policy.min_symbols, "symbol"),
        ] {
            if have < want {
                let plural = if want == 1 { "" } else { "s" };
                miss(rule, format!("at least {want} {what}{plural} ({have} so far)"));
            }
        }
        if policy.block_common && !password.is_empty() {
            let lower = password.to_lowercase();
            if is_common(&lower) {
                miss(PasswordRule::Common, "not a commonly used password".into());
            }
            let email_name = ctx.email.split('@').next().unwrap_or("").to_lowercase();
            if email_name.chars().count() >= 3 && lower.contains(&email_name) {
                miss(
                    PasswordRule::ContainsEmailName,
                    "must not contain your email name".into(),
                );
            }
            let squash = |s: &str| {
                s.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase()
            };
            let org = squash(ctx.org_name);
            if org.chars().count() >= 3 && squash(password).contains(&org) {
                miss(
                    PasswordRule::ContainsOrgName,
                    "must not contain the organization's name".into(),
                );
            }
        }
        problems
    }

    /// The check as field errors on `field`, for a 422 answer.
    pub fn check_field(&self, field: &str, password: &str, ctx: PasswordContext<'_>) -> Result<(), FieldError> {
        let problems = self.check(password, ctx);
        if problems.is_empty() {
            return Ok(());
        }
        let list: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        Err(FieldError::new(field, format!("password needs: {}", list.join("; "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: PasswordContext<'static> = PasswordContext {
        email: "jane.doe@acme.example",
        org_name: "Acme Corp",
    };

    fn rules(policy: &PasswordPolicy, pw: &str) -> Vec<PasswordRule> {
        policy.check(pw, CTX).into_iter().map(|p| p.rule).collect()
    }

    #[test]
    fn the_default_is_nist_15_characters_no_class_rules() {
        let p = PasswordPolicy::default();
        assert_eq!(rules(&p, "short"), [PasswordRule::MinLength]);
        assert!(rules(&p, "all lower case words ok").is_empty());
        assert!(p.validate().is_ok());
    }

    #[test]
    fn presets_require_their_length_and_classes() {
        let strong = PasswordPolicy {
            strength: PasswordStrength::Strong,
            ..Default::default()
        };
        assert_eq!(rules(&strong, "abcdefghij"), [PasswordRule::Classes]);
        assert!(rules(&strong, "Abcdefghi1").is_empty());
        let complex = PasswordPolicy {
            strength: PasswordStrength::Complex,
            ..Default::default()
        };
        assert_eq!(rules(&complex, "Abcdefghij1k"), [PasswordRule::Classes]);
        assert!(rules(&complex, "Abcdefghij1!").is_empty());
    }

    #[test]
    fn custom_minimums_count_each_class() {
        let p = PasswordPolicy {
            strength: PasswordStrength::Custom,
            min_length: 8,
            min_upper: 2,
            min_digits: 1,
            min_symbols: 1,
            ..Default::default()
        };
        assert_eq!(
            rules(&p, "Abcdefgh"),
            [PasswordRule::Upper, PasswordRule::Digits, PasswordRule::Symbols]
        );
        assert!(rules(&p, "ABcdefg1!").is_empty());
    }

    #[test]
    fn common_passwords_and_context_words_are_refused() {
        let p = PasswordPolicy {
            strength: PasswordStrength::Weak,
            ..Default::default()
        };
        assert_eq!(rules(&p, "Password1"), [PasswordRule::Common]);
        assert_eq!(rules(&p, "xx-jane.doe-xx"), [PasswordRule::ContainsEmailName]);
        assert_eq!(rules(&p, "i love acme-corp!"), [PasswordRule::ContainsOrgName]);
        let lax = PasswordPolicy {
            block_common: false,
            ..p
        };
        assert!(rules(&lax, "Password1").is_empty());
    }

    #[test]
    fn the_bundled_list_has_ten_thousand_entries() {
        assert_eq!(COMMON.len(), 10_000);
        assert!(is_common("123456") && is_common("QWERTY"));
    }

    #[test]
    fn unicode_counts_characters_and_long_passwords_are_not_truncated() {
        let p = PasswordPolicy::default();
        assert!(rules(&p, &"é".repeat(15)).is_empty(), "15 characters, 30 bytes");
        assert_eq!(rules(&p, &"x".repeat(129)), [PasswordRule::MaxLength]);
    }

    #[test]
    fn policy_fields_outside_their_ranges_are_named() {
        let p = PasswordPolicy {
            strength: PasswordStrength::Custom,
            min_length: 7,
            expiration_days: 10,
            history: 25,
            lockout_attempts: 0,
            ..Default::default()
        };
        let fields: Vec<String> = p.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["min_length", "history", "lockout_attempts", "expiration_days"]);
    }

    #[test]
    fn presets_ignore_custom_fields() {
        let p = PasswordPolicy {
            strength: PasswordStrength::Weak,
            min_upper: 5,
            expiration_days: 90,
            ..Default::default()
        };
        let n = p.normalized();
        assert_eq!((n.min_length, n.min_upper, n.expiration_days), (8, 0, 0));
    }
}
