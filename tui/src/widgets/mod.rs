//! Generic pieces the tabs are built from.

pub mod dialog;
pub mod form;
pub mod help;
pub mod merge;
pub mod overlay;
pub mod qr;
pub mod status;
pub mod table;

pub use dialog::{Dialog, DialogOutcome};
pub use form::{FieldKind, FieldSpec, FieldValue, Form, FormEvent};
pub use help::Help;
pub use overlay::{Prompt, Report};
pub use status::{Connection, LogEntry, StatusLine, Toast, ToastLevel};
pub use table::{Column, PageRequest, SearchEvent, Table, TableQuery, TableRow};

/// Greedy word wrap to `width` characters (long words are cut).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = if line.is_empty() {
            word.chars().count()
        } else {
            line.chars().count() + 1 + word.chars().count()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}
