//! Section 4 of SETTINGS.md besides the password policy: IP restrictions, two-step verification and
//! session timeouts, as settings documents.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::{
    FieldError,
    validate::{check_characters, check_list_len, has_duplicates},
};

/// `settings/sessions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct SessionSettings {
    /// A session with no request for this long ends: 5..=1440.
    pub idle_minutes: u32,
    /// A session ends this long after login, however active: 15..=10080.
    pub absolute_minutes: u32,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            idle_minutes: 30,
            absolute_minutes: 720,
        }
    }
}

impl SessionSettings {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !(5..=1440).contains(&self.idle_minutes) {
            errors.push(FieldError::new("idle_minutes", "must be from 5 to 1440"));
        }
        if !(15..=10_080).contains(&self.absolute_minutes) {
            errors.push(FieldError::new("absolute_minutes", "must be from 15 to 10080"));
        } else if self.idle_minutes > self.absolute_minutes && errors.is_empty() {
            errors.push(FieldError::new(
                "idle_minutes",
                "must not be longer than the absolute timeout",
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// A network in CIDR notation: `10.0.0.0/8`, `2001:db8::/32`; a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| {
            // Echo what was sent, but not a whole oversized body.
            let shown: String = s.chars().take(50).collect();
            format!("{shown:?} is not an IPv4 or IPv6 address")
        })?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("prefix must be 0 to {max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is inside this network (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// One allowed network with a label people recognise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IpRule {
    pub cidr: String,
    #[serde(default)]
    pub label: String,
}

/// Most rules of the IP allow-list (every request is checked against each).
pub const IP_RULES_MAX: usize = 500;
/// Longest label of an IP rule, in characters.
pub const IP_LABEL_MAX: usize = 100;

/// `settings/ip_restrictions`. An empty list means no restriction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct IpRestrictions {
    pub rules: Vec<IpRule>,
    /// Request only: the admin accepts that the list excludes their own current address.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub confirm_self_lockout: bool,
}

impl IpRestrictions {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        check_list_len("rules", &self.rules, IP_RULES_MAX).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if let Err(e) = Cidr::parse(&rule.cidr) {
                errors.push(FieldError::new(format!("rules[{i}].cidr"), e));
            }
            let label = format!("rules[{i}].label");
            if rule.label.chars().count() > IP_LABEL_MAX {
                errors.push(FieldError::new(
                    label,
                    format!("must be at most {IP_LABEL_MAX} characters"),
                ));
            } else if let Err(e) = check_characters(&label, &rule.label) {
                errors.push(e);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    /// Whether `ip` may connect: always when the list is empty, else when a rule contains it.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.rules.is_empty()
            || self
                .rules
                .iter()
                .filter_map(|r| Cidr::parse(&r.cidr).ok())
                .any(|c| c.contains(ip))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TwoStepMethod {
    Totp,
    Email,
}

/// `settings/two_step`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct TwoStepSettings {
    pub enabled: bool,
    /// Every user must enrol at their next login.
    pub required: bool,
    pub methods: Vec<TwoStepMethod>,
}

impl Default for TwoStepSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            required: false,
            methods: vec![TwoStepMethod::Totp],
        }
    }
}

impl TwoStepSettings {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.enabled && self.methods.is_empty() {
            errors.push(FieldError::new("methods", "choose at least one method"));
        }
        if self.required && !self.enabled {
            errors.push(FieldError::new(
                "required",
                "two-step verification must be enabled to be required",
            ));
        }
        if has_duplicates(&self.methods) {
            errors.push(FieldError::new("methods", "lists a method twice"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The routes of users' sessions.
pub mod endpoints {
    use super::*;
    use crate::routes::*;
    use uuid::Uuid;

    crate::endpoints! {
        /// A user's active sessions.
        ListSessions: Get USER_SESSIONS, Admin, params Uuid, query (), body () => Vec<ActiveSession>;
        /// Ends every session of a user.
        EndSessions: Delete USER_SESSIONS, Admin, params Uuid, query (), body () => (), status 204;
        /// Ends one session of a user.
        EndSession: Delete USER_SESSION, Admin, params (Uuid, String), query (), body () => (), status 204;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<ListSessions>();
        v.visit::<EndSessions>();
        v.visit::<EndSession>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_contain_their_addresses_in_v4_and_v6() {
        let net = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(net.contains(ip("10.1.255.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped IPv6");
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains(ip("2001:db8:1::5")) && !v6.contains(ip("2001:db9::1")));
        let single = Cidr::parse("192.0.2.7").unwrap();
        assert_eq!(single.prefix, 32);
        assert!(single.contains(ip("192.0.2.7")) && !single.contains(ip("192.0.2.8")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("203.0.113.9")));
        assert!(Cidr::parse("10.0.0.0/33").is_err() && Cidr::parse("ten/8").is_err());
    }

    #[test]
    fn an_empty_list_allows_everyone() {
        let none = IpRestrictions::default();
        assert!(none.allows(ip("203.0.113.1")));
        let office = IpRestrictions {
            rules: vec![IpRule {
                cidr: "198.51.100.0/24".into(),
                label: "office".into(),
            }],
            confirm_self_lockout: false,
        };
        assert!(office.allows(ip("198.51.100.20")) && !office.allows(ip("203.0.113.1")));
    }

    #[test]
    fn bad_rules_are_named_by_index() {
        let list = IpRestrictions {
            rules: vec![
                IpRule {
                    cidr: "10.0.0.0/8".into(),
                    label: String::new(),
                },
                IpRule {
                    cidr: "nope".into(),
                    label: String::new(),
                },
            ],
            confirm_self_lockout: false,
        };
        assert_eq!(list.validate().unwrap_err()[0].field, "rules[1].cidr");
    }

    #[test]
    fn session_and_two_step_ranges() {
        assert!(SessionSettings::default().validate().is_ok());
        let bad = SessionSettings {
            idle_minutes: 4,
            absolute_minutes: 20_000,
        };
        assert_eq!(bad.validate().unwrap_err().len(), 2);
        let t = TwoStepSettings {
            enabled: false,
            required: true,
            methods: vec![],
        };
        assert_eq!(t.validate().unwrap_err()[0].field, "required");
    }
}

/// One active session of a user, as `GET users/{id}/sessions` lists it: an opaque id (never the token
/// or its hash), when it started, its last request, when it ends at the latest, and its address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActiveSession {
    pub id: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: jiff::Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub last_seen_at: jiff::Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub expires_at: jiff::Timestamp,
    pub ip: String,
}
