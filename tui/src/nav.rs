//! Finding one's way among the areas: what the registry of areas ([`crate::tabs::AREAS`]) says of each
//! (group, title, `:` names, the key after the go key, sections), and the ranked matching of the `:` prompt
//! (nucleo's scores).
//! Everything here is pure: the app keeps the state, the registry the data.

use std::cmp::Reverse;

use nucleo_matcher::{
    Config, Matcher, Utf32Str,
    pattern::{AtomKind, CaseMatching, Normalization, Pattern},
};

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
    /// The actions the area adds to the keymap (its keys, help rows and footer hints).
    pub keys: &'static [crate::keymap::ActionSpec],
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

/// The typed text as the prompt compares it with names (all lower case): trimmed, without a leading `:`.
fn typed_name(typed: &str) -> String {
    let typed = typed.trim().to_lowercase();
    typed.strip_prefix(':').unwrap_or(&typed).to_owned()
}

/// Each typed word must be in a name, as typed (`Substring`) or letter by letter (`Fuzzy`).
fn pattern(typed: &str, kind: AtomKind) -> Pattern {
    Pattern::new(typed, CaseMatching::Ignore, Normalization::Smart, kind)
}

/// How the prompt matches `typed`: as typed when some name among `entries` has it so, else letter by
/// letter, so that `se` lists only the names that contain it while `pwpol` still finds Password policy.
fn kind(entries: &[Entry], typed: &str, matcher: &mut Matcher) -> AtomKind {
    let exact = pattern(typed, AtomKind::Substring);
    let mut chars = Vec::new();
    let any = entries
        .iter()
        .flat_map(|e| &e.names)
        .any(|name| exact.score(Utf32Str::new(name, &mut chars), matcher).is_some());
    if any { AtomKind::Substring } else { AtomKind::Fuzzy }
}

/// How well `typed` names `entry`, the smaller the better; `None` not at all. A tier first (0 a name is
/// exactly it, 1 a name starts with it, 2 it matches otherwise), then nucleo's score within the tier:
/// an exact name or a prefix stays first even where nucleo would score a word start elsewhere higher.
fn rank(entry: &Entry, typed: &str, pattern: &Pattern, matcher: &mut Matcher) -> Option<(u8, Reverse<u32>)> {
    let mut chars = Vec::new();
    entry
        .names
        .iter()
        .filter_map(|name| {
            let score = pattern.score(Utf32Str::new(name, &mut chars), matcher)?;
            let tier = if name == typed {
                0
            } else if name.starts_with(typed) {
                1
            } else {
                2
            };
            Some((tier, Reverse(score)))
        })
        .min()
}

/// The entries `typed` names, best first (exact, then prefix, then by nucleo's score, which puts word
/// starts and unbroken matches first; ties in list order); every entry when nothing is typed.
pub fn matches<'a>(entries: &'a [Entry], typed: &str) -> Vec<&'a Entry> {
    let typed = typed_name(typed);
    if typed.is_empty() {
        return entries.iter().collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = pattern(&typed, kind(entries, &typed, &mut matcher));
    let mut ranked: Vec<(u8, Reverse<u32>, usize, &Entry)> = entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| rank(e, &typed, &pattern, &mut matcher).map(|(t, s)| (t, s, i, e)))
        .collect();
    ranked.sort_by_key(|&(t, s, i, _)| (t, s, i));
    ranked.into_iter().map(|(_, _, _, e)| e).collect()
}

/// What the typed text matched in a listed entry, to mark when drawn: grapheme indices in its
/// [`Entry::name`] and in its [`Entry::short`] (empty where it matched only a name not shown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    pub name: Vec<u32>,
    pub short: Vec<u32>,
}

/// The [`Marks`] of each entry of `list` (what [`matches`] answered), matched as [`matches`] matched.
pub fn marks(list: &[Entry], typed: &str) -> Vec<Marks> {
    let typed = typed_name(typed);
    if typed.is_empty() {
        return vec![Marks::default(); list.len()];
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = pattern(&typed, kind(list, &typed, &mut matcher));
    let mut chars = Vec::new();
    let mut marks = |text: &str| {
        let mut at = Vec::new();
        // A pattern of several words fills in the marks of each word until one fails: none then.
        if pattern
            .indices(Utf32Str::new(text, &mut chars), &mut matcher, &mut at)
            .is_none()
        {
            return Vec::new();
        }
        at.sort_unstable();
        at.dedup();
        at
    };
    list.iter()
        .map(|e| Marks {
            name: marks(&e.name),
            short: marks(&e.short),
        })
        .collect()
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

    fn entry(tab: usize, names: &[&str]) -> Entry {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        Entry {
            place: Place { tab, section: None },
            name: names[0].clone(),
            crumb: names[0].clone(),
            short: shortest(&names),
            names,
        }
    }

    fn ranked(entries: &[Entry], typed: &str) -> Vec<String> {
        matches(entries, typed).iter().map(|e| e.name.clone()).collect()
    }

    #[test]
    fn past_the_prefixes_a_word_start_ranks_before_letters_inside_a_word() {
        let list = [
            entry(0, &["sessions"]),
            entry(1, &["single sign on"]),
            entry(2, &["online"]),
        ];
        assert_eq!(ranked(&list, "on"), ["online", "single sign on", "sessions"]);
    }

    #[test]
    fn letters_scattered_count_only_when_no_name_has_them_unbroken() {
        assert_eq!(names("pwpol"), ["Security › Password policy"]);
        assert_eq!(names("iprest")[0], "Security › IP restrictions");
        assert!(
            !names("se").contains(&"Security › Two-step".to_owned()),
            "two-step has s…e, but other names have se unbroken"
        );
        let list = [entry(0, &["sessions"]), entry(1, &["single sign on"])];
        assert_eq!(
            ranked(&list, "sso"),
            ["single sign on", "sessions"],
            "word starts first"
        );
    }

    #[test]
    fn marks_fall_on_the_matched_letters_of_the_title_and_short_name() {
        let entries = entries(AREAS, &all());
        let list: Vec<Entry> = matches(&entries, "ip").into_iter().cloned().collect();
        let ip = marks(&list, "ip");
        assert_eq!(list[0].name, "IP restrictions");
        assert_eq!(ip[0].name, [0, 1], "upper case title, lower case typed");
        assert_eq!(list[0].short, "ip");
        assert_eq!(ip[0].short, [0, 1]);
        let list: Vec<Entry> = matches(&entries, "pwpol").into_iter().cloned().collect();
        let pwpol = marks(&list, "pwpol");
        assert_eq!(list[0].name, "Password policy");
        assert_eq!(pwpol[0].name, [0, 4, 9, 10, 11], "P(ass)w(ord) pol");
        assert!(pwpol[0].short.is_empty(), ":policy has no w");
        assert!(marks(&list, "").iter().all(|m| m == &Marks::default()));
    }
}
