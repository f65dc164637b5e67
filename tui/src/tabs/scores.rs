//! The Scores area (SETTINGS.md section 10): the score settings as a form (modes, languages, the weights
//! and the grade bounds), and beside it every application's score and grade now and under the settings as
//! edited, the changed grades marked (`*`, so also without colour) and listed first, before anything is
//! saved. The applications and what they are scored from come once from `POST scores/preview`; every edit
//! then scores them again here with the shared formulas ([`orgdeck_shared::scores::score`]), with no
//! request. While the edits do not pass the checks, the preview keeps the last settings that did, and says
//! so.

use crossterm::event::KeyEvent;
use orgdeck_shared::{
    ApiError, ErrorCode, Versioned,
    scores::{
        GradeBounds, LibraryMode, LibraryWeights, OverallMode, PreviewRequest, ScorePreview, ScoreSettings, Scored,
        SeverityWeights, endpoints as ep, score,
    },
};
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    text::{Line, Span},
    widgets::{Block, Borders, Paragraph, Wrap},
};

use super::{
    Effects, Tab, TabCtx,
    doc::{Arrival, DocState, Document, Load, MergeStep},
    own,
};
use crate::{
    api::{Call, OwnerMsg, needs_login},
    keymap::Action,
    widgets::{
        Dialog, FieldSpec, Form, FormEvent, ToastLevel,
        form::{Choice, EditKey, Number, Text},
        merge::Merge,
        table::fit,
    },
};

pub const OVERALL: Choice<ScoreSettings> = Choice::new("overall");
pub const LANGUAGES: Text<ScoreSettings> = Text::new("languages");
pub const LIBRARY: Choice<ScoreSettings> = Choice::new("library");
pub const CRITICAL: Text<ScoreSettings> = Text::new("weights.critical");
pub const HIGH: Text<ScoreSettings> = Text::new("weights.high");
pub const MEDIUM: Text<ScoreSettings> = Text::new("weights.medium");
pub const LOW: Text<ScoreSettings> = Text::new("weights.low");
pub const PER_YEAR: Text<ScoreSettings> = Text::new("library_weights.per_year");
pub const PER_VERSION: Text<ScoreSettings> = Text::new("library_weights.per_version");
pub const PER_CVSS: Text<ScoreSettings> = Text::new("library_weights.per_cvss");
pub const GRADE_A: Number<ScoreSettings> = Number::new("grades.a");
pub const GRADE_B: Number<ScoreSettings> = Number::new("grades.b");
pub const GRADE_C: Number<ScoreSettings> = Number::new("grades.c");
pub const GRADE_D: Number<ScoreSettings> = Number::new("grades.d");

const OVERALL_MODES: [OverallMode; 2] = [OverallMode::Default, OverallMode::CustomCodeOnly];
const LIBRARY_MODES: [LibraryMode; 2] = [LibraryMode::Default, LibraryMode::VulnerabilitiesOnly];

#[derive(Debug, Clone, PartialEq)]
pub enum ScoresMsg {
    Read(Result<Versioned<ScoreSettings>, ApiError>),
    Saved(Result<Versioned<ScoreSettings>, ApiError>),
    Preview(Result<ScorePreview, ApiError>),
}

impl Document for ScoreSettings {
    const TITLE: &'static str = "score settings";
    type Msg = ScoresMsg;
    fn read_msg(result: Result<Versioned<Self>, ApiError>) -> ScoresMsg {
        ScoresMsg::Read(result)
    }
    fn saved_msg(_sent: &Self, result: Result<Versioned<Self>, ApiError>) -> ScoresMsg {
        ScoresMsg::Saved(result)
    }
}

/// One application's row of the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub name: String,
    pub now: Scored,
    pub edited: Scored,
}

impl Row {
    pub fn grade_changed(&self) -> bool {
        self.now.grade != self.edited.grade
    }
}

pub struct ScoresTab {
    pub state: DocState<ScoreSettings>,
    pub form: Form<ScoreSettings>,
    /// What every application is scored from (from the server), once read.
    pub preview: Load<ScorePreview>,
    /// The settings the preview's "edited" column is under: the edits when they pass the checks, else
    /// the last that did.
    pub previewed: Option<ScoreSettings>,
    /// The preview's first row shown.
    pub scroll: usize,
    /// A preview read is on its way; `again` when the inputs changed meanwhile.
    reading: bool,
    again: bool,
}

impl Default for ScoresTab {
    fn default() -> Self {
        Self::new()
    }
}

/// A weight as typed: a number (a comma as the decimal mark too), or NaN, which the checks refuse.
fn weight(text: &str) -> f64 {
    text.trim().replace(',', ".").parse().unwrap_or(f64::NAN)
}

/// A weight as the form shows it: `2.5`, `20`.
fn weight_text(w: f64) -> String {
    format!("{w}")
}

impl ScoresTab {
    pub fn new() -> Self {
        let form = Form::new(vec![
            FieldSpec::choice(
                OVERALL,
                "Overall score",
                vec!["default (code and libraries)".into(), "custom code only".into()],
            ),
            FieldSpec::text(LANGUAGES, "  for languages", Some(400)),
            FieldSpec::choice(
                LIBRARY,
                "Library score",
                vec!["default (age, versions, CVEs)".into(), "vulnerabilities only".into()],
            ),
            FieldSpec::text(CRITICAL, "Critical weight", Some(12)),
            FieldSpec::text(HIGH, "High weight", Some(12)),
            FieldSpec::text(MEDIUM, "Medium weight", Some(12)),
            FieldSpec::text(LOW, "Low weight", Some(12)),
            FieldSpec::text(PER_YEAR, "Per year behind", Some(12)),
            FieldSpec::text(PER_VERSION, "Per version behind", Some(12)),
            FieldSpec::text(PER_CVSS, "Per CVSS point", Some(12)),
            FieldSpec::number(GRADE_A, "A from", 1, 100),
            FieldSpec::number(GRADE_B, "B from", 1, 100),
            FieldSpec::number(GRADE_C, "C from", 1, 100),
            FieldSpec::number(GRADE_D, "D from", 1, 100),
        ]);
        ScoresTab {
            state: DocState::new(),
            form,
            preview: Load::NotLoaded,
            previewed: None,
            scroll: 0,
            reading: false,
            again: false,
        }
    }

    fn fill(&mut self, s: &ScoreSettings) {
        let f = &mut self.form;
        f.set_choice(OVERALL, OVERALL_MODES.iter().position(|m| *m == s.overall).unwrap_or(0));
        f.set_text(LANGUAGES, s.languages.join(", "));
        f.set_choice(LIBRARY, LIBRARY_MODES.iter().position(|m| *m == s.library).unwrap_or(0));
        f.set_text(CRITICAL, weight_text(s.weights.critical));
        f.set_text(HIGH, weight_text(s.weights.high));
        f.set_text(MEDIUM, weight_text(s.weights.medium));
        f.set_text(LOW, weight_text(s.weights.low));
        f.set_text(PER_YEAR, weight_text(s.library_weights.per_year));
        f.set_text(PER_VERSION, weight_text(s.library_weights.per_version));
        f.set_text(PER_CVSS, weight_text(s.library_weights.per_cvss));
        f.set_number(GRADE_A, i64::from(s.grades.a));
        f.set_number(GRADE_B, i64::from(s.grades.b));
        f.set_number(GRADE_C, i64::from(s.grades.c));
        f.set_number(GRADE_D, i64::from(s.grades.d));
        self.sync();
    }

    /// The languages matter only for "custom code only".
    fn sync(&mut self) {
        let code_only = self.form.choice(OVERALL) == 1;
        self.form.set_disabled(LANGUAGES, !code_only);
    }

    /// The settings as the form has them now.
    pub fn edited(&self) -> Option<ScoreSettings> {
        self.state.base()?;
        let f = &self.form;
        let grade = |n: i64| u32::try_from(n).unwrap_or(0);
        let languages = f
            .text(LANGUAGES)
            .split(',')
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        Some(ScoreSettings {
            overall: OVERALL_MODES[f.choice(OVERALL).min(1)],
            languages,
            library: LIBRARY_MODES[f.choice(LIBRARY).min(1)],
            weights: SeverityWeights {
                critical: weight(&f.text(CRITICAL)),
                high: weight(&f.text(HIGH)),
                medium: weight(&f.text(MEDIUM)),
                low: weight(&f.text(LOW)),
            },
            library_weights: LibraryWeights {
                per_year: weight(&f.text(PER_YEAR)),
                per_version: weight(&f.text(PER_VERSION)),
                per_cvss: weight(&f.text(PER_CVSS)),
            },
            grades: GradeBounds {
                a: grade(f.number(GRADE_A)),
                b: grade(f.number(GRADE_B)),
                c: grade(f.number(GRADE_C)),
                d: grade(f.number(GRADE_D)),
            },
        })
    }

    /// Checks the edits (errors inline) and, when they pass, scores the preview under them.
    fn revalidate(&mut self, changed: Option<&str>) {
        if changed.is_some() {
            self.sync();
        }
        let edited = self.edited();
        let errors = self.state.errors(edited.as_ref(), changed);
        if errors.is_empty() {
            self.previewed = edited;
        }
        self.form.set_errors(errors);
    }

    fn refill(&mut self) {
        if let Some(base) = self.state.base().cloned() {
            self.fill(&base.value);
            self.previewed = Some(base.value);
        }
        self.form.set_errors(Vec::new());
    }

    fn read_preview(&mut self, fx: &mut Effects) {
        if self.reading {
            self.again = true;
            return;
        }
        self.reading = true;
        if self.preview.loaded().is_none() {
            self.preview = Load::Loading;
        }
        // The inputs are what matters: every score is computed here; the saved settings are as good as any.
        let settings = self.state.base().map(|b| b.value.clone()).unwrap_or_default();
        fx.call(
            Call::new::<ep::Preview, _>((), &PreviewRequest { settings }, ScoresMsg::Preview)
                .label("loading the applications' scores"),
        );
    }

    /// Every application now (saved settings) and under the previewed settings; changed grades first.
    pub fn rows(&self) -> Vec<Row> {
        let (Some(preview), Some(base)) = (self.preview.loaded(), self.state.base()) else {
            return Vec::new();
        };
        let edited = self.previewed.as_ref().unwrap_or(&base.value);
        let mut rows: Vec<Row> = preview
            .applications
            .iter()
            .map(|a| Row {
                name: a.name.clone(),
                now: score(&base.value, &a.inputs),
                edited: score(edited, &a.inputs),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.grade_changed()
                .cmp(&a.grade_changed())
                .then_with(|| a.name.cmp(&b.name))
        });
        rows
    }

    fn save(&mut self, ctx: &TabCtx, fx: &mut Effects) {
        if self.form.is_editing() && self.form.commit_edit() == FormEvent::Ignored {
            return;
        }
        self.revalidate(None);
        let Some(edited) = self.edited() else { return };
        let version = self.state.check_save(&edited, ctx.read_only, &self.form.labels(), fx);
        if let Some(version) = version {
            self.state.send(version, edited, fx);
        } else if let Some(first) = self.form.errors().keys().next().cloned() {
            self.form.focus_named(&first);
        }
    }

    fn merge_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> Option<bool> {
        match self.state.merge_action(action, fx) {
            MergeStep::NotOpen => None,
            MergeStep::Handled => Some(true),
            MergeStep::Ignored => Some(false),
            MergeStep::Apply(merged) => {
                self.fill(&merged);
                self.revalidate(None);
                self.save(ctx, fx);
                Some(true)
            }
        }
    }

    /// Whether the preview shows settings other than the edits (they do not pass the checks).
    fn preview_is_stale(&self) -> bool {
        self.edited().is_some_and(|e| self.previewed.as_ref() != Some(&e)) && !self.form.errors().is_empty()
    }
}

impl Tab for ScoresTab {
    fn title(&self) -> &'static str {
        "Scores"
    }

    fn load(&mut self, fx: &mut Effects) {
        self.state.load(fx);
        self.read_preview(fx);
    }

    fn captures_input(&self) -> bool {
        self.form.is_editing()
    }

    fn handle_key(&mut self, key: &KeyEvent, ctx: &TabCtx, fx: &mut Effects) {
        match self.form.edit_key(key, ctx.keymap) {
            EditKey::Save => self.save(ctx, fx),
            EditKey::Edit(FormEvent::Changed(field)) => self.revalidate(Some(field)),
            EditKey::Edit(FormEvent::EditCancelled) => self.revalidate(None),
            EditKey::Edit(_) => {}
        }
    }

    fn handle_action(&mut self, action: Action, ctx: &TabCtx, fx: &mut Effects) -> bool {
        self.form.set_read_only(ctx.read_only);
        if let Some(taken) = self.merge_action(action, ctx, fx) {
            return taken;
        }
        match action {
            Action::Save => self.save(ctx, fx),
            Action::Reload if self.is_dirty() && !self.state.stale => {
                fx.confirm = Some(Dialog::confirm(
                    Action::Reload,
                    "Reload?",
                    "Reloading drops your unsaved edits to the score settings.",
                    "reload",
                    "keep editing",
                ));
            }
            Action::Reload => {
                self.state.reload(fx);
                self.read_preview(fx);
            }
            Action::PageDown => {
                let n = self.rows().len();
                self.scroll = (self.scroll + 5).min(n.saturating_sub(1));
            }
            Action::PageUp => self.scroll = self.scroll.saturating_sub(5),
            Action::Up | Action::Down | Action::Left | Action::Right | Action::Activate => {
                if self.state.base().is_none() {
                    return false;
                }
                match self.form.handle_action(action) {
                    FormEvent::Changed(field) => self.revalidate(Some(field)),
                    FormEvent::Ignored => return false,
                    _ => {}
                }
            }
            _ => return false,
        }
        true
    }

    fn confirmed(&mut self, action: Action, _ctx: &TabCtx, fx: &mut Effects) {
        if action == Action::Reload {
            self.state.reload(fx);
            self.read_preview(fx);
        }
    }

    fn answer(&mut self, msg: OwnerMsg, _ctx: &TabCtx, fx: &mut Effects) {
        let Some(msg) = own::<ScoresMsg>(msg) else { return };
        match msg {
            ScoresMsg::Read(result) => {
                let edited = self.edited();
                let arrival = self
                    .state
                    .arrived(result.as_ref(), edited.as_ref(), &self.form.labels(), fx);
                if arrival == Arrival::Refill {
                    self.refill();
                }
            }
            ScoresMsg::Saved(result) => match self.state.saved(result.as_ref(), fx) {
                Ok(Arrival::Refill) => self.refill(),
                Ok(Arrival::Keep) => {}
                Err(e) if e.code == ErrorCode::ValidationFailed => {
                    self.state.rejected(e, fx);
                    self.revalidate(None);
                }
                Err(e) => fx.toast(ToastLevel::Error, format!("Not saved: {}", e.message)),
            },
            ScoresMsg::Preview(result) => {
                self.reading = false;
                match result {
                    Ok(p) => self.preview = Load::Loaded(p),
                    Err(e) if needs_login(&e) => {}
                    Err(e) if self.preview.loaded().is_some() => {
                        fx.toast(ToastLevel::Error, format!("The scores did not reload: {}", e.message))
                    }
                    Err(e) => self.preview = Load::Failed(e),
                }
                if std::mem::take(&mut self.again) {
                    self.read_preview(fx);
                }
            }
        }
    }

    fn changed(&mut self, change: &orgdeck_shared::events::ChangeEvent, ctx: &TabCtx, fx: &mut Effects) {
        let edited = self.edited();
        self.state.changed(change, edited.as_ref(), ctx.dates, fx);
        // What the scores are made of changed: an event on an application (a vulnerability, a library).
        if change.area == "application" && self.preview.loaded().is_some() {
            self.read_preview(fx);
        }
    }

    fn is_dirty(&self) -> bool {
        self.state.is_dirty(self.edited().as_ref())
    }

    fn hints(&self) -> Vec<(Action, &'static str)> {
        if self.state.merge.is_some() {
            let mut hints = Merge::hints();
            hints.push((Action::Help, "help"));
            return hints;
        }
        if self.form.is_editing() {
            return vec![
                (Action::Activate, "done"),
                (Action::Cancel, "cancel"),
                (Action::Save, "save"),
            ];
        }
        let mut hints = vec![(Action::Activate, "edit"), (Action::Left, "choose")];
        if self.state.stale {
            hints.extend([(Action::Save, "compare & save"), (Action::Reload, "take theirs")]);
        } else {
            hints.extend([(Action::Save, "save"), (Action::Reload, "reload")]);
        }
        hints.extend([(Action::PageDown, "scroll preview"), (Action::Help, "help")]);
        hints
    }

    fn render(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        if let Some(merge) = &self.state.merge {
            merge.render(frame, area, theme);
            return;
        }
        let (form_area, preview_area) = if area.width >= 110 {
            let [a, b] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
            (a, b)
        } else {
            let [a, b] = Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
            (a, b)
        };
        super::doc::render_form_box(
            &self.state,
            &self.form,
            "Score settings",
            self.is_dirty(),
            frame,
            form_area,
            theme,
        );
        self.render_preview(frame, preview_area, ctx);
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl ScoresTab {
    fn render_preview(&self, frame: &mut Frame, area: Rect, ctx: &TabCtx) {
        let theme = ctx.theme;
        let rows = self.rows();
        let changed = rows.iter().filter(|r| r.grade_changed()).count();
        let title = match (changed, self.preview_is_stale()) {
            (_, true) => " Preview: the last settings that passed the checks ".to_owned(),
            (0, false) => format!(" Preview: {} applications, no grade changes ", rows.len()),
            (1, false) => " Preview: 1 grade changes ".to_owned(),
            (n, false) => format!(" Preview: {n} grades change "),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border)
            .title(Span::styled(title, theme.title));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        match &self.preview {
            Load::Failed(e) => {
                frame.render_widget(
                    Paragraph::new(Span::styled(
                        format!("Could not load the applications: {} (r retries)", e.message),
                        theme.error,
                    ))
                    .wrap(Wrap { trim: true }),
                    inner,
                );
                return;
            }
            Load::Loaded(_) if rows.is_empty() => {
                frame.render_widget(
                    Paragraph::new(Span::styled("No application to score yet.", theme.muted)),
                    inner,
                );
                return;
            }
            Load::Loaded(_) => {}
            _ => {
                frame.render_widget(Paragraph::new(Span::styled("Loading…", theme.muted)), inner);
                return;
            }
        }
        let w = inner.width;
        let name_w = w.saturating_sub(2 + 10 + 10 + 10).max(8) as usize;
        let mut lines = vec![Line::styled(
            fit(
                &format!(
                    "  {:<name_w$}{:<10}{:<10}{}",
                    "Application", "Now", "Edited", "Code/Lib"
                ),
                w,
            ),
            theme.label,
        )];
        let visible = inner.height.saturating_sub(1) as usize;
        let first = self.scroll.min(rows.len().saturating_sub(visible.max(1)));
        for r in rows.iter().skip(first).take(visible) {
            let mark = if r.grade_changed() {
                "*"
            } else if r.now.overall != r.edited.overall {
                "~"
            } else {
                " "
            };
            let lib = r.edited.library.map_or_else(|| "—".to_owned(), |l| l.to_string());
            let text = format!(
                "{mark} {:<name_w$}{:<10}{:<10}{}/{}",
                fit(&r.name, name_w as u16 - 1),
                format!("{} {}", r.now.overall, r.now.grade.as_str()),
                format!("{} {}", r.edited.overall, r.edited.grade.as_str()),
                r.edited.code,
                lib
            );
            let style = if r.grade_changed() { theme.warning } else { theme.base };
            lines.push(Line::styled(fit(&text, w), style));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_gives_back_what_it_was_filled_with() {
        let mut tab = ScoresTab::new();
        let s = ScoreSettings {
            overall: OverallMode::CustomCodeOnly,
            languages: vec!["java".into(), "go".into()],
            library: LibraryMode::VulnerabilitiesOnly,
            weights: SeverityWeights {
                critical: 40.0,
                high: 12.5,
                medium: 5.0,
                low: 0.5,
            },
            library_weights: LibraryWeights {
                per_year: 3.0,
                per_version: 7.0,
                per_cvss: 9.0,
            },
            grades: GradeBounds {
                a: 95,
                b: 85,
                c: 75,
                d: 65,
            },
        };
        tab.state.doc = Load::Loaded(Versioned {
            version: 1,
            value: ScoreSettings::default(),
        });
        tab.fill(&s);
        assert_eq!(tab.edited(), Some(s.clone()));
        tab.form.assert_names_fields_of(&s);
    }

    #[test]
    fn a_weight_that_is_not_a_number_is_refused_by_the_checks() {
        assert!(weight("abc").is_nan());
        assert_eq!(weight(" 2,5 "), 2.5);
    }
}
