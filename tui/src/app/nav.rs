//! Going places: the `:` prompt (ranked matches of area and section names, Tab completes, Enter jumps),
//! the go key followed by an area's key, and the list of areas (the sidebar) that shows those keys.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use tui_input::{Input, backend::crossterm::to_input_request};

use super::{App, Command, MIN_WIDTH};
use crate::{
    keymap::Action,
    nav::{self, Area, Entry, Group, Place},
    widgets::{Help, ToastLevel},
};

/// The `:` prompt.
#[derive(Debug, Clone, Default)]
pub struct JumpPrompt {
    pub input: Input,
    /// The matches Tab cycles through, kept from the first Tab so that completing does not narrow them.
    cycle: Option<Vec<Entry>>,
    /// The highlighted match, which Enter opens.
    pub selected: usize,
    /// ↑/↓ chose a match: Enter opens it even with nothing typed.
    chosen: bool,
    /// Enter found nothing of this name.
    pub unknown: Option<String>,
}

impl JumpPrompt {
    pub fn value(&self) -> &str {
        self.input.value()
    }
}

impl App {
    /// Every place `:` can go, in list order.
    pub fn nav_entries(&self) -> Vec<Entry> {
        nav::entries(self.areas, &self.tabs)
    }

    /// The registry row of tab `i`, if it has one.
    pub fn area(&self, i: usize) -> Option<&'static Area> {
        self.tabs.get(i).and_then(|t| nav::area_of(self.areas, t.as_ref()))
    }

    /// The matches the `:` prompt shows now, best first.
    pub fn jump_list(&self) -> Vec<Entry> {
        let Some(prompt) = &self.jump else {
            return Vec::new();
        };
        if let Some(cycle) = &prompt.cycle {
            return cycle.clone();
        }
        let entries = self.nav_entries();
        nav::matches(&entries, prompt.value()).into_iter().cloned().collect()
    }

    /// A command typed at the `:` prompt instead of a place: `quit`, `logout`.
    pub fn jump_command(typed: &str) -> Option<(Action, &'static str)> {
        match typed.trim().to_lowercase().as_str() {
            "quit" | "q" => Some((Action::Quit, "quit")),
            "logout" | "log out" => Some((Action::Logout, "log out")),
            "messages" | "msgs" | "log" => Some((Action::Messages, "messages")),
            _ => None,
        }
    }

    /// Opens a tab, and the section when one is named.
    pub fn go_to(&mut self, place: Place) {
        if place.tab >= self.tabs.len() {
            return;
        }
        self.active = place.tab;
        if let Some(id) = place.section {
            self.tabs[place.tab].show_section(id);
        }
    }

    pub(super) fn jump_key(&mut self, key: &KeyEvent, cmds: &mut Vec<Command>) {
        let list = self.jump_list();
        let Some(prompt) = self.jump.as_mut() else {
            return;
        };
        let typed = prompt.value().to_owned();
        let step = |prompt: &mut JumpPrompt, delta: isize| {
            if !list.is_empty() {
                let n = list.len() as isize;
                prompt.selected = ((prompt.selected as isize + delta).rem_euclid(n)) as usize;
                prompt.chosen = true;
            }
        };
        match key.code {
            KeyCode::Esc => self.jump = None,
            KeyCode::Enter => match App::jump_command(&typed) {
                Some((Action::Quit, _)) => {
                    self.jump = None;
                    self.request_quit();
                }
                Some((Action::Messages, _)) => {
                    self.jump = None;
                    self.open_message_log();
                }
                Some((_, _)) => {
                    self.jump = None;
                    self.request_logout(cmds);
                }
                None if typed.trim().is_empty() && !prompt.chosen => self.jump = None,
                None => match list.get(prompt.selected) {
                    Some(entry) => {
                        let place = entry.place;
                        self.jump = None;
                        self.go_to(place);
                    }
                    None => prompt.unknown = Some(typed.trim().to_owned()),
                },
            },
            KeyCode::Tab | KeyCode::BackTab if !list.is_empty() => {
                if prompt.cycle.is_some() {
                    step(prompt, if key.code == KeyCode::Tab { 1 } else { -1 });
                } else {
                    prompt.cycle = Some(list.clone());
                    prompt.selected = prompt.selected.min(list.len() - 1);
                }
                prompt.input = Input::new(list[prompt.selected].name.clone());
                prompt.unknown = None;
            }
            KeyCode::Down => step(prompt, 1),
            KeyCode::Up => step(prompt, -1),
            _ if key.modifiers.contains(KeyModifiers::CONTROL) => {}
            _ => {
                if let Some(req) = to_input_request(&Event::Key(*key)) {
                    prompt.input.handle(req);
                    prompt.cycle = None;
                    prompt.selected = 0;
                    prompt.chosen = false;
                    prompt.unknown = None;
                }
            }
        }
    }

    /// The key after the go key: an area's key (or its digit) opens it; anything else cancels.
    pub(super) fn go_key(&mut self, key: &KeyEvent, cmds: &mut Vec<Command>) {
        self.go_pending = false;
        let KeyCode::Char(c) = key.code else {
            return;
        };
        if key.modifiers.contains(KeyModifiers::CONTROL) || self.keymap.is(key, Action::GoTo) {
            return;
        }
        match self.tab_of_key(c) {
            Some(tab) => self.go_to(Place { tab, section: None }),
            None => self.toast(ToastLevel::Warning, format!("No area has the key {c}"), false, cmds),
        }
    }

    /// The tabs in the order the list of areas shows them, under their groups (`None`: tabs outside the
    /// registry).
    pub fn sidebar_groups(&self) -> Vec<(Option<Group>, Vec<usize>)> {
        Group::ALL
            .iter()
            .map(|g| Some(*g))
            .chain([None])
            .map(|group| {
                let tabs = (0..self.tabs.len())
                    .filter(|i| self.area(*i).map(|a| a.group) == group)
                    .collect();
                (group, tabs)
            })
            .filter(|(_, tabs): &(_, Vec<usize>)| !tabs.is_empty())
            .collect()
    }

    /// The list of areas is open but the terminal is too narrow for it beside the tab: it is drawn over
    /// the tab and takes the keys until an area is chosen or it is closed.
    pub fn sidebar_is_drawer(&self) -> bool {
        self.sidebar && self.columns < MIN_WIDTH + self.sidebar_width()
    }

    /// A key while the list of areas is drawn over the tab: an area's key (or digit) opens it, ↑/↓ and
    /// enter choose, esc or the list's key closes; quitting, help and `:` still work.
    pub(super) fn drawer_key(&mut self, key: &KeyEvent) {
        if let KeyCode::Char(c) = key.code
            && !key.modifiers.contains(KeyModifiers::CONTROL)
            && let Some(tab) = self.tab_of_key(c)
        {
            self.sidebar = false;
            self.go_to(Place { tab, section: None });
            return;
        }
        let order: Vec<usize> = self.sidebar_groups().into_iter().flat_map(|(_, t)| t).collect();
        let at = order.iter().position(|i| *i == self.sidebar_cursor).unwrap_or(0);
        let candidates = [
            Action::Up,
            Action::Down,
            Action::Activate,
            Action::Cancel,
            Action::ToggleSidebar,
            Action::Quit,
            Action::Help,
            Action::JumpToTab,
        ];
        match self.keymap.action_among(key, &candidates) {
            Some(Action::Up) => self.sidebar_cursor = order[(at + order.len() - 1) % order.len()],
            Some(Action::Down) => self.sidebar_cursor = order[(at + 1) % order.len()],
            Some(Action::Activate) => {
                self.sidebar = false;
                self.go_to(Place {
                    tab: self.sidebar_cursor,
                    section: None,
                });
            }
            Some(Action::Cancel | Action::ToggleSidebar) => self.sidebar = false,
            Some(Action::Quit) => self.request_quit(),
            Some(Action::Help) => self.help = Some(Help::default()),
            Some(Action::JumpToTab) => {
                self.sidebar = false;
                self.jump = Some(JumpPrompt::default());
            }
            _ => {}
        }
    }

    /// The tab an area's key (or, for the first nine, its digit) opens.
    fn tab_of_key(&self, c: char) -> Option<usize> {
        let by_key = (0..self.tabs.len()).find(|i| self.area(*i).is_some_and(|a| a.key == c));
        let by_digit = c
            .to_digit(10)
            .filter(|d| (1..=self.tabs.len() as u32).contains(d))
            .map(|d| d as usize - 1);
        by_key.or(by_digit)
    }
}
