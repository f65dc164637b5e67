//! Finding one's way among the areas: what the registry of areas ([`crate::tabs::AREAS`]) says of each
//! (group, title, `:` names, the key after the go key, sections), and the ranked matching of the `:` prompt.
//! Everything here is pure: the app keeps the state, the registry the data.

use crate::tabs::Tab;

/// The groups of areas, in the order the list of areas shows them (as the reference product groups them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Organization,
    UsersAndAccess,
    Security,
    IntegrationsAndNotifications,
    Servers,
    ReportsAndScores,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Organization,
        Group::UsersAndAccess,
        Group::Security,
        Group::IntegrationsAndNotifications,
        Group::Servers,
        Group::ReportsAndScores,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Organization => "Organization",
            Group::UsersAndAccess => "Users & access",
            Group::Security => "Security",
            Group::IntegrationsAndNotifications => "Integrations & notifications",
            Group::Servers => "Servers",
            Group::ReportsAndScores => "Reports & scores",
        }
    }
}

/// One area of the console: one tab, one line of [`crate::tabs::AREAS`].
#[derive(Clone, Copy)]
pub struct Area {
    /// The `:` name, also how a section or a test names the area.
    pub id: &'static str,
    /// As the header and the list of areas show it; the same as its tab's [`Tab::title`].
    pub title: &'static str,
    pub group: Group,
    /// The key after the go key (`'`) that opens the area; unique among areas.
    pub key: char,
    /// More `:` names (lower case).
    pub aliases: &'static [&'static str],
    /// Parts of the area that `:` opens directly (Security's password policy, IP restrictions...).
    pub sections: &'static [Section],
    pub make: fn() -> Box<dyn Tab>,
}

/// A part of an area that `:` can open directly; the tab knows it by `id` ([`Tab::show_section`]).
#[derive(Clone, Copy)]
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// More `:` names (lower case).
    pub aliases: &'static [&'static str],
}

/// Where a jump goes: a tab, and maybe one of its sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub tab: usize,
    pub section: Option<&'static str>,
}

/// A destination the `:` prompt offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub place: Place,
    /// What Tab completes to (the area's or the section's title).
    pub name: String,
    /// Where it is, as the header says it: "Security › IP restrictions".
    pub crumb: String,
    /// The shortest `:` name, shown next to the crumb.
    pub short: String,
    /// Every name it answers to, lower case: title, id, aliases.
    names: Vec<String>,
}

/// The registry row of a tab (by title), if it has one: a tab outside the registry still works, unnamed.
pub fn area_of(areas: &'static [Area], tab: &dyn Tab) -> Option<&'static Area> {
    areas.iter().find(|a| a.title == tab.title())
}

/// Every destination of the `:` prompt, in list order: each tab, then its sections.
pub fn entries(areas: &'static [Area], tabs: &[Box<dyn Tab>]) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, tab) in tabs.iter().enumerate() {
        let area = area_of(areas, tab.as_ref());
        let title = tab.title();
        let mut names = vec![title.to_lowercase()];
        if let Some(a) = area {
            names.push(a.id.to_owned());
            names.extend(a.aliases.iter().map(|s| s.to_string()));
        }
        out.push(Entry {
            place: Place { tab: i, section: None },
            name: title.to_owned(),
            crumb: title.to_owned(),
            short: shortest(&names),
            names,
        });
        for s in area.map_or(&[][..], |a| a.sections) {
            let mut names = vec![s.title.to_lowercase(), s.id.to_owned()];
            names.extend(s.aliases.iter().map(|a| a.to_string()));
            out.push(Entry {
                place: Place {
                    tab: i,
                    section: Some(s.id),
                },
                name: s.title.to_owned(),
                crumb: format!("{title} › {}", s.title),
                short: shortest(&names),
                names,
            });
        }
    }
    out
}

fn shortest(names: &[String]) -> String {
    names
        .iter()
        .min_by_key(|n| n.chars().count())
        .cloned()
        .unwrap_or_default()
}

/// How well `typed` names `entry`: 0 exactly, 1 a name starts with it, 2 a word of a name does, 3 a name
/// contains it; `None` not at all.
fn rank(entry: &Entry, typed: &str) -> Option<u8> {
    entry
        .names
        .iter()
        .filter_map(|name| {
            if name == typed {
                Some(0)
            } else if name.starts_with(typed) {
                Some(1)
            } else if name
                .split(|c: char| !c.is_alphanumeric())
                .any(|word| word.starts_with(typed))
            {
                Some(2)
            } else if name.contains(typed) {
                Some(3)
            } else {
                None
            }
        })
        .min()
}

/// The entries `typed` names, best first (exact, then prefix, then word prefix, then substring; ties in
/// list order); every entry when nothing is typed.
pub fn matches<'a>(entries: &'a [Entry], typed: &str) -> Vec<&'a Entry> {
    let typed = typed.trim().to_lowercase();
    let typed = typed.strip_prefix(':').unwrap_or(&typed);
    if typed.is_empty() {
        return entries.iter().collect();
    }
    let mut ranked: Vec<(u8, usize, &Entry)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| rank(e, typed).map(|r| (r, i, e)))
        .collect();
    ranked.sort_by_key(|(r, i, _)| (*r, *i));
    ranked.into_iter().map(|(_, _, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabs::{AREAS, all};

    fn names(typed: &str) -> Vec<String> {
        let entries = entries(AREAS, &all());
        matches(&entries, typed).iter().map(|e| e.crumb.clone()).collect()
    }

    #[test]
    fn every_area_has_a_tab_of_its_title_and_a_key_of_its_own() {
        for (area, tab) in AREAS.iter().zip(all()) {
            assert_eq!(area.title, tab.title());
        }
        let mut keys: Vec<char> = AREAS.iter().map(|a| a.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), AREAS.len(), "two areas share a go key");
        let entries = entries(AREAS, &all());
        for e in &entries {
            for n in &e.names {
                let owners: Vec<&String> = entries
                    .iter()
                    .filter(|o| o.names.contains(n))
                    .map(|o| &o.crumb)
                    .collect();
                assert_eq!(owners.len(), 1, ":{n} names {owners:?}");
            }
        }
    }

    #[test]
    fn short_names_reach_sections_and_prefixes_rank_first() {
        assert_eq!(names("ip")[0], "Security › IP restrictions");
        assert_eq!(names(":2fa")[0], "Security › Two-step");
        assert_eq!(names("two-step")[0], "Security › Two-step");
        assert_eq!(names("password")[0], "Security › Password policy");
        assert_eq!(names("sessions")[0], "Security › Sessions");
        assert_eq!(names("users")[0], "Users");
        assert_eq!(names("audit")[0], "Audit");
        // "se": names starting with it come before names merely containing it.
        let se = names("se");
        assert_eq!(se[0], "Security");
        let users = se.iter().position(|n| n == "Users").unwrap();
        assert!(
            users > se.iter().position(|n| n == "Security › Sessions").unwrap(),
            "{se:?}"
        );
        // A word inside a name: "restr" finds IP restrictions.
        assert_eq!(names("restr"), ["Security › IP restrictions"]);
        assert!(names("zzz").is_empty());
        assert_eq!(names("").len(), entries(AREAS, &all()).len());
    }
}
