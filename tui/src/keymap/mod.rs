//! Semantic actions and their keys: one table of defaults, the user's overrides from the config file.
//! The `?` help overlay and the footer hints are both generated from this table, so they cannot drift.

use std::{collections::BTreeMap, fmt};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

mod actions;

pub use actions::ACTIONS;
pub(crate) use actions::{mutating, spec};

/// What a key means, independent of which key it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    ForceQuit,
    Help,
    NextTab,
    PrevTab,
    GotoTab,
    JumpToTab,
    GoTo,
    ToggleSidebar,
    Up,
    Down,
    Left,
    Right,
    Activate,
    Cancel,
    Save,
    Reload,
    Yes,
    No,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Search,
    Filter,
    SortNext,
    SortReverse,
    ToggleSelect,
    Detail,
    NewItem,
    EditItem,
    DeleteItem,
    Copy,
    PrevSection,
    NextSection,
    SendCode,
    Logout,
    Messages,
    /// The conflict view of a save: my value of the field, theirs, or every field at once.
    KeepMine,
    TakeTheirs,
    KeepAllMine,
    TakeAllTheirs,
    /// An action one area registers: its row is in that area's module, listed by [`crate::tabs::AREAS`].
    Tab(TabAction),
}

/// An action of one area, named as the config file names it (unique across areas).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TabAction(pub &'static str);

/// Where an action applies; the help groups actions by it and the footer shows the current ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Navigate,
    List,
    Form,
    Dialog,
    /// One area's own actions, titled by the area.
    Area(&'static str),
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Global",
            Scope::Navigate => "Move",
            Scope::List => "Lists",
            Scope::Form => "Forms",
            Scope::Dialog => "Dialogs",
            Scope::Area(title) => title,
        }
    }
}

/// One row of the table: the action, its config name, default keys, help text and footer hint.
pub struct ActionSpec {
    pub action: Action,
    pub name: &'static str,
    pub scope: Scope,
    pub default_keys: &'static [&'static str],
    pub description: &'static str,
    /// A short label for the footer, when the action is worth a hint there.
    pub hint: Option<&'static str>,
    /// Changes something on the server: read-only profiles remove these (in one place, [`Keymap::new`]).
    pub mutates: bool,
}

/// Every action's row: the global table, then each area's own, in the order of [`crate::tabs::AREAS`].
pub fn all_specs() -> impl Iterator<Item = &'static ActionSpec> {
    ACTIONS
        .iter()
        .chain(crate::tabs::AREAS.iter().flat_map(|a| a.keys.iter()))
}

pub fn spec_of(action: Action) -> &'static ActionSpec {
    all_specs()
        .find(|s| s.action == action)
        .expect("every action has a row in ACTIONS or in its area's keys")
}

/// A key with its modifiers, as written in the config file: `ctrl-s`, `shift-tab`, `enter`, `q`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    pub fn parse(s: &str) -> Result<KeyBinding, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty key".into());
        }
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = s;
        // A lone "-" is the minus key, not a separator.
        while let Some((head, tail)) = rest.split_once('-').filter(|(_, t)| !t.is_empty()) {
            match head.to_ascii_lowercase().as_str() {
                "ctrl" | "c" => modifiers |= KeyModifiers::CONTROL,
                "alt" | "a" | "m" => modifiers |= KeyModifiers::ALT,
                "shift" | "s" => modifiers |= KeyModifiers::SHIFT,
                _ => return Err(format!("unknown modifier {head:?} in {s:?}")),
            }
            rest = tail;
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers -= KeyModifiers::SHIFT;
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().expect("checked"))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => KeyCode::Char(c),
                    _ => return Err(format!("unknown key {rest:?} in {s:?}")),
                }
            }
        };
        Ok(KeyBinding { code, modifiers })
    }

    /// Whether a key event is this binding. Shift on a character is part of the character itself.
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let mut mods = key.modifiers;
        if matches!(key.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods -= KeyModifiers::SHIFT;
        }
        let code = match key.code {
            KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
            c => c,
        };
        code == self.code && mods == self.modifiers
    }
}

impl fmt::Display for KeyBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::F(n) => write!(f, "f{n}"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Delete => f.write_str("del"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// The effective bindings: defaults with the user's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Action, Vec<KeyBinding>)>,
    read_only: bool,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new(), false).0
    }
}

impl Keymap {
    /// The defaults with `overrides` (action name to keys) applied; also returns the problems found
    /// in the overrides, which the console shows once. A read-only profile drops every mutating action.
    pub fn new(overrides: &BTreeMap<String, Vec<String>>, read_only: bool) -> (Keymap, Vec<String>) {
        let mut problems = Vec::new();
        for name in overrides.keys() {
            if !all_specs().any(|s| s.name == name) {
                problems.push(format!("[keys] {name}: no such action"));
            }
        }
        let bindings = all_specs()
            .filter(|s| !(read_only && s.mutates))
            .map(|s| {
                let keys: Vec<KeyBinding> = match overrides.get(s.name) {
                    Some(keys) => keys
                        .iter()
                        .filter_map(|k| {
                            KeyBinding::parse(k)
                                .map_err(|e| problems.push(format!("[keys] {}: {e}", s.name)))
                                .ok()
                        })
                        .collect(),
                    None => s
                        .default_keys
                        .iter()
                        .map(|k| KeyBinding::parse(k).expect("default keys parse"))
                        .collect(),
                };
                (s.action, keys)
            })
            .collect();
        (Keymap { bindings, read_only }, problems)
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Whether `action` is available (read-only profiles lose the mutating ones).
    pub fn allows(&self, action: Action) -> bool {
        self.bindings.iter().any(|(a, _)| *a == action)
    }

    /// The actions a key event is bound to, in table order (a key may serve several scopes).
    pub fn actions_for(&self, key: &KeyEvent) -> Vec<Action> {
        if key.kind == KeyEventKind::Release {
            return Vec::new();
        }
        self.bindings
            .iter()
            .filter(|(_, keys)| keys.iter().any(|k| k.matches(key)))
            .map(|(a, _)| *a)
            .collect()
    }

    /// The first action of `candidates` the key is bound to.
    pub fn action_among(&self, key: &KeyEvent, candidates: &[Action]) -> Option<Action> {
        self.actions_for(key).into_iter().find(|a| candidates.contains(a))
    }

    pub fn is(&self, key: &KeyEvent, action: Action) -> bool {
        self.keys(action).iter().any(|k| k.matches(key))
    }

    pub fn keys(&self, action: Action) -> &[KeyBinding] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// How the keys of an action read in the help and the footer: `ctrl-s/s`, `1..9`.
    pub fn keys_label(&self, action: Action) -> String {
        let keys = self.keys(action);
        if action == Action::GotoTab && keys.len() > 3 {
            return format!("{}..{}", keys[0], keys[keys.len() - 1]);
        }
        keys.iter().map(ToString::to_string).collect::<Vec<_>>().join("/")
    }

    /// `(keys, description)` rows of every available action, grouped by scope, for the help overlay.
    pub fn help_rows(&self) -> Vec<(Scope, String, &'static str)> {
        let mut rows = Vec::new();
        let areas = crate::tabs::AREAS.iter().map(|a| Scope::Area(a.title));
        let scopes = [Scope::Global, Scope::Navigate, Scope::List, Scope::Form, Scope::Dialog];
        for scope in scopes.into_iter().chain(areas) {
            for s in all_specs().filter(|s| s.scope == scope && self.allows(s.action)) {
                rows.push((scope, self.keys_label(s.action), s.description));
            }
        }
        rows
    }

    /// `key label` pairs for the footer, for the given actions in that order, with their table labels.
    pub fn hints(&self, actions: &[Action]) -> Vec<(String, &'static str)> {
        let labeled: Vec<(Action, &'static str)> = actions
            .iter()
            .map(|a| (*a, spec_of(*a).hint.unwrap_or(spec_of(*a).name)))
            .collect();
        self.hints_labeled(&labeled)
    }

    /// `key label` pairs for the footer with labels that fit the moment ("done" for enter while editing).
    pub fn hints_labeled(&self, items: &[(Action, &'static str)]) -> Vec<(String, &'static str)> {
        items
            .iter()
            .filter(|(a, _)| self.allows(*a))
            .filter_map(|(a, label)| Some((self.keys(*a).first()?.to_string(), *label)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn key_strings_parse_like_people_write_them() {
        assert_eq!(
            KeyBinding::parse("ctrl-s").unwrap(),
            KeyBinding {
                code: KeyCode::Char('s'),
                modifiers: KeyModifiers::CONTROL
            }
        );
        assert_eq!(KeyBinding::parse("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(KeyBinding::parse("-").unwrap().code, KeyCode::Char('-'));
        assert_eq!(KeyBinding::parse("F5").unwrap().code, KeyCode::F(5));
        assert!(KeyBinding::parse("hyper-x").is_err());
    }

    #[test]
    fn overrides_replace_the_default_keys_of_an_action() {
        let overrides = BTreeMap::from([("quit".to_string(), vec!["x".to_string()])]);
        let (map, problems) = Keymap::new(&overrides, false);
        assert!(problems.is_empty());
        assert!(map.is(&key(KeyCode::Char('x'), KeyModifiers::NONE), Action::Quit));
        assert!(!map.is(&key(KeyCode::Char('q'), KeyModifiers::NONE), Action::Quit));
    }

    #[test]
    fn unknown_actions_and_keys_in_overrides_are_reported() {
        let overrides = BTreeMap::from([
            ("fly".to_string(), vec!["f".to_string()]),
            ("save".to_string(), vec!["hyper-s".to_string()]),
        ]);
        let (_, problems) = Keymap::new(&overrides, false);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn read_only_profiles_lose_saving() {
        let (map, _) = Keymap::new(&BTreeMap::new(), true);
        assert!(!map.allows(Action::Save));
        assert!(
            map.actions_for(&key(KeyCode::Char('s'), KeyModifiers::CONTROL))
                .is_empty()
        );
        assert!(
            map.help_rows()
                .iter()
                .all(|(_, _, d)| *d != spec_of(Action::Save).description)
        );
    }

    #[test]
    fn each_area_registers_its_own_actions_with_names_unique_in_the_whole_keymap() {
        let mut names = std::collections::BTreeSet::new();
        for s in all_specs() {
            assert!(names.insert(s.name), "two actions named {:?}", s.name);
            if let Action::Tab(TabAction(name)) = s.action {
                assert_eq!(name, s.name, "an area action is named as the config file names it");
                assert!(matches!(s.scope, Scope::Area(_)), "{name} is listed under its area");
            }
        }
        // The help lists an area's actions under the area's title, after the global ones.
        let map = Keymap::default();
        let rows = map.help_rows();
        let users = rows
            .iter()
            .position(|(s, _, _)| *s == Scope::Area("Users"))
            .expect("a Users group");
        assert!(rows[..users].iter().all(|(s, _, _)| !matches!(s, Scope::Area(_))));
        assert!(rows.iter().any(|(s, k, _)| *s == Scope::Area("API keys") && k == "R"));
        // A user's override names an area's action like any other.
        let overrides = BTreeMap::from([("rotate_key".to_string(), vec!["ctrl-r".to_string()])]);
        let (map, problems) = Keymap::new(&overrides, false);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(map.is(
            &key(KeyCode::Char('r'), KeyModifiers::CONTROL),
            crate::tabs::api_keys::ROTATE_KEY
        ));
    }

    #[test]
    fn no_area_key_is_taken_by_a_global_or_navigation_key() {
        // The console tries global and navigation keys before the area's: an area key bound to one of
        // them would never reach its area (an area once bound `L`, which logs out).
        let specs: Vec<&ActionSpec> = all_specs().collect();
        let taken: Vec<&str> = specs
            .iter()
            .filter(|s| matches!(s.scope, Scope::Global | Scope::Navigate))
            .flat_map(|s| s.default_keys.iter().copied())
            .collect();
        for s in specs.iter().filter(|s| matches!(s.scope, Scope::Area(_))) {
            for k in s.default_keys {
                assert!(
                    !taken.contains(k),
                    "{} is bound to {k}, a global or navigation key",
                    s.name
                );
            }
        }
    }

    #[test]
    fn shifted_characters_and_ctrl_letters_match() {
        let map = Keymap::default();
        assert!(map.is(&key(KeyCode::Char('?'), KeyModifiers::SHIFT), Action::Help));
        assert!(map.is(&key(KeyCode::Char('c'), KeyModifiers::CONTROL), Action::ForceQuit));
        assert!(map.is(&key(KeyCode::BackTab, KeyModifiers::SHIFT), Action::PrevTab));
        assert_eq!(map.keys_label(Action::GotoTab), "1..9");
    }
}
