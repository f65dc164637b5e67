//! One versioned settings document being edited: where its load stands, the edits on top of it, what a
//! save's answer does to them (422 shows the server's errors inline), and what a newer version saved by
//! someone else does. The edits are never overwritten: the live updates (or a 412) mark them stale and
//! the newer version is read; saving then opens the conflict view ([`Merge`]), field by field, and the
//! merged document goes out with the newer version's If-Match. Every settings area's tab holds one per
//! document (General, each Security section), so each new area gets all of this by implementing
//! [`Document`].

use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Versioned,
    events::ChangeEvent,
    format::DateTimeStyle,
    settings::{
        SettingsArea,
        endpoints::{Get, Put},
    },
};

use crate::{
    api::{Call, needs_login},
    keymap::Action,
    tabs::Effects,
    widgets::{
        ToastLevel,
        merge::{Merge, MergeEvent},
    },
};

/// A resource a tab shows, and where its request stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Load<T> {
    NotLoaded,
    Loading,
    Loaded(T),
    Failed(ApiError),
}

impl<T> Load<T> {
    pub fn loaded(&self) -> Option<&T> {
        match self {
            Load::Loaded(t) => Some(t),
            _ => None,
        }
    }
}

/// A settings document as a tab edits it: how messages name it, and the tab's messages for its answers.
pub trait Document: SettingsArea + PartialEq {
    /// As messages name it: "general settings", "password policy".
    const TITLE: &'static str;
    /// The message of the tab that owns the document.
    type Msg: Send + 'static;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> Self::Msg;
    fn saved_msg(sent: &Self, result: Result<Versioned<Self>, ApiError>) -> Self::Msg;
    fn validate(&self) -> Result<(), Vec<FieldError>> {
        self.check()
    }
    /// The form the server keeps it in (a preset's fixed values filled in), so comparing is fair.
    fn canonical(&self) -> Self {
        self.clone()
    }
}

/// `GET settings/{D}`.
fn read_call<D: Document>() -> Call {
    Call::of::<Get<D>, _>((), D::read_msg).label("loading settings")
}

/// What an answer means for the edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// Show the document (replacing the edits).
    Refill,
    /// Keep the edits; nothing to redraw from the document.
    Keep,
}

/// What a key did while the conflict view may be open.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeStep<D> {
    /// No conflict view: the key is the form's.
    NotOpen,
    /// The view took the key.
    Handled,
    /// The view is open and this is not one of its keys: nothing under it takes it either.
    Ignored,
    /// The user chose: the form shows this (on top of the newer version, now the base) and saves it.
    Apply(D),
}

pub struct DocState<D> {
    pub doc: Load<Versioned<D>>,
    pub saving: bool,
    /// Someone else saved a newer version while the edits were made: saving compares them first.
    pub stale: bool,
    /// The next document that arrives replaces the edits (the user asked).
    replace_on_load: bool,
    /// Errors the server reported for fields not edited since.
    pub server_errors: Vec<FieldError>,
    /// The newer version, once read.
    theirs: Option<Versioned<D>>,
    /// Who saved the newer version and when, as the live updates told ("ana@acme.test at 14:02").
    pub changed_by: Option<String>,
    /// A save waits for the newer version, to open the conflict view when it arrives.
    merge_on_read: bool,
    /// A version a live update announced while a save of mine was on its way (it may be mine).
    announced_while_saving: Option<i64>,
    /// The conflict view, while open.
    pub merge: Option<Merge>,
}

impl<D: Document> DocState<D> {
    pub fn new() -> Self {
        DocState {
            doc: Load::NotLoaded,
            saving: false,
            stale: false,
            replace_on_load: false,
            server_errors: Vec::new(),
            theirs: None,
            changed_by: None,
            merge_on_read: false,
            announced_while_saving: None,
            merge: None,
        }
    }

    pub fn base(&self) -> Option<&Versioned<D>> {
        self.doc.loaded()
    }

    pub fn load(&mut self, fx: &mut Effects) {
        if self.doc.loaded().is_none() {
            self.doc = Load::Loading;
        }
        fx.call(read_call::<D>());
    }

    /// Reads the document again; what arrives replaces the edits.
    pub fn reload(&mut self, fx: &mut Effects) {
        self.replace_on_load = true;
        self.merge = None;
        self.load(fx);
    }

    pub fn is_dirty(&self, edited: Option<&D>) -> bool {
        match (self.base(), edited) {
            (Some(base), Some(edited)) => base.value.canonical() != edited.canonical(),
            _ => false,
        }
    }

    /// Merges the shared validation's errors of `edited` with the server's for fields not edited since.
    pub fn errors(&mut self, edited: Option<&D>, changed: Option<&str>) -> Vec<FieldError> {
        if let Some(field) = changed {
            self.server_errors.retain(|e| !e.field.starts_with(field));
        }
        let mut errors = edited
            .map(|d| d.validate().err().unwrap_or_default())
            .unwrap_or_default();
        for e in &self.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        errors
    }

    /// The line under the form while the edits are stale or saving.
    pub fn banner(&self) -> Option<String> {
        if self.stale {
            let who = match &self.changed_by {
                Some(by) => format!("Changed by {by}"),
                None => "Someone else saved a newer version".to_owned(),
            };
            Some(format!(
                "! {who}. s: compare and save, r: take theirs (drops your edits)"
            ))
        } else if self.saving {
            Some("Saving…".to_owned())
        } else {
            None
        }
    }

    /// Whether a save may go out now; says why not in a toast. `Some` carries the version to send.
    /// Over a newer version, it opens the conflict view instead (reading that version first if needed).
    pub fn check_save(
        &mut self,
        edited: &D,
        read_only: bool,
        label: &dyn Fn(&str) -> Option<(usize, String)>,
        fx: &mut Effects,
    ) -> Option<i64> {
        if read_only {
            fx.toast(ToastLevel::Warning, "Read-only profile: saving is disabled");
            return None;
        }
        let base = self.base()?;
        if self.saving {
            fx.toast(ToastLevel::Info, "Already saving…");
            return None;
        }
        if let Err(errors) = edited.validate() {
            fx.toast(
                ToastLevel::Error,
                format!("Not saved: fix {} field(s) first", errors.len()),
            );
            return None;
        }
        if base.value.canonical() == edited.canonical() {
            fx.toast(ToastLevel::Info, "Nothing to save");
            return None;
        }
        if self.stale {
            if self.theirs.is_some() {
                self.open_merge(edited, label, fx);
            } else {
                self.merge_on_read = true;
                fx.call(read_call::<D>());
                fx.toast(
                    ToastLevel::Info,
                    format!("Reading the newer {} to compare with your edits…", D::TITLE),
                );
            }
            return None;
        }
        Some(base.version)
    }

    pub fn send(&mut self, version: i64, value: D, fx: &mut Effects) {
        self.saving = true;
        let sent = value.clone();
        let call = Call::new::<Put<D>, _>((), &value, move |result| D::saved_msg(&sent, result));
        fx.call(call.if_match(version).label("saving settings"));
    }

    /// A read answered; `edited` is what the form holds now.
    pub fn arrived(
        &mut self,
        result: Result<&Versioned<D>, &ApiError>,
        edited: Option<&D>,
        label: &dyn Fn(&str) -> Option<(usize, String)>,
        fx: &mut Effects,
    ) -> Arrival {
        match result {
            Ok(v) => {
                if self.replace_on_load || !self.is_dirty(edited) {
                    self.doc = Load::Loaded(v.clone());
                    self.stale = false;
                    self.replace_on_load = false;
                    self.merge_on_read = false;
                    self.theirs = None;
                    self.changed_by = None;
                    self.merge = None;
                    self.server_errors.clear();
                    return Arrival::Refill;
                }
                if self.base().is_some_and(|mine| mine.version != v.version) {
                    // The edits stay, on the version they started from; saving compares them with this.
                    self.stale = true;
                    self.theirs = Some(v.clone());
                    if std::mem::take(&mut self.merge_on_read)
                        && let Some(edited) = edited
                    {
                        return self.open_merge(edited, label, fx);
                    }
                }
                Arrival::Keep
            }
            Err(e) if needs_login(e) => Arrival::Keep,
            Err(e) => {
                if self.base().is_none() {
                    self.doc = Load::Failed(e.clone());
                } else {
                    fx.toast(ToastLevel::Error, format!("Reload failed: {}", e.message));
                }
                self.replace_on_load = false;
                self.merge_on_read = false;
                Arrival::Keep
            }
        }
    }

    /// A save answered. Errors other than 412 come back for the caller to look at (422 via
    /// [`DocState::rejected`]).
    pub fn saved<'a>(
        &mut self,
        result: Result<&Versioned<D>, &'a ApiError>,
        fx: &mut Effects,
    ) -> Result<Arrival, &'a ApiError> {
        self.saving = false;
        let announced = self.announced_while_saving.take();
        match result {
            Ok(v) => {
                self.doc = Load::Loaded(v.clone());
                self.stale = false;
                self.theirs = None;
                self.changed_by = None;
                self.server_errors.clear();
                fx.toast(ToastLevel::Info, format!("Saved {}", D::TITLE));
                if announced.is_some_and(|a| a > v.version) {
                    // Someone saved after me: read theirs (it shows, as the form has no edits now).
                    fx.call(read_call::<D>());
                }
                Ok(Arrival::Refill)
            }
            Err(e) if e.code == ErrorCode::VersionMismatch => {
                self.stale = true;
                self.merge_on_read = true;
                fx.call(read_call::<D>());
                let who = self.changed_by.clone().unwrap_or_else(|| "someone else".into());
                fx.toast(
                    ToastLevel::Warning,
                    format!(
                        "Not saved: {who} saved the {} first; showing both side by side…",
                        D::TITLE
                    ),
                );
                Ok(Arrival::Keep)
            }
            Err(e) if needs_login(e) => Ok(Arrival::Keep),
            Err(e) => Err(e),
        }
    }

    /// A 422: its field errors show inline until the field is edited.
    pub fn rejected(&mut self, e: &ApiError, fx: &mut Effects) {
        self.server_errors = e.fields.clone();
        fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message));
    }

    /// A live update. Another's save of this document reads the newer version: it shows at once when
    /// there are no edits; over edits, they stay (stale) and it waits for the conflict view.
    pub fn changed(&mut self, change: &ChangeEvent, edited: Option<&D>, dates: &DateTimeStyle, fx: &mut Effects) {
        if change.area != "settings" || change.id != D::NAME {
            return;
        }
        let known = [self.base(), self.theirs.as_ref()]
            .into_iter()
            .flatten()
            .any(|v| Some(v.version) == change.version);
        if known || self.base().is_none() {
            return;
        }
        if self.saving {
            // Perhaps my own save; its answer tells (a newer version than it is read then).
            self.announced_while_saving = change.version.max(self.announced_while_saving);
            return;
        }
        if self.is_dirty(edited) {
            let by = format!("{} at {}", change.actor, dates.datetime(change.at));
            fx.toast(
                ToastLevel::Warning,
                format!(
                    "The {} were changed by {by}: your edits are kept; saving shows both side by side",
                    D::TITLE
                ),
            );
            self.stale = true;
            self.changed_by = Some(by);
        }
        fx.call(read_call::<D>());
    }

    /// Opens the conflict view of `edited` against the newer version; when nothing differs, takes it.
    fn open_merge(&mut self, edited: &D, label: &dyn Fn(&str) -> Option<(usize, String)>, fx: &mut Effects) -> Arrival {
        let (Some(base), Some(theirs)) = (self.base(), self.theirs.as_ref()) else {
            return Arrival::Keep;
        };
        let canonical = Versioned {
            version: theirs.version,
            value: theirs.value.canonical(),
        };
        let merge = Merge::new(
            D::TITLE,
            self.changed_by.clone(),
            &base.value.canonical(),
            &edited.canonical(),
            &canonical,
            label,
        );
        if merge.rows().is_empty() {
            self.take_theirs();
            fx.toast(
                ToastLevel::Info,
                format!("The newer {} already has your edits: nothing to save", D::TITLE),
            );
            return Arrival::Refill;
        }
        self.merge = Some(merge);
        Arrival::Keep
    }

    /// The newer version becomes the base of the edits.
    fn take_theirs(&mut self) -> Option<Versioned<D>> {
        let theirs = self.theirs.take()?;
        self.doc = Load::Loaded(theirs.clone());
        self.stale = false;
        self.changed_by = None;
        self.merge = None;
        Some(theirs)
    }

    /// A key while the conflict view may be open.
    pub fn merge_action(&mut self, action: Action, fx: &mut Effects) -> MergeStep<D> {
        let Some(merge) = self.merge.as_mut() else {
            return MergeStep::NotOpen;
        };
        match merge.handle(action) {
            MergeEvent::Apply => {
                let Some(theirs) = self.theirs.as_ref() else {
                    self.merge = None;
                    return MergeStep::Handled;
                };
                match merge.resolve(&theirs.value) {
                    Ok(merged) => {
                        self.take_theirs();
                        MergeStep::Apply(merged)
                    }
                    Err(e) => {
                        fx.toast(ToastLevel::Error, format!("Could not merge: {e}"));
                        MergeStep::Handled
                    }
                }
            }
            MergeEvent::Cancel => {
                self.merge = None;
                fx.toast(
                    ToastLevel::Info,
                    "Not saved: your edits are kept; s compares again, r takes the newer version",
                );
                MergeStep::Handled
            }
            MergeEvent::Changed => MergeStep::Handled,
            MergeEvent::Ignored => MergeStep::Ignored,
        }
    }
}

impl<D: Document> Default for DocState<D> {
    fn default() -> Self {
        Self::new()
    }
}

/// A settings document's form in a box: its title (marked while modified), the banner of stale or saving
/// edits, then the form; loading and a failure to load are said in its place.
pub fn render_form_box<D: Document, F>(
    state: &DocState<D>,
    form: &crate::widgets::Form<F>,
    title: &str,
    dirty: bool,
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    theme: &crate::theme::Theme,
) {
    use ratatui::{
        layout::{Constraint, Layout},
        text::Span,
        widgets::{Block, Borders, Paragraph, Wrap},
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(
            format!(" {title}{} ", if dirty { " * modified" } else { "" }),
            theme.title,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    match &state.doc {
        Load::Loaded(_) => {
            let banner = state.banner();
            let [b, f] =
                Layout::vertical([Constraint::Length(u16::from(banner.is_some())), Constraint::Min(0)]).areas(inner);
            if let Some(text) = banner {
                frame.render_widget(Paragraph::new(Span::styled(text, theme.warning)), b);
            }
            form.render(frame, f, theme, true);
        }
        Load::Failed(e) => frame.render_widget(
            Paragraph::new(Span::styled(
                if e.code == ErrorCode::Forbidden {
                    "Only organization admins can see these settings.".to_owned()
                } else {
                    format!("Could not load the settings: {} (r retries)", e.message)
                },
                theme.error,
            ))
            .wrap(Wrap { trim: true }),
            inner,
        ),
        _ => frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner),
    }
}
