//! The form's keys, values and errors.

use super::*;
use crossterm::event::KeyModifiers;

/// The form these tests build.
enum Demo {}

const NAME: Text<Demo> = Text::new("name");
const DAYS: Number<Demo> = Number::new("days");
const ON: Toggle<Demo> = Toggle::new("on");
const FORMAT: Choice<Demo> = Choice::new("fmt");
const ENVS: Multi<Demo> = Multi::new("envs");
/// Declared but left out of the specs.
const MISSING: Toggle<Demo> = Toggle::new("missing");
/// The wire name of a field of another kind.
const DAYS_AS_TEXT: Text<Demo> = Text::new("days");

fn form() -> Form<Demo> {
    Form::new(vec![
        FieldSpec::text(NAME, "Name", Some(5)),
        FieldSpec::number(DAYS, "Days", 0, 10),
        FieldSpec::toggle(ON, "On"),
        FieldSpec::choice(FORMAT, "Format", vec!["a".into(), "b".into()]),
        FieldSpec::multi(ENVS, "Envs", vec!["x".into(), "y".into()]),
    ])
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn typing_edits_and_cancel_restores() {
    let mut f = form();
    f.set_text(NAME, "ab");
    assert_eq!(f.handle_action(Action::Activate), FormEvent::EditStarted);
    assert_eq!(f.handle_edit_key(&key('c'), false, false), FormEvent::Changed("name"));
    assert_eq!(f.text(NAME), "abc", "what is typed counts before commit");
    f.handle_edit_key(&key('x'), false, true);
    assert_eq!(f.text(NAME), "ab");
    f.handle_action(Action::Activate);
    f.handle_edit_key(&key('d'), false, false);
    f.handle_edit_key(&key('\n'), true, false);
    assert_eq!(f.text(NAME), "abd");
    assert!(!f.is_editing());
}

#[test]
fn numbers_refuse_text_and_out_of_range_values() {
    let mut f = form();
    f.focus(DAYS);
    f.handle_action(Action::Activate);
    f.handle_edit_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE), false, false);
    f.handle_edit_key(&key('4'), false, false);
    f.handle_edit_key(&key('2'), false, false);
    assert_eq!(f.commit_edit(), FormEvent::Ignored);
    assert!(f.error(DAYS).unwrap().contains("0 to 10"));
    assert!(f.is_editing());
}

#[test]
fn toggles_choices_and_multi_choices_change_with_keys() {
    let mut f = form();
    f.focus(ON);
    f.handle_action(Action::Activate);
    assert!(f.bool(ON));
    f.handle_action(Action::Down);
    f.handle_action(Action::Left);
    assert_eq!(f.choice(FORMAT), 1);
    f.handle_action(Action::Down);
    f.handle_action(Action::Right);
    f.handle_action(Action::Activate);
    assert_eq!(f.multi(ENVS), vec![false, true]);
}

#[test]
fn long_errors_wrap_at_words() {
    assert_eq!(wrap("unknown time zone here", 10), vec!["unknown", "time zone", "here"]);
    assert_eq!(wrap("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
}

#[test]
fn errors_on_nested_fields_show_under_their_field() {
    let mut f = form();
    f.set_errors(vec![FieldError::new("envs[1]", "bad")]);
    assert_eq!(f.error(ENVS), Some("bad"));
}

#[test]
fn an_error_focuses_the_field_it_shows_under_and_only_a_field() {
    let mut f = form();
    assert!(f.focus_named("envs[1]"));
    assert_eq!(f.focused_name(), "envs");
    assert!(!f.focus_named("rules"), "no field of that name");
    assert_eq!(f.focused_name(), "envs");
}

#[test]
fn disabled_fields_keep_their_value_until_enabled() {
    let mut f = form();
    f.focus(DAYS);
    f.set_disabled(DAYS, true);
    assert_eq!(f.handle_action(Action::Right), FormEvent::Ignored);
    assert_eq!(f.handle_action(Action::Activate), FormEvent::Ignored);
    assert_eq!(f.number(DAYS), 0);
    f.set_disabled(DAYS, false);
    assert_eq!(f.handle_action(Action::Right), FormEvent::Changed("days"));
    assert_eq!(f.number(DAYS), 1);
}

#[test]
fn a_field_is_found_by_its_name_and_its_kind() {
    let f = form();
    assert!(f.has(DAYS));
    assert!(!f.has(DAYS_AS_TEXT), "a text handle never reads a number field");
    assert!(!f.has(MISSING));
}

#[test]
#[should_panic(expected = "has no toggle field missing: add it to the form's specs")]
fn a_handle_left_out_of_the_specs_panics_naming_the_field() {
    form().bool(MISSING);
}

#[test]
#[should_panic(expected = "the form orgdeck::widgets::form::tests::Demo has no")]
fn a_handle_left_out_of_the_specs_panics_naming_the_form() {
    let mut f = form();
    f.focus(MISSING);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "has two fields named days")]
fn a_form_with_two_fields_of_one_name_is_refused() {
    Form::new(vec![
        FieldSpec::number(DAYS, "Days", 0, 10),
        FieldSpec::text(DAYS_AS_TEXT, "Days again", None),
    ]);
}
