//! Score settings and the formulas (SETTINGS.md section 10): pure functions, so the server scores
//! applications and the console previews the grades under settings not saved yet with the same code.
//!
//! - Custom-code score = 100 − 20·critical − 10·high − 5·medium − 1·low (notes do not count), at least 0.
//! - A library's score = 100 − 2.5·(years between the used and the latest release) − 10·(versions released
//!   after the used one) − 10·(highest CVSS of its CVEs), at least 0; `vulnerabilities_only` keeps the
//!   last term. An application's library score is the average of its libraries' (none: no library score).
//! - Overall = the average of the two (`default`), or the custom-code score (`custom_code_only`, for the
//!   listed languages only when a list is given), rounded half up, never below 35.
//! - Grades: A from 90, B from 80, C from 70, D from 60, F below. Weights and bounds are editable.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{FieldError, vulnerabilities::Severity};

/// The lowest overall score.
pub const OVERALL_FLOOR: u32 = 35;
/// The most languages `custom_code_only` may be limited to.
pub const LANGUAGES_MAX: usize = 20;
/// The largest weight.
pub const WEIGHT_MAX: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OverallMode {
    /// The average of the custom-code score and the library score.
    #[default]
    Default,
    /// The custom-code score alone (for the listed languages, when a list is given).
    CustomCodeOnly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LibraryMode {
    /// Age, versions behind and vulnerabilities.
    #[default]
    Default,
    /// Vulnerabilities only.
    VulnerabilitiesOnly,
}

/// Points a custom-code vulnerability of each severity takes off (notes take none).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeverityWeights {
    pub critical: f64,
    pub high: f64,
    pub medium: f64,
    pub low: f64,
}

impl Default for SeverityWeights {
    fn default() -> Self {
        SeverityWeights {
            critical: 20.0,
            high: 10.0,
            medium: 5.0,
            low: 1.0,
        }
    }
}

/// Points a library loses per year behind its latest release, per newer version, per CVSS point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LibraryWeights {
    pub per_year: f64,
    pub per_version: f64,
    pub per_cvss: f64,
}

impl Default for LibraryWeights {
    fn default() -> Self {
        LibraryWeights {
            per_year: 2.5,
            per_version: 10.0,
            per_cvss: 10.0,
        }
    }
}

/// The lowest score of each grade above F (strictly decreasing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GradeBounds {
    pub a: u32,
    pub b: u32,
    pub c: u32,
    pub d: u32,
}

impl Default for GradeBounds {
    fn default() -> Self {
        GradeBounds {
            a: 90,
            b: 80,
            c: 70,
            d: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
    F,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::F => "F",
        }
    }
}

/// `settings/scores`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ScoreSettings {
    pub overall: OverallMode,
    /// With `custom_code_only`: the languages it applies to (empty: every one); others use `default`.
    pub languages: Vec<String>,
    pub library: LibraryMode,
    pub weights: SeverityWeights,
    pub library_weights: LibraryWeights,
    pub grades: GradeBounds,
}

impl ScoreSettings {
    /// Every rule, each broken one naming its field: weights finite, from 0 to 100; grade bounds from 1 to
    /// 100 and strictly decreasing; languages named once each, not empty, at most 20.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut weight = |field: &str, w: f64| {
            if !w.is_finite() || !(0.0..=WEIGHT_MAX).contains(&w) {
                errors.push(FieldError::new(
                    field,
                    format!("must be a number from 0 to {WEIGHT_MAX}"),
                ));
            }
        };
        let w = &self.weights;
        weight("weights.critical", w.critical);
        weight("weights.high", w.high);
        weight("weights.medium", w.medium);
        weight("weights.low", w.low);
        let l = &self.library_weights;
        weight("library_weights.per_year", l.per_year);
        weight("library_weights.per_version", l.per_version);
        weight("library_weights.per_cvss", l.per_cvss);
        let g = &self.grades;
        let bounds = [
            ("grades.a", g.a),
            ("grades.b", g.b),
            ("grades.c", g.c),
            ("grades.d", g.d),
        ];
        for (field, b) in bounds {
            if !(1..=100).contains(&b) {
                errors.push(FieldError::new(field, "must be from 1 to 100"));
            }
        }
        for pair in bounds.windows(2) {
            let ((upper, u), (lower, l)) = (pair[0], pair[1]);
            if l >= u {
                errors.push(FieldError::new(
                    lower,
                    format!(
                        "must be below {} ({u})",
                        upper.trim_start_matches("grades.").to_uppercase()
                    ),
                ));
            }
        }
        if self.languages.len() > LANGUAGES_MAX {
            errors.push(FieldError::new("languages", format!("at most {LANGUAGES_MAX}")));
        }
        let mut seen = Vec::new();
        for (i, lang) in self.languages.iter().enumerate() {
            let key = lang.trim().to_lowercase();
            if key.is_empty() {
                errors.push(FieldError::new(format!("languages[{i}]"), "must not be empty"));
            } else if seen.contains(&key) {
                errors.push(FieldError::new(
                    format!("languages[{i}]"),
                    format!("{lang} is named twice"),
                ));
            } else {
                seen.push(key);
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// An application's open custom-code vulnerabilities by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct SeverityCounts {
    pub critical: u32,
    pub high: u32,
    pub medium: u32,
    pub low: u32,
    pub note: u32,
}

impl SeverityCounts {
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Critical => self.critical += 1,
            Severity::High => self.high += 1,
            Severity::Medium => self.medium += 1,
            Severity::Low => self.low += 1,
            Severity::Note => self.note += 1,
        }
    }
}

/// What a library's score is made of.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct LibraryFacts {
    /// Years between the release in use and the latest release (0 when it is the latest).
    pub years_behind: f64,
    /// Versions released after the one in use.
    pub versions_behind: u32,
    /// The highest CVSS base score of its CVEs (none: no known CVE).
    pub highest_cvss: Option<f64>,
}

/// The custom-code score, from 0 to 100.
pub fn code_score(counts: &SeverityCounts, w: &SeverityWeights) -> f64 {
    let lost = w.critical * f64::from(counts.critical)
        + w.high * f64::from(counts.high)
        + w.medium * f64::from(counts.medium)
        + w.low * f64::from(counts.low);
    (100.0 - lost).clamp(0.0, 100.0)
}

/// One library's score, from 0 to 100.
pub fn library_score(lib: &LibraryFacts, mode: LibraryMode, w: &LibraryWeights) -> f64 {
    let cvss = lib.highest_cvss.unwrap_or(0.0).clamp(0.0, 10.0);
    let mut lost = w.per_cvss * cvss;
    if mode == LibraryMode::Default {
        lost += w.per_year * lib.years_behind.max(0.0) + w.per_version * f64::from(lib.versions_behind);
    }
    (100.0 - lost).clamp(0.0, 100.0)
}

/// An application's library score: the average of its libraries' (`None` without libraries).
pub fn libraries_score(libs: &[LibraryFacts], mode: LibraryMode, w: &LibraryWeights) -> Option<f64> {
    if libs.is_empty() {
        return None;
    }
    Some(libs.iter().map(|l| library_score(l, mode, w)).sum::<f64>() / libs.len() as f64)
}

/// Rounds half up (the scores are never negative).
pub fn round_half_up(x: f64) -> u32 {
    (x.max(0.0) + 0.5).floor() as u32
}

/// An application's overall score under `settings`: its language decides whether `custom_code_only`
/// applies.
pub fn overall_score(settings: &ScoreSettings, language: &str, code: f64, library: Option<f64>) -> u32 {
    let code_only = settings.overall == OverallMode::CustomCodeOnly
        && (settings.languages.is_empty()
            || settings
                .languages
                .iter()
                .any(|l| l.trim().eq_ignore_ascii_case(language.trim())));
    let raw = match (code_only, library) {
        (false, Some(lib)) => (code + lib) / 2.0,
        _ => code,
    };
    round_half_up(raw).clamp(OVERALL_FLOOR, 100)
}

pub fn grade(score: u32, bounds: &GradeBounds) -> Grade {
    if score >= bounds.a {
        Grade::A
    } else if score >= bounds.b {
        Grade::B
    } else if score >= bounds.c {
        Grade::C
    } else if score >= bounds.d {
        Grade::D
    } else {
        Grade::F
    }
}

/// What an application is scored from.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ScoreInputs {
    pub language: String,
    pub counts: SeverityCounts,
    pub libraries: Vec<LibraryFacts>,
}

/// An application's scores and grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Scored {
    pub code: u32,
    /// Absent without libraries.
    pub library: Option<u32>,
    pub overall: u32,
    pub grade: Grade,
}

/// Scores one application under `settings`.
pub fn score(settings: &ScoreSettings, inputs: &ScoreInputs) -> Scored {
    let code = code_score(&inputs.counts, &settings.weights);
    let library = libraries_score(&inputs.libraries, settings.library, &settings.library_weights);
    let overall = overall_score(settings, &inputs.language, code, library);
    Scored {
        code: round_half_up(code),
        library: library.map(round_half_up),
        overall,
        grade: grade(overall, &settings.grades),
    }
}

/// `POST scores/preview`: every application scored under `settings` (not saved) and under the saved ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PreviewRequest {
    pub settings: ScoreSettings,
}

/// One application in a preview: what it is scored from, its scores now and under the settings given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApplicationScore {
    pub application_id: uuid::Uuid,
    pub name: String,
    pub inputs: ScoreInputs,
    /// Under the saved settings.
    pub now: Scored,
    /// Under the settings of the request.
    pub edited: Scored,
}

impl ApplicationScore {
    pub fn grade_changed(&self) -> bool {
        self.now.grade != self.edited.grade
    }
}

/// The answer to `POST scores/preview`, by application name. The inputs let the console score again as
/// the settings are edited, with the same functions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ScorePreview {
    /// The saved settings' version the `now` column was computed under.
    pub saved_version: i64,
    pub applications: Vec<ApplicationScore>,
}

pub mod endpoints {
    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// Every application's score and grade now and under the given score settings.
        Preview: Post SCORE_PREVIEW, Admin, params (), query (), body PreviewRequest => ScorePreview;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Preview>();
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn counts(critical: u32, high: u32, medium: u32, low: u32, note: u32) -> SeverityCounts {
        SeverityCounts {
            critical,
            high,
            medium,
            low,
            note,
        }
    }

    fn lib(years: f64, versions: u32, cvss: Option<f64>) -> LibraryFacts {
        LibraryFacts {
            years_behind: years,
            versions_behind: versions,
            highest_cvss: cvss,
        }
    }

    /// Worked by hand from SETTINGS.md section 10.
    #[test]
    fn worked_examples() {
        let s = ScoreSettings::default();
        // 100 − 20 − 2·10 − 5 − 3·1 = 52; notes do not count.
        assert_eq!(code_score(&counts(1, 2, 1, 3, 9), &s.weights), 52.0);
        // 6 criticals: 100 − 120 → 0, not negative.
        assert_eq!(code_score(&counts(6, 0, 0, 0, 0), &s.weights), 0.0);
        // 100 − 2.5·2 − 10·1 − 10·5.3 = 32.
        assert!((library_score(&lib(2.0, 1, Some(5.3)), LibraryMode::Default, &s.library_weights) - 32.0).abs() < 1e-9);
        // Vulnerabilities only: 100 − 53 = 47.
        assert!(
            (library_score(
                &lib(2.0, 1, Some(5.3)),
                LibraryMode::VulnerabilitiesOnly,
                &s.library_weights
            ) - 47.0)
                .abs()
                < 1e-9
        );
        // Code 52, libraries (32 + 100) / 2 = 66: overall (52 + 66) / 2 = 59, an F (D starts at 60).
        let inputs = ScoreInputs {
            language: "Java".into(),
            counts: counts(1, 2, 1, 3, 9),
            libraries: vec![lib(2.0, 1, Some(5.3)), lib(0.0, 0, None)],
        };
        let scored = score(&s, &inputs);
        assert_eq!(
            (scored.code, scored.library, scored.overall, scored.grade),
            (52, Some(66), 59, Grade::F)
        );
        // 59.5 rounds half up to 60: a D.
        assert_eq!(overall_score(&s, "Java", 53.0, Some(66.0)), 60);
        assert_eq!(grade(60, &s.grades), Grade::D);
        // Never below 35: code 0 and library 0 give 35, an F.
        assert_eq!(overall_score(&s, "Java", 0.0, Some(0.0)), 35);
        // Custom code only, for Java: the library is left out; for Python the average still counts.
        let only = ScoreSettings {
            overall: OverallMode::CustomCodeOnly,
            languages: vec!["java".into()],
            ..ScoreSettings::default()
        };
        assert_eq!(score(&only, &inputs).overall, 52);
        let python = ScoreInputs {
            language: "Python".into(),
            ..inputs.clone()
        };
        assert_eq!(score(&only, &python).overall, 59);
        // No libraries: the custom-code score alone.
        assert_eq!(overall_score(&s, "Go", 84.0, None), 84);
        assert_eq!(grade(84, &s.grades), Grade::B);
    }

    #[test]
    fn grades_follow_their_bounds() {
        let b = GradeBounds::default();
        for (score, g) in [
            (100, Grade::A),
            (90, Grade::A),
            (89, Grade::B),
            (80, Grade::B),
            (79, Grade::C),
            (70, Grade::C),
            (69, Grade::D),
            (60, Grade::D),
            (59, Grade::F),
            (35, Grade::F),
        ] {
            assert_eq!(grade(score, &b), g, "{score}");
        }
    }

    #[test]
    fn validation_names_each_field() {
        assert_eq!(ScoreSettings::default().validate(), Ok(()));
        let bad = ScoreSettings {
            weights: SeverityWeights {
                critical: -1.0,
                high: f64::NAN,
                ..SeverityWeights::default()
            },
            library_weights: LibraryWeights {
                per_year: 101.0,
                ..LibraryWeights::default()
            },
            grades: GradeBounds {
                a: 90,
                b: 90,
                c: 70,
                d: 0,
            },
            languages: vec!["Java".into(), " java ".into(), "".into()],
            ..ScoreSettings::default()
        };
        let fields: Vec<String> = bad.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "weights.critical",
                "weights.high",
                "library_weights.per_year",
                "grades.d",
                "grades.b",
                "languages[1]",
                "languages[2]"
            ]
        );
        let e = GradeBounds {
            a: 90,
            b: 95,
            c: 70,
            d: 60,
        };
        let s = ScoreSettings {
            grades: e,
            ..ScoreSettings::default()
        };
        assert_eq!(s.validate().unwrap_err()[0].message, "must be below A (90)");
    }

    fn any_counts() -> impl Strategy<Value = SeverityCounts> {
        (0u32..20, 0u32..20, 0u32..20, 0u32..50, 0u32..50).prop_map(|(c, h, m, l, n)| counts(c, h, m, l, n))
    }

    fn any_lib() -> impl Strategy<Value = LibraryFacts> {
        (0.0f64..15.0, 0u32..30, proptest::option::of(0.0f64..=10.0)).prop_map(|(y, v, c)| lib(y, v, c))
    }

    proptest! {
        #[test]
        fn scores_are_bounded_and_the_grade_matches(c in any_counts(), libs in proptest::collection::vec(any_lib(), 0..6)) {
            let s = ScoreSettings::default();
            let scored = score(&s, &ScoreInputs { language: "Java".into(), counts: c, libraries: libs });
            prop_assert!(scored.code <= 100);
            prop_assert!(scored.library.is_none_or(|l| l <= 100));
            prop_assert!((OVERALL_FLOOR..=100).contains(&scored.overall));
            prop_assert_eq!(scored.grade, grade(scored.overall, &s.grades));
        }

        #[test]
        fn one_more_vulnerability_never_raises_a_score(c in any_counts(), l in any_lib(), which in 0usize..5) {
            let s = ScoreSettings::default();
            let mut more = c;
            more.add(Severity::ALL[which]);
            prop_assert!(code_score(&more, &s.weights) <= code_score(&c, &s.weights));
            let mut older = l;
            older.versions_behind += 1;
            older.years_behind += 0.5;
            for mode in [LibraryMode::Default, LibraryMode::VulnerabilitiesOnly] {
                prop_assert!(library_score(&older, mode, &s.library_weights) <= library_score(&l, mode, &s.library_weights));
            }
            let worse = LibraryFacts { highest_cvss: Some(l.highest_cvss.unwrap_or(0.0).max(9.5)), ..l };
            prop_assert!(library_score(&worse, LibraryMode::Default, &s.library_weights) <= library_score(&l, LibraryMode::Default, &s.library_weights));
        }

        #[test]
        fn rounding_is_half_up(whole in 0u32..100) {
            let w = f64::from(whole);
            prop_assert_eq!(round_half_up(w + 0.5), whole + 1);
            prop_assert_eq!(round_half_up(w + 0.49), whole);
        }
    }
}
