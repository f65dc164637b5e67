//! The license summary: unexpired licenses by kind, against what is licensed.

use std::collections::BTreeMap;

use jiff::civil::Date;
use orgdeck_shared::licensing::{LicenseExpiration, LicenseKind, LicensePool, LicenseSummary};

use crate::store::LicenseFacts;

/// Sums the licenses still valid on `today` (a license is valid through its expiry day).
pub fn summarize(facts: &LicenseFacts, today: Date) -> LicenseSummary {
    let pool = |kind: LicenseKind, used: u32| {
        let mut by_day: BTreeMap<Date, u32> = BTreeMap::new();
        for l in facts
            .licenses
            .iter()
            .filter(|l| l.kind == kind && l.expires_on >= today)
        {
            *by_day.entry(l.expires_on).or_default() += l.count;
        }
        let total = by_day.values().fold(0u32, |a, b| a.saturating_add(*b));
        let expirations = by_day
            .into_iter()
            .map(|(date, count)| LicenseExpiration { date, count })
            .collect();
        LicensePool::new(total, used, expirations)
    };
    LicenseSummary {
        assess: pool(LicenseKind::Assess, facts.licensed_applications),
        protect: pool(LicenseKind::Protect, facts.licensed_servers),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LicenseRow;
    use jiff::civil::date;

    #[test]
    fn expired_licenses_do_not_count_and_expirations_group_by_day_soonest_first() {
        let row = |kind, count, expires_on| LicenseRow {
            kind,
            count,
            expires_on,
        };
        let facts = LicenseFacts {
            licenses: vec![
                row(LicenseKind::Assess, 10, date(2027, 3, 1)),
                row(LicenseKind::Assess, 5, date(2026, 12, 1)),
                row(LicenseKind::Assess, 7, date(2027, 3, 1)),
                row(LicenseKind::Assess, 99, date(2026, 11, 27)),
                row(LicenseKind::Protect, 4, date(2026, 11, 28)),
            ],
            licensed_applications: 12,
            licensed_servers: 6,
        };
        let s = summarize(&facts, date(2026, 11, 28));
        assert_eq!((s.assess.total, s.assess.used, s.assess.available), (22, 12, 10));
        assert_eq!(
            s.assess.expirations[0],
            LicenseExpiration {
                date: date(2026, 12, 1),
                count: 5
            }
        );
        assert_eq!(
            s.assess.expirations[1],
            LicenseExpiration {
                date: date(2027, 3, 1),
                count: 17
            }
        );
        assert_eq!((s.protect.total, s.protect.used, s.protect.available), (4, 6, 0));
    }
}
