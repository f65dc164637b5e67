//! The license summary of section 1: read-only for org admins, set by the server operator.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenseKind {
    /// One per application.
    Assess,
    /// One per server.
    Protect,
}

impl LicenseKind {
    pub const ALL: [LicenseKind; 2] = [LicenseKind::Assess, LicenseKind::Protect];

    pub fn as_str(self) -> &'static str {
        match self {
            LicenseKind::Assess => "assess",
            LicenseKind::Protect => "protect",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Licenses that expire on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LicenseExpiration {
    #[schemars(with = "crate::schema::Date")]
    pub date: Date,
    pub count: u32,
}

/// One kind of license: how many there are, how many are in use, and when they expire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LicensePool {
    pub total: u32,
    pub used: u32,
    /// `total - used`.
    pub available: u32,
    /// Upcoming expirations, soonest first.
    pub expirations: Vec<LicenseExpiration>,
}

impl LicensePool {
    pub fn new(total: u32, used: u32, expirations: Vec<LicenseExpiration>) -> Self {
        Self {
            total,
            used,
            available: total.saturating_sub(used),
            expirations,
        }
    }

    /// The share in use, 0.0 to 1.0 (1.0 when there are none to use).
    pub fn ratio(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (f64::from(self.used) / f64::from(self.total)).min(1.0)
        }
    }
}

/// `GET licenses`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LicenseSummary {
    pub assess: LicensePool,
    pub protect: LicensePool,
}

impl LicenseSummary {
    pub fn pool(&self, kind: LicenseKind) -> &LicensePool {
        match kind {
            LicenseKind::Assess => &self.assess,
            LicenseKind::Protect => &self.protect,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn available_is_total_minus_used_and_never_negative() {
        assert_eq!(LicensePool::new(10, 3, vec![]).available, 7);
        assert_eq!(LicensePool::new(2, 5, vec![]).available, 0);
        assert_eq!(LicensePool::new(0, 0, vec![]).ratio(), 1.0);
        assert_eq!(LicensePool::new(4, 1, vec![]).ratio(), 0.25);
    }
}
