//! The form's keys, values and errors.

use super::*;
use crossterm::event::KeyModifiers;

fn form() -> Form {
    Form::new(vec![
        FieldSpec::text("name", "Name", Some(5)),
        FieldSpec::number("days", "Days", 0, 10),
        FieldSpec::toggle("on", "On"),
        FieldSpec::choice("fmt", "Format", vec!["a".into(), "b".into()]),
        FieldSpec::multi("envs", "Envs", vec!["x".into(), "y".into()]),
    ])
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn typing_edits_and_cancel_restores() {
    let mut f = form();
    f.set("name", FieldValue::Text("ab".into()));
    assert_eq!(f.handle_action(Action::Activate), FormEvent::EditStarted);
    assert_eq!(f.handle_edit_key(&key('c'), false, false), FormEvent::Changed("name"));
    assert_eq!(f.text("name"), "abc", "what is typed counts before commit");
    f.handle_edit_key(&key('x'), false, true);
    assert_eq!(f.text("name"), "ab");
    f.handle_action(Action::Activate);
    f.handle_edit_key(&key('d'), false, false);
    f.handle_edit_key(&key('\n'), true, false);
    assert_eq!(f.text("name"), "abd");
    assert!(!f.is_editing());
}

#[test]
fn numbers_refuse_text_and_out_of_range_values() {
    let mut f = form();
    f.focus("days");
    f.handle_action(Action::Activate);
    f.handle_edit_key(&KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE), false, false);
    f.handle_edit_key(&key('4'), false, false);
    f.handle_edit_key(&key('2'), false, false);
    assert_eq!(f.commit_edit(), FormEvent::Ignored);
    assert!(f.error("days").unwrap().contains("0 to 10"));
    assert!(f.is_editing());
}

#[test]
fn toggles_choices_and_multi_choices_change_with_keys() {
    let mut f = form();
    f.focus("on");
    f.handle_action(Action::Activate);
    assert!(f.bool("on"));
    f.handle_action(Action::Down);
    f.handle_action(Action::Left);
    assert_eq!(f.choice("fmt"), 1);
    f.handle_action(Action::Down);
    f.handle_action(Action::Right);
    f.handle_action(Action::Activate);
    assert_eq!(f.multi("envs"), vec![false, true]);
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
    assert_eq!(f.error("envs"), Some("bad"));
}

#[test]
fn disabled_fields_keep_their_value_until_enabled() {
    let mut f = form();
    f.focus("days");
    f.set_disabled("days", true);
    assert_eq!(f.handle_action(Action::Right), FormEvent::Ignored);
    assert_eq!(f.handle_action(Action::Activate), FormEvent::Ignored);
    assert_eq!(f.number("days"), 0);
    f.set_disabled("days", false);
    assert_eq!(f.handle_action(Action::Right), FormEvent::Changed("days"));
    assert_eq!(f.number("days"), 1);
}
