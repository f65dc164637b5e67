//! Where a key goes: the dialog, the help, the `:` prompt, the go key's second key, the login dialog, the required two-step
//! enrolment, a field being edited, or (through the keymap's semantic actions) the console and then the
//! active tab.

use super::{App, Command, JumpPrompt, login::LoginEvent};
use crate::{
    keymap::{Action, Scope},
    widgets::{DialogOutcome, Help},
};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent, cmds: &mut Vec<Command>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        // Toasts go away on the next key press (a sticky warning only by its timer).
        self.toasts.retain(|t| t.sticky);

        if let Some(dialog) = self.dialog.as_mut() {
            let candidates = [
                Action::Yes,
                Action::No,
                Action::Cancel,
                Action::Left,
                Action::Right,
                Action::Activate,
                Action::NextTab,
                Action::PrevTab,
            ];
            if let Some(action) = self.keymap.action_among(&key, &candidates) {
                match dialog.handle(action) {
                    DialogOutcome::Pending => {}
                    DialogOutcome::Cancelled => self.dialog = None,
                    DialogOutcome::Confirmed(a) => {
                        self.dialog = None;
                        self.confirmed(a, cmds);
                    }
                }
            }
            return;
        }
        if self.keymap.is(&key, Action::ForceQuit) {
            self.request_quit();
            return;
        }
        if self.help.is_some() {
            self.help_key(&key);
            return;
        }
        if let Some(log) = self.message_log.as_mut() {
            for action in self.keymap.actions_for(&key) {
                match log.handle(action) {
                    crate::widgets::overlay::ReportEvent::None => continue,
                    _ => self.message_log = None,
                }
                break;
            }
            return;
        }
        if self.jump.is_some() {
            self.jump_key(&key, cmds);
            return;
        }
        if self.go_pending {
            self.go_key(&key, cmds);
            return;
        }
        if let Some(login) = self.login.as_mut() {
            match login.handle_key(&key, &self.keymap) {
                LoginEvent::None => {}
                LoginEvent::Dismiss => {
                    self.login = None;
                    self.retry.clear();
                    self.toast(
                        super::ToastLevel::Warning,
                        "Not logged in: your edits are kept; saving asks you to log in",
                        false,
                        cmds,
                    );
                }
                LoginEvent::Submit(request) => {
                    let c = self.request(request);
                    cmds.push(c);
                }
            }
            return;
        }
        if self.enrolment.is_some() {
            // Quitting, logging out and help stay possible; a digit is always part of a code.
            let digit = matches!(key.code, KeyCode::Char(c) if c.is_ascii_digit());
            let global = [Action::Quit, Action::Logout, Action::Help];
            match self.keymap.action_among(&key, &global).filter(|_| !digit) {
                Some(action) => {
                    self.global_action(action, &key, cmds);
                }
                None => self.with_enrolment(cmds, |e, ctx, fx| e.handle_key(&key, ctx, fx)),
            }
            return;
        }
        if self.me.is_none() {
            // Connecting: only quitting and help make sense.
            if self.keymap.is(&key, Action::Quit) {
                self.request_quit();
            } else if self.keymap.is(&key, Action::Help) {
                self.help = Some(Help::default());
            }
            return;
        }
        if self.password_gate() {
            // Quitting, logging out and help stay possible; the rest waits for the new password.
            let global = [Action::Quit, Action::Logout, Action::Help, Action::Messages];
            let typing = self.tabs[self.active].captures_input();
            match self
                .keymap
                .action_among(&key, &global)
                .filter(|_| !typing || key.modifiers.contains(crossterm::event::KeyModifiers::CONTROL))
            {
                Some(action) => {
                    self.global_action(action, &key, cmds);
                }
                None => {
                    let active = self.active;
                    self.with_tab(active, cmds, |t, ctx, fx| t.handle_key(&key, ctx, fx));
                }
            }
            return;
        }
        if self.sidebar_is_drawer() {
            self.drawer_key(&key);
            return;
        }
        let active = self.active;
        if self.tabs[active].captures_input() {
            self.with_tab(active, cmds, |t, ctx, fx| t.handle_key(&key, ctx, fx));
            return;
        }
        let actions = self.keymap.actions_for(&key);
        for &action in &actions {
            if self.global_action(action, &key, cmds) {
                return;
            }
            let mut handled = false;
            let before = cmds.len();
            self.with_tab(active, cmds, |t, ctx, fx| handled = t.handle_action(action, ctx, fx));
            if handled {
                if action == Action::Reload {
                    // Said once everything it asked for is back ("reloaded"), or not at all if a part fails.
                    self.reloading = cmds[before..]
                        .iter()
                        .filter_map(|c| {
                            if let Command::Api(call) = c {
                                Some(call.clone())
                            } else {
                                None
                            }
                        })
                        .collect();
                }
                return;
            }
        }
        // A command key that does nothing here says so, instead of silence.
        if let Some(spec) = actions.iter().map(|a| crate::keymap::spec_of(*a)).find(|s| {
            !matches!(s.scope, Scope::Navigate | Scope::Dialog)
                && !matches!(s.action, Action::Activate | Action::Cancel)
        }) {
            let title = self.tabs[active].title();
            let text = format!(
                "{}: {} (not in {title} here)",
                self.keymap.keys_label(spec.action),
                spec.description
            );
            self.toast(super::ToastLevel::Info, text, false, cmds);
        }
    }

    /// The console's own actions; false for those the tab handles.
    fn global_action(&mut self, action: Action, key: &KeyEvent, cmds: &mut Vec<Command>) -> bool {
        let n = self.tabs.len();
        match action {
            Action::Quit => self.request_quit(),
            Action::Logout => self.request_logout(cmds),
            Action::Help => self.help = Some(Help::default()),
            Action::Messages => self.open_message_log(),
            Action::NextTab => self.active = (self.active + 1) % n,
            Action::PrevTab => self.active = (self.active + n - 1) % n,
            Action::GotoTab => match key.code {
                KeyCode::Char(c) if c.is_ascii_digit() && c != '0' => {
                    let i = c as usize - '1' as usize;
                    if i < n {
                        self.active = i;
                    }
                }
                _ => return false,
            },
            Action::JumpToTab => self.jump = Some(JumpPrompt::default()),
            Action::ToggleSidebar => {
                self.sidebar = !self.sidebar;
                self.sidebar_cursor = self.active;
            }
            Action::GoTo => self.go_pending = true,
            _ => return false,
        }
        true
    }

    fn help_key(&mut self, key: &KeyEvent) {
        let width = crate::widgets::Help::width(ratatui::layout::Rect::new(0, 0, self.columns, 0));
        let total = crate::widgets::Help::lines_in(
            &self.keymap,
            self.log_path.as_deref(),
            &self.theme,
            Some(width.saturating_sub(2) as usize),
        )
        .len();
        let page = self.viewport_rows.saturating_sub(3).max(1) as i32;
        let help = self.help.as_mut().expect("help is open");
        let scroll = [
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
        ];
        let close = [Action::Cancel, Action::Help, Action::Quit];
        let actions = self.keymap.actions_for(key);
        let action = actions
            .iter()
            .copied()
            .find(|a| scroll.contains(a))
            .or_else(|| actions.iter().copied().find(|a| close.contains(a)));
        match action {
            Some(Action::Up) => help.scroll_by(-1, total, self.viewport_rows),
            Some(Action::Down) => help.scroll_by(1, total, self.viewport_rows),
            Some(Action::PageUp) => help.scroll_by(-page, total, self.viewport_rows),
            Some(Action::PageDown) => help.scroll_by(page, total, self.viewport_rows),
            Some(Action::Top) => help.scroll_by(-(total as i32), total, self.viewport_rows),
            Some(Action::Bottom) => help.scroll_by(total as i32, total, self.viewport_rows),
            Some(_) => self.help = None,
            None => {}
        }
    }
}
