//! Rendering dates and times in the organization's date format, time format and time zone.

use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::general::{DateFormat, GeneralSettings, TimeFormat};

/// How one organization writes dates and times.
#[derive(Debug, Clone)]
pub struct DateTimeStyle {
    pub date: DateFormat,
    pub time: TimeFormat,
    pub tz: TimeZone,
}

impl Default for DateTimeStyle {
    fn default() -> Self {
        Self {
            date: DateFormat::default(),
            time: TimeFormat::default(),
            tz: TimeZone::UTC,
        }
    }
}

impl DateTimeStyle {
    /// The organization's style; an unknown zone falls back to UTC (the server never stores one).
    pub fn of(settings: &GeneralSettings) -> Self {
        let tz = jiff::tz::db().get(&settings.timezone).unwrap_or(TimeZone::UTC);
        Self {
            date: settings.date_format,
            time: settings.time_format,
            tz,
        }
    }

    /// A calendar date: `2026-11-28`, `11/28/2026`.
    pub fn date(&self, date: Date) -> String {
        date.strftime(self.date.strftime()).to_string()
    }

    /// An instant, as a date and time in the organization's zone: `2026-11-28 21:05`.
    pub fn datetime(&self, ts: Timestamp) -> String {
        let zoned = ts.to_zoned_datetime(self.tz.clone());
        format!(
            "{} {}",
            zoned.strftime(self.date.strftime()),
            zoned.strftime(self.time.strftime())
        )
    }

    /// The day of an instant in the organization's zone.
    pub fn day(&self, ts: Timestamp) -> String {
        self.date(ts.to_zoned_datetime(self.tz.clone()).date())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn renders_in_the_organizations_formats_and_zone() {
        let mut s = GeneralSettings::new(Uuid::nil(), "Acme", Timestamp::UNIX_EPOCH);
        let ts: Timestamp = "2026-11-28T21:05:00Z".parse().unwrap();
        assert_eq!(DateTimeStyle::of(&s).datetime(ts), "2026-11-28 21:05");
        s.date_format = DateFormat::Us;
        s.time_format = TimeFormat::H12;
        s.timezone = "America/New_York".into();
        assert_eq!(DateTimeStyle::of(&s).datetime(ts), "11/28/2026 04:05 PM");
        s.date_format = DateFormat::Dotted;
        s.timezone = "Asia/Tokyo".into();
        assert_eq!(DateTimeStyle::of(&s).day(ts), "29.11.2026");
        s.date_format = DateFormat::European;
        assert_eq!(DateTimeStyle::of(&s).date(jiff::civil::date(2027, 1, 5)), "05/01/2027");
    }
}
