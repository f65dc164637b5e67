//! A confirmation as data: the app opens `Dialog::confirm(action, ...)`, and a yes comes back as
//! `DialogOutcome::Confirmed(action)`, which the app then performs.

use ratatui::{
    Frame,
    layout::{Alignment, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph, Wrap},
};

use crate::{keymap::Action, theme::Theme};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    pub title: String,
    pub message: String,
    /// What a yes does.
    pub action: Action,
    pub yes: &'static str,
    pub no: &'static str,
    /// Which button Enter presses; destructive questions start on "no".
    pub on_yes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogOutcome {
    Pending,
    Confirmed(Action),
    Cancelled,
}

impl Dialog {
    pub fn confirm(
        action: Action,
        title: impl Into<String>,
        message: impl Into<String>,
        yes: &'static str,
        no: &'static str,
    ) -> Dialog {
        Dialog {
            title: title.into(),
            message: message.into(),
            action,
            yes,
            no,
            on_yes: false,
        }
    }

    /// A semantic action while the dialog is open.
    pub fn handle(&mut self, action: Action) -> DialogOutcome {
        match action {
            Action::Yes => DialogOutcome::Confirmed(self.action),
            Action::No | Action::Cancel => DialogOutcome::Cancelled,
            Action::Left | Action::Right | Action::NextTab | Action::PrevTab => {
                self.on_yes = !self.on_yes;
                DialogOutcome::Pending
            }
            Action::Activate if self.on_yes => DialogOutcome::Confirmed(self.action),
            Action::Activate => DialogOutcome::Cancelled,
            _ => DialogOutcome::Pending,
        }
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let width = area.width.min(60).max(area.width.min(30));
        let text_width = width.saturating_sub(4).max(1) as usize;
        let lines = self.message.len().div_ceil(text_width).max(1) as u16;
        let height = (lines + 5).min(area.height);
        let rect = centered(area, width, height);
        frame.render_widget(Clear, rect);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(format!(" {} ", self.title), theme.title));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let button = |label: &str, key: &str, chosen: bool| {
            let text = format!("{}[{key}] {label}", if chosen { ">" } else { " " });
            Span::styled(text, if chosen { theme.selected } else { theme.base })
        };
        let body = vec![
            Line::from(self.message.clone()),
            Line::from(""),
            Line::from(vec![
                button(self.yes, "y", self.on_yes),
                Span::raw("   "),
                button(self.no, "n", !self.on_yes),
            ])
            .alignment(Alignment::Center),
        ];
        frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: true }), inner);
    }
}

/// A `width` x `height` rectangle in the middle of `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yes_confirms_the_action_and_enter_presses_the_chosen_button() {
        let mut d = Dialog::confirm(Action::Quit, "Quit?", "Unsaved edits", "quit", "stay");
        assert_eq!(
            d.handle(Action::Activate),
            DialogOutcome::Cancelled,
            "destructive dialogs start on no"
        );
        d.handle(Action::Left);
        assert_eq!(d.handle(Action::Activate), DialogOutcome::Confirmed(Action::Quit));
        assert_eq!(d.handle(Action::Yes), DialogOutcome::Confirmed(Action::Quit));
        assert_eq!(d.handle(Action::Cancel), DialogOutcome::Cancelled);
    }
}
