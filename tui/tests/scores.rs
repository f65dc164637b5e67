//! The Scores area driven by messages: every application scored now and under the settings as edited,
//! rescored on each keystroke with no request, changed grades marked (without colour too) and listed first,
//! bad edits named by field while the preview keeps the last settings that passed, and a save.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, tabs::ScoresTab};
use orgdeck_shared::{
    Versioned,
    scores::{
        ApplicationScore, LibraryFacts, ScoreInputs, ScorePreview, ScoreSettings, SeverityCounts, endpoints as ep,
        score,
    },
    settings::endpoints::{Get, Put},
};
use uuid::Uuid;

fn app_inputs(critical: u32, high: u32, libraries: Vec<LibraryFacts>) -> ScoreInputs {
    ScoreInputs {
        language: "java".into(),
        counts: SeverityCounts {
            critical,
            high,
            ..SeverityCounts::default()
        },
        libraries,
    }
}

fn preview() -> ScorePreview {
    let saved = ScoreSettings::default();
    let row = |n: u128, name: &str, inputs: ScoreInputs| ApplicationScore {
        application_id: Uuid::from_u128(n),
        name: name.into(),
        now: score(&saved, &inputs),
        edited: score(&saved, &inputs),
        inputs,
    };
    ScorePreview {
        saved_version: 1,
        applications: vec![
            // 100 - 20 - 10 = 70, no library: a C, and an F with a critical weight of 40 (50).
            row(1, "ledger", app_inputs(1, 1, vec![])),
            // No finding, one current library: an A whatever the weights.
            row(2, "shop", app_inputs(0, 0, vec![LibraryFacts::default()])),
        ],
    }
}

fn scores_app() -> App {
    let mut app = logged_in();
    send(&mut app, [ch('\''), ch('c')]);
    assert_eq!(app.active_tab().title(), "Scores");
    send(&mut app, [ch('r')]);
    let msg = answer::<Get<ScoreSettings>>(
        &app,
        Ok(Versioned {
            version: 3,
            value: ScoreSettings::default(),
        }),
    );
    app.update(msg);
    let msg = answer::<ep::Preview>(&app, Ok(preview()));
    app.update(msg);
    app
}

fn tab(app: &App) -> &ScoresTab {
    app.tab::<ScoresTab>().expect("a Scores tab")
}

fn row(app: &App, name: &str) -> String {
    screen(app, 80, 24)
        .lines()
        .find(|l| l.contains(&format!(" {name} ")))
        .unwrap_or_else(|| panic!("no row {name}"))
        .to_owned()
}

/// Focus on the critical weight (fourth field), its text cleared, `text` typed.
fn type_critical(app: &mut App, text: &str) -> Vec<orgdeck::Command> {
    send(app, [ch('j'), ch('j'), ch('j'), key(KeyCode::Enter), ctrl('u')]);
    type_text(app, text)
}

#[test]
fn every_application_is_scored_now_and_as_edited() {
    let app = scores_app();
    let ledger = row(&app, "ledger");
    assert!(ledger.contains("70 C      70 C"), "{ledger}");
    assert!(screen(&app, 80, 24).contains("no grade changes"));
    insta::assert_snapshot!("scores_80x24", screen(&app, 80, 24));
}

#[test]
fn an_edited_weight_rescores_at_each_keystroke_without_a_request_and_marks_the_change() {
    let mut app = scores_app();
    let cmds = type_critical(&mut app, "40");
    assert!(requests(&cmds).is_empty(), "scored here: {:?}", endpoints_of(&cmds));
    let ledger = row(&app, "ledger");
    assert!(
        ledger.contains("* ledger") && ledger.contains("70 C      50 F"),
        "{ledger}"
    );
    let s = screen(&app, 80, 24);
    assert!(s.contains("Preview: 1 grade changes"), "{s}");
    // The changed row comes first.
    let first = tab(&app).rows()[0].name.clone();
    assert_eq!(first, "ledger");
    assert!(!row(&app, "shop").contains('*'));
}

#[test]
fn a_bad_weight_is_named_and_the_preview_keeps_the_last_settings_that_passed() {
    let mut app = scores_app();
    type_critical(&mut app, "40");
    type_text(&mut app, "x");
    let s = screen(&app, 80, 24);
    assert!(s.contains("must be a number from 0 to 100"), "{s}");
    assert!(s.contains("the last settings that passed"), "{s}");
    assert!(row(&app, "ledger").contains("50 F"), "40 still previewed");
    // Saving is refused with the field named.
    let cmds = send(&mut app, [ctrl('s')]);
    assert!(!sends::<Put<ScoreSettings>>(&cmds));
}

#[test]
fn bounds_out_of_order_are_refused_inline() {
    let mut app = scores_app();
    // "B from" is the twelfth field: right raises it by one; at 90 it equals A.
    for _ in 0..11 {
        send(&mut app, [ch('j')]);
    }
    for _ in 0..10 {
        send(&mut app, [ch('l')]);
    }
    let s = screen(&app, 80, 24);
    assert!(s.contains("must be below A (90)"), "{s}");
}

#[test]
fn a_save_sends_the_edits_and_now_follows() {
    let mut app = scores_app();
    type_critical(&mut app, "40");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('s')]);
    let put = call_of::<Put<ScoreSettings>>(&cmds);
    assert_eq!(put.if_match, Some(3));
    let sent: ScoreSettings = put.body_as().unwrap();
    assert_eq!(sent.weights.critical, 40.0);
    app.update(reply::<Put<ScoreSettings>>(
        put,
        Ok(Versioned {
            version: 4,
            value: sent,
        }),
    ));
    let ledger = row(&app, "ledger");
    assert!(ledger.contains("50 F      50 F"), "{ledger}");
    assert!(screen(&app, 80, 24).contains("no grade changes"));
}
