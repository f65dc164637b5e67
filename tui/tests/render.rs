//! What the console looks like, at 80x24 (the smallest supported) and 120x40, as insta snapshots.

mod common;

use common::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use orgdeck::{App, theme::ThemeKind};
use ratatui::{
    Terminal,
    backend::TestBackend,
    style::{Color, Modifier},
};

fn draw(app: &App, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    terminal
}

fn login_screen() -> App {
    let mut app = App::new(init(ThemeKind::Color256, false, false));
    app.start();
    type_text(&mut app, "hunter2");
    app
}

#[test]
fn login_screen_80x24() {
    assert_snapshot!(screen(&login_screen(), 80, 24));
}

#[test]
fn login_screen_120x40() {
    assert_snapshot!(screen(&login_screen(), 120, 40));
}

#[test]
fn the_password_is_never_drawn() {
    assert!(!screen(&login_screen(), 120, 40).contains("hunter2"));
}

#[test]
fn general_tab_80x24() {
    assert_snapshot!(screen(&logged_in(), 80, 24));
}

#[test]
fn general_tab_120x40() {
    assert_snapshot!(screen(&logged_in(), 120, 40));
}

#[test]
fn general_tab_with_an_inline_error_80x24() {
    let mut app = logged_in();
    send(
        &mut app,
        [
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Down),
            key(KeyCode::Enter),
        ],
    );
    type_text(&mut app, "x");
    send(&mut app, [key(KeyCode::Enter)]);
    let tab = app.tabs.len();
    assert_eq!(tab, 1);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let mut app = logged_in();
    send(&mut app, [ch('?')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn help_overlay_120x40() {
    let mut app = logged_in();
    send(&mut app, [ch('?')]);
    assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn quit_confirmation_80x24() {
    let mut app = logged_in();
    send(&mut app, [key(KeyCode::Enter)]);
    type_text(&mut app, " Labs");
    send(&mut app, [key(KeyCode::Enter), ch('q')]);
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn monochrome_general_tab_80x24() {
    let app = logged_in_with(ThemeKind::Mono, false);
    let terminal = draw(&app, 80, 24);
    assert_snapshot!(terminal.backend().to_string());
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert!(
            cell.fg == Color::Reset && cell.bg == Color::Reset,
            "NO_COLOR draws no color: {cell:?}"
        );
    }
    // The focused field is shown by a marker and reverse video, not by color.
    let row = (0..24)
        .find(|y| buffer.cell((2, *y)).unwrap().symbol() == ">")
        .expect("a focus marker");
    assert!(buffer.cell((4, row)).unwrap().modifier.contains(Modifier::REVERSED));
}
