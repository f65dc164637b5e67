//! The conflict view of a versioned save: my edits against the version someone else saved while I
//! edited, field by field, each keeping mine or taking theirs, before the save goes out again on their
//! version.
//!
//! It works on any settings document through its JSON form, so every versioned area gets it without code
//! of its own: objects are compared field by field (nested objects by their own fields), anything else
//! (a list, a number, a string) is one field. A field only I changed keeps mine, one only they changed
//! takes theirs, one we both changed to different values is marked and keeps mine until I choose.
//!
//! ```
//! use orgdeck::widgets::merge::{Merge, Side};
//! use orgdeck_shared::Versioned;
//! use serde_json::json;
//!
//! let base = json!({"name": "Acme", "timezone": "UTC", "history": 3});
//! let mine = json!({"name": "Acme Corp", "timezone": "UTC", "history": 5});
//! let theirs = json!({"name": "Acme", "timezone": "Europe/Paris", "history": 4});
//! // Where the form shows each field: its place and label.
//! let form = |name: &str| ["name", "timezone", "history"].iter().position(|f| *f == name).map(|i| (i, name.to_uppercase()));
//! let mut merge = Merge::new("general settings", None, &base, &mine, &Versioned { version: 8, value: theirs.clone() }, form);
//! assert_eq!(merge.rows().len(), 3);
//! assert_eq!(merge.conflicts(), 1); // history: 5 mine, 4 theirs
//! merge.pick(2, Side::Theirs);
//! let merged: serde_json::Value = merge.resolve(&theirs).unwrap();
//! assert_eq!(merged, json!({"name": "Acme Corp", "timezone": "Europe/Paris", "history": 4}));
//! ```

use orgdeck_shared::Versioned;
use ratatui::{
    Frame,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::{Block, Borders, Clear, Paragraph},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, Value};

use crate::{keymap::Action, theme::Theme};

/// Whose value a field takes in the merged document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Mine,
    Theirs,
}

/// Who changed a field since the version my edits started from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangedBy {
    Me,
    Them,
    /// Both, to different values: a conflict.
    Both,
}

/// One field whose value differs between my edits and their version.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRow {
    /// Where the field is in the document's JSON (`["lockout", "minutes"]`).
    pub path: Vec<String>,
    pub label: String,
    /// The values; `None` for a field absent from that side.
    pub mine: Option<Value>,
    pub theirs: Option<Value>,
    pub changed_by: ChangedBy,
    pub pick: Side,
}

/// What a key did to the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeEvent {
    /// Not a key of the view.
    Ignored,
    /// The cursor or a choice moved.
    Changed,
    /// Save the merged document.
    Apply,
    /// Back to the form, edits kept (still refused as stale).
    Cancel,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Merge {
    /// The document, as messages name it ("general settings").
    pub what: &'static str,
    /// Who saved their version and when, when the live updates said ("ana@acme.test at 14:02").
    pub by: Option<String>,
    /// Their version: the merged save goes out with it as If-Match.
    pub version: i64,
    rows: Vec<MergeRow>,
    cursor: usize,
}

impl Merge {
    /// Compares `mine` (edits made on `base`) with `theirs`; `field` tells where a form shows a field
    /// (by its dotted wire path): its place and label. Rows follow the form; fields it does not show
    /// come after, by name, each named by its own name made readable.
    pub fn new<D: Serialize>(
        what: &'static str,
        by: Option<String>,
        base: &D,
        mine: &D,
        theirs: &Versioned<D>,
        field: impl Fn(&str) -> Option<(usize, String)>,
    ) -> Merge {
        let json = |d: &D| serde_json::to_value(d).unwrap_or(Value::Null);
        let (base, mine, their) = (json(base), json(mine), json(&theirs.value));
        let mut rows = Vec::new();
        diff(&mut Vec::new(), Some(&base), Some(&mine), Some(&their), &mut rows);
        let mut places = Vec::with_capacity(rows.len());
        for row in &mut rows {
            let (place, label) = field(&row.path.join("."))
                .map(|(place, label)| (place, Some(label)))
                .unwrap_or((usize::MAX, None));
            row.label = label.unwrap_or_else(|| readable(row.path.last().map_or("", String::as_str)));
            places.push(place);
        }
        let mut placed: Vec<(usize, MergeRow)> = places.into_iter().zip(rows).collect();
        placed.sort_by_key(|(place, _)| *place);
        let rows = placed.into_iter().map(|(_, row)| row).collect();
        Merge {
            what,
            by,
            version: theirs.version,
            rows,
            cursor: 0,
        }
    }

    pub fn rows(&self) -> &[MergeRow] {
        &self.rows
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Fields both sides changed to different values.
    pub fn conflicts(&self) -> usize {
        self.rows.iter().filter(|r| r.changed_by == ChangedBy::Both).count()
    }

    pub fn pick(&mut self, row: usize, side: Side) {
        if let Some(r) = self.rows.get_mut(row) {
            r.pick = side;
        }
    }

    pub fn pick_all(&mut self, side: Side) {
        for r in &mut self.rows {
            r.pick = side;
        }
    }

    /// Their document with the fields picked as mine set to my values.
    pub fn resolve<D: Serialize + DeserializeOwned>(&self, theirs: &D) -> Result<D, serde_json::Error> {
        let mut doc = serde_json::to_value(theirs)?;
        for row in self.rows.iter().filter(|r| r.pick == Side::Mine) {
            set(&mut doc, &row.path, row.mine.clone());
        }
        serde_json::from_value(doc)
    }

    pub fn handle(&mut self, action: Action) -> MergeEvent {
        let last = self.rows.len().saturating_sub(1);
        match action {
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Down => self.cursor = (self.cursor + 1).min(last),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = last,
            Action::Left | Action::Right | Action::ToggleSelect => {
                if let Some(r) = self.rows.get_mut(self.cursor) {
                    r.pick = match r.pick {
                        Side::Mine => Side::Theirs,
                        Side::Theirs => Side::Mine,
                    };
                }
            }
            Action::KeepMine => self.pick(self.cursor, Side::Mine),
            Action::TakeTheirs => self.pick(self.cursor, Side::Theirs),
            Action::KeepAllMine => self.pick_all(Side::Mine),
            Action::TakeAllTheirs => self.pick_all(Side::Theirs),
            Action::Activate | Action::Save => return MergeEvent::Apply,
            Action::Cancel => return MergeEvent::Cancel,
            _ => return MergeEvent::Ignored,
        }
        MergeEvent::Changed
    }

    /// The footer's hints while the view is open.
    pub fn hints() -> Vec<(Action, &'static str)> {
        vec![
            (Action::Activate, "save merged"),
            (Action::KeepMine, "mine"),
            (Action::TakeTheirs, "theirs"),
            (Action::Cancel, "back"),
            (Action::KeepAllMine, "all mine"),
            (Action::TakeAllTheirs, "all theirs"),
            (Action::Left, "flip"),
        ]
    }

    /// Draws the view over `area` (the tab's body).
    pub fn render(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        frame.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border_focus)
            .title(Span::styled(" Save: your edits and the newer version ", theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let width = inner.width as usize;
        let mut lines: Vec<Line> = Vec::new();
        let who = match &self.by {
            Some(by) => format!("{by} saved the {} (version {})", self.what, self.version),
            None => format!("Someone saved the {} (version {})", self.what, self.version),
        };
        for l in super::wrap(&format!("{who} while you edited. Pick each field's value:"), width) {
            lines.push(Line::styled(l, theme.base));
        }
        let longest = self.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
        let label_w = (longest + 1).clamp(6, (width / 3).max(6));
        let side_w = width.saturating_sub(label_w + 2) / 2;
        let head = format!(
            "  {:<label_w$}{:<side_w$}{:<side_w$}",
            fit("Field", label_w - 1),
            fit("Yours", side_w),
            fit("Theirs", side_w)
        );
        lines.push(Line::styled(fit(&head, width), theme.label));
        let summary = self.summary();
        let room = (inner.height as usize).saturating_sub(lines.len() + 1).max(1);
        let offset = self.cursor.saturating_sub(room - 1);
        for (i, row) in self.rows.iter().enumerate().skip(offset).take(room) {
            let mark = if row.changed_by == ChangedBy::Both { "! " } else { "  " };
            let side = |value: &Option<Value>, this: Side| {
                let dot = if row.pick == this { "● " } else { "○ " };
                fit(&format!("{dot}{}", show(value)), side_w)
            };
            let mine = side(&row.mine, Side::Mine);
            let theirs = side(&row.theirs, Side::Theirs);
            let chosen = theme.value.add_modifier(ratatui::style::Modifier::BOLD);
            let style_of = |this: Side| if row.pick == this { chosen } else { theme.muted };
            let base_style = if i == self.cursor {
                theme.selected
            } else {
                Style::default()
            };
            lines.push(
                Line::from(vec![
                    Span::styled(mark, theme.warning),
                    Span::styled(format!("{:<label_w$}", fit(&row.label, label_w - 1)), theme.label),
                    Span::styled(format!("{mine:<side_w$}"), style_of(Side::Mine)),
                    Span::styled(format!("{theirs:<side_w$}"), style_of(Side::Theirs)),
                ])
                .style(base_style),
            );
        }
        lines.push(Line::styled(fit(&summary, width), theme.muted));
        frame.render_widget(Paragraph::new(lines), inner);
    }

    /// "3 fields differ (1 changed by both): 2 yours, 1 theirs".
    pub fn summary(&self) -> String {
        let mine = self.rows.iter().filter(|r| r.pick == Side::Mine).count();
        let both = match self.conflicts() {
            0 => String::new(),
            n => format!(" ({n} changed by both, marked !)"),
        };
        format!(
            "{} field{} differ{both}: {mine} yours, {} theirs",
            self.rows.len(),
            if self.rows.len() == 1 { "" } else { "s" },
            self.rows.len() - mine
        )
    }
}

/// Adds a row for each field under `path` whose value differs between mine and theirs.
fn diff(
    path: &mut Vec<String>,
    base: Option<&Value>,
    mine: Option<&Value>,
    theirs: Option<&Value>,
    rows: &mut Vec<MergeRow>,
) {
    if mine == theirs {
        return;
    }
    if let (Some(Value::Object(m)), Some(Value::Object(t))) = (mine, theirs)
        && matches!(base, None | Some(Value::Object(_)))
    {
        let b = base.and_then(Value::as_object);
        let mut keys: Vec<&String> = m.keys().collect();
        keys.extend(t.keys().filter(|k| !m.contains_key(*k)));
        for key in keys {
            path.push(key.clone());
            diff(path, b.and_then(|b| b.get(key)), m.get(key), t.get(key), rows);
            path.pop();
        }
        return;
    }
    let changed_by = if base == mine {
        ChangedBy::Them
    } else if base == theirs {
        ChangedBy::Me
    } else {
        ChangedBy::Both
    };
    rows.push(MergeRow {
        path: path.clone(),
        label: String::new(),
        mine: mine.cloned(),
        theirs: theirs.cloned(),
        changed_by,
        pick: if changed_by == ChangedBy::Them {
            Side::Theirs
        } else {
            Side::Mine
        },
    });
}

/// Sets (or, for `None`, removes) the field at `path` of `doc`.
fn set(doc: &mut Value, path: &[String], value: Option<Value>) {
    let Some((last, parents)) = path.split_last() else {
        if let Some(v) = value {
            *doc = v;
        }
        return;
    };
    let mut at = doc;
    for key in parents {
        if !at.is_object() {
            *at = Value::Object(Map::new());
        }
        at = at
            .as_object_mut()
            .expect("made an object above")
            .entry(key.clone())
            .or_insert(Value::Object(Map::new()));
    }
    if let Some(obj) = at.as_object_mut() {
        match value {
            Some(v) => {
                obj.insert(last.clone(), v);
            }
            None => {
                obj.remove(last);
            }
        }
    }
}

/// A value as one line: strings bare, lists joined, on/off for switches.
pub fn show(value: &Option<Value>) -> String {
    match value {
        None | Some(Value::Null) => "(none)".into(),
        Some(Value::Bool(true)) => "on".into(),
        Some(Value::Bool(false)) => "off".into(),
        Some(Value::String(s)) if s.is_empty() => "(empty)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "(none)".into(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// `auto_license_new_servers` as "Auto license new servers".
fn readable(name: &str) -> String {
    let text = name.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// `text` cut to `width` characters, with "…" when cut.
fn fit(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn merge(base: Value, mine: Value, theirs: Value) -> Merge {
        Merge::new(
            "doc",
            None,
            &base,
            &mine,
            &Versioned {
                version: 2,
                value: theirs,
            },
            |_| None,
        )
    }

    #[test]
    fn each_side_keeps_what_only_it_changed_and_both_changed_fields_are_marked_and_keep_mine() {
        let m = merge(
            json!({"a": 1, "b": 1, "c": 1, "d": 1}),
            json!({"a": 2, "b": 1, "c": 5, "d": 9}),
            json!({"a": 1, "b": 3, "c": 6, "d": 9}),
        );
        let rows: Vec<_> = m
            .rows()
            .iter()
            .map(|r| (r.path.join("."), r.changed_by, r.pick))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("a".into(), ChangedBy::Me, Side::Mine),
                ("b".into(), ChangedBy::Them, Side::Theirs),
                ("c".into(), ChangedBy::Both, Side::Mine),
            ],
            "d was changed to the same value by both: no row"
        );
        let merged: Value = m.resolve(&json!({"a": 1, "b": 3, "c": 6, "d": 9})).unwrap();
        assert_eq!(merged, json!({"a": 2, "b": 3, "c": 5, "d": 9}));
    }

    #[test]
    fn nested_objects_merge_by_their_fields_and_lists_as_a_whole() {
        let mut m = merge(
            json!({"o": {"x": 1, "y": 1}, "l": ["a"]}),
            json!({"o": {"x": 2, "y": 1}, "l": ["a", "b"]}),
            json!({"o": {"x": 1, "y": 7}, "l": ["c"]}),
        );
        let paths: Vec<_> = m.rows().iter().map(|r| r.path.join(".")).collect();
        assert_eq!(paths, ["l", "o.x", "o.y"], "no form: by name");
        m.handle(Action::Bottom);
        m.handle(Action::Top);
        assert_eq!(m.handle(Action::TakeTheirs), MergeEvent::Changed, "the list is first");
        let merged: Value = m.resolve(&json!({"o": {"x": 1, "y": 7}, "l": ["c"]})).unwrap();
        assert_eq!(merged, json!({"o": {"x": 2, "y": 7}, "l": ["c"]}));
    }

    #[test]
    fn keys_move_flip_and_pick_all_and_enter_applies() {
        let mut m = merge(
            json!({"a": 1, "b": 1}),
            json!({"a": 2, "b": 2}),
            json!({"a": 3, "b": 3}),
        );
        assert_eq!(m.conflicts(), 2);
        m.handle(Action::Right);
        assert_eq!(m.rows()[0].pick, Side::Theirs);
        m.handle(Action::Down);
        m.handle(Action::Down);
        assert_eq!(m.cursor(), 1, "the cursor stops at the last row");
        m.handle(Action::TakeAllTheirs);
        assert!(m.rows().iter().all(|r| r.pick == Side::Theirs));
        m.handle(Action::KeepAllMine);
        assert!(m.rows().iter().all(|r| r.pick == Side::Mine));
        assert_eq!(
            m.summary(),
            "2 fields differ (2 changed by both, marked !): 2 yours, 0 theirs"
        );
        assert_eq!(m.handle(Action::Activate), MergeEvent::Apply);
        assert_eq!(m.handle(Action::Cancel), MergeEvent::Cancel);
        assert_eq!(m.handle(Action::Search), MergeEvent::Ignored);
    }

    #[test]
    fn rows_follow_the_form_and_take_its_labels() {
        let form = |name: &str| match name {
            "zone" => Some((0, "Time zone".to_owned())),
            "name" => Some((1, "Name".to_owned())),
            _ => None,
        };
        let m = Merge::new(
            "doc",
            None,
            &json!({"a": 0, "name": "x", "zone": "UTC"}),
            &json!({"a": 1, "name": "y", "zone": "UTC"}),
            &Versioned {
                version: 2,
                value: json!({"a": 0, "name": "x", "zone": "CET"}),
            },
            form,
        );
        let labels: Vec<_> = m.rows().iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["Time zone", "Name", "A"]);
    }

    #[test]
    fn a_field_absent_from_mine_is_removed_when_mine_is_kept() {
        let m = merge(json!({"a": 1}), json!({}), json!({"a": 2}));
        let merged: Value = m.resolve(&json!({"a": 2})).unwrap();
        assert_eq!(merged, json!({}));
    }

    #[test]
    fn values_read_as_a_person_writes_them() {
        assert_eq!(show(&Some(json!(true))), "on");
        assert_eq!(show(&Some(json!(["qa", "production"]))), "qa, production");
        assert_eq!(show(&Some(json!(""))), "(empty)");
        assert_eq!(show(&None), "(none)");
        assert_eq!(readable("auto_license_new_servers"), "Auto license new servers");
    }
}
