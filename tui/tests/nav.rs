//! Finding one's way: `:` with completion (sections included), the go key, the list of areas, the header,
//! and the message of a terminal too small.

mod common;

use common::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;
use orgdeck::{
    App,
    api::SecurityArea,
    nav::{Area, Group},
    tabs::AREAS,
    theme::ThemeKind,
};
use ratatui::style::Modifier;

/// The logged-in app with the six areas still to come added to the registry, one line each.
#[rustfmt::skip]
fn fourteen_areas() -> App {
    let later = [
        Area { id: "servers", title: "Servers", group: Group::Servers, key: 'v', aliases: &[], sections: &[], keys: &[], make: || Box::new(BlankTab("Servers")) },
        Area { id: "reports", title: "Reports", group: Group::ReportsAndScores, key: 'p', aliases: &[], sections: &[], keys: &[], make: || Box::new(BlankTab("Reports")) },
        Area { id: "scores", title: "Scores", group: Group::ReportsAndScores, key: 'c', aliases: &[], sections: &[], keys: &[], make: || Box::new(BlankTab("Scores")) },
    ];
    let mut app = logged_in();
    let mut areas = AREAS.to_vec();
    // Those not built yet stand in as blank tabs.
    areas.extend(later.into_iter().filter(|l| AREAS.iter().all(|a| a.id != l.id)));
    app.areas = Box::leak(areas.into_boxed_slice());
    for a in &app.areas[app.tabs.len()..] {
        app.tabs.push((a.make)());
    }
    assert_eq!(app.tabs.len(), 14);
    app
}

fn jump(app: &mut App, name: &str) {
    send(app, [ch(':')]);
    type_text(app, name);
    send(app, [key(KeyCode::Enter)]);
}

fn header(app: &App) -> String {
    screen(app, 80, 24).lines().next().unwrap().to_owned()
}

#[test]
fn colon_ip_opens_security_on_ip_restrictions_and_the_header_says_so() {
    let mut app = logged_in();
    jump(&mut app, "ip");
    assert!(app.jump.is_none());
    assert_eq!(app.active_tab().title(), "Security");
    assert_eq!(security(&app).section, SecurityArea::IpRestrictions);
    assert!(header(&app).contains("Security  › IP restrictions"), "{}", header(&app));
}

#[test]
fn short_names_and_aliases_reach_every_section_and_area() {
    let cases = [
        ("password", "Security", Some(SecurityArea::PasswordPolicy)),
        ("2fa", "Security", Some(SecurityArea::TwoStep)),
        ("two-step", "Security", Some(SecurityArea::TwoStep)),
        ("sessions", "Security", Some(SecurityArea::Sessions)),
        ("ip", "Security", Some(SecurityArea::IpRestrictions)),
        ("users", "Users", None),
        ("audit", "Audit", None),
        ("groups", "Groups", None),
        ("api", "API keys", None),
        ("general", "General", None),
        ("SECURITY", "Security", None),
    ];
    for (name, title, section) in cases {
        let mut app = logged_in();
        jump(&mut app, name);
        assert_eq!(app.active_tab().title(), title, ":{name}");
        if let Some(section) = section {
            assert_eq!(security(&app).section, section, ":{name}");
        }
    }
}

#[test]
fn the_prompt_lists_matches_prefix_first_and_tab_cycles_through_them() {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    assert_eq!(
        app.jump_list().len(),
        app.nav_entries().len(),
        "nothing typed: every place"
    );
    type_text(&mut app, "se");
    let crumbs: Vec<String> = app.jump_list().into_iter().map(|e| e.crumb).collect();
    assert_eq!(
        crumbs,
        [
            "Security",
            "Security › Sessions",
            "Servers",
            "Servers › Server list",
            "Servers › Agent defaults",
            "Reports",
            "Scores",
            "General",
            "Users",
            "Servers › Applications"
        ],
        "prefixes before substrings (Reports and Scores: their settings; General: licenses; Servers › Applications: assess licenses)"
    );
    let s = screen(&app, 80, 24);
    assert!(s.contains("> Security "), "{s}");
    assert!(
        s.lines()
            .any(|l| l.contains("Security › Sessions") && l.contains(":session ")),
        "{s}"
    );
    send(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(app.jump.as_ref().unwrap().value(), "Security");
    send(&mut app, [key(KeyCode::Tab)]);
    assert_eq!(
        app.jump.as_ref().unwrap().value(),
        "Sessions",
        "tab again: the next match"
    );
    send(&mut app, [key(KeyCode::BackTab), key(KeyCode::Tab)]);
    assert_eq!(app.jump.as_ref().unwrap().value(), "Sessions");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Security");
    assert_eq!(security(&app).section, SecurityArea::Sessions);
    // ↓ chooses without typing.
    send(&mut app, [ch(':'), key(KeyCode::Down), key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Users");
}

#[test]
fn an_unknown_name_says_so_and_keeps_what_was_typed() {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "zebra");
    assert!(screen(&app, 80, 24).contains("no area or section by that name"));
    send(&mut app, [key(KeyCode::Enter)]);
    let prompt = app.jump.as_ref().expect("the prompt stays open");
    assert_eq!(prompt.value(), "zebra");
    assert!(screen(&app, 80, 24).contains("no area or section is called “zebra”"));
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(app.jump.is_none());
    assert_eq!(app.active, 0, "esc goes nowhere");
    // Enter with nothing typed just closes.
    send(&mut app, [ch(':'), key(KeyCode::Enter)]);
    assert!(app.jump.is_none());
    assert_eq!(app.active, 0);
}

#[test]
fn every_one_of_fourteen_areas_is_two_keys_away() {
    let mut app = fourteen_areas();
    for (i, area) in app.areas.iter().enumerate() {
        // From another area: the go key, then the area's key.
        app.active = (i + 1) % 14;
        send(&mut app, [ch('\''), ch(area.key)]);
        assert_eq!(app.active, i, "' {}", area.key);
        assert!(!app.go_pending);
        assert!(header(&app).contains(area.title), "{}", header(&app));
        if i < 9 {
            app.active = (i + 1) % 14;
            send(&mut app, [ch(char::from_digit(i as u32 + 1, 10).unwrap())]);
            assert_eq!(app.active, i, "digit {}", i + 1);
        }
        app.active = (i + 1) % 14;
        jump(&mut app, area.id);
        assert_eq!(app.active, i, ":{}", area.id);
    }
    // A key no area has: nothing moves, a toast says so.
    app.active = 3;
    send(&mut app, [ch('\''), ch('z')]);
    assert_eq!(app.active, 3);
    assert!(app.toasts.iter().any(|t| t.text.contains("No area has the key z")));
    send(&mut app, [ch('\''), key(KeyCode::Esc)]);
    assert!(!app.go_pending);
    assert_eq!(app.active, 3);
}

#[test]
fn fourteen_areas_fit_the_list_at_80x24_grouped() {
    let mut app = fourteen_areas();
    send(&mut app, [ch('b')]);
    assert!(app.sidebar);
    let s = screen(&app, 80, 24);
    for g in [
        "Organization",
        "Users & access",
        "Security",
        "Integrations & notifications",
        "Servers",
        "Reports & scores",
    ] {
        assert!(s.contains(g), "{g}\n{s}");
    }
    for a in app.areas {
        assert!(s.contains(&format!("{} {}", a.key, a.title)), "{}\n{s}", a.title);
    }
    assert_snapshot!("fourteen_areas_listed_80x24", s);
}

#[test]
fn the_list_of_areas_toggles_and_marks_the_current_area_without_color() {
    let mut app = logged_in_with(ThemeKind::Mono, false);
    send(&mut app, [ch('4')]);
    let hidden = screen(&app, 80, 24);
    assert!(!hidden.contains("Users & access"), "{hidden}");
    send(&mut app, [ch('b')]);
    assert!(app.sidebar);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    let buffer = terminal.backend().buffer();
    let row = (0..24)
        .find(|y| {
            (0..20)
                .map(|x| buffer[(x, *y)].symbol())
                .collect::<String>()
                .contains("> s Security")
        })
        .expect("the current area marked >");
    assert!(
        buffer[(3, row)].modifier.contains(Modifier::REVERSED),
        "and in reverse video"
    );
    for y in 0..24 {
        for x in 0..80 {
            assert_eq!(buffer[(x, y)].fg, ratatui::style::Color::Reset, "no color at {x},{y}");
        }
    }
    assert_snapshot!("areas_listed_over_security_80x24", screen(&app, 80, 24));
    send(&mut app, [ch('b')]);
    assert!(!app.sidebar);
    let collapsed = screen(&app, 80, 24);
    assert!(!collapsed.contains("Users & access"), "{collapsed}");
    assert!(
        header(&app).contains("Security  › Password policy"),
        "the header still says where"
    );
}

#[test]
fn the_jump_prompt_80x24() {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "s");
    assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn below_80x24_the_console_says_the_terminal_is_too_small_and_resizing_back_restores() {
    let mut app = logged_in();
    for (w, h) in [(79, 24), (80, 23), (40, 10)] {
        app.update(orgdeck::Msg::Resize(w, h));
        let s = screen(&app, w, h);
        assert!(
            s.contains(&format!("this is {w}x{h}")) || s.replace(['"', '\n'], "").contains(&format!("{w}x{h}")),
            "{s}"
        );
        assert!(s.contains("Terminal too small"), "{s}");
        assert!(!s.contains("Acme"), "no cut content: {s}");
    }
    assert_snapshot!("too_small_60x20", screen(&app, 60, 20));
    // Keys wait while nothing can be seen: no unseen quit, no unseen dialog.
    let before = app.active;
    let cmds = send(&mut app, [ch('q'), key(KeyCode::Tab), ch(':')]);
    assert!(cmds.is_empty() && !app.should_quit() && app.dialog.is_none() && app.jump.is_none());
    assert_eq!(app.active, before);
    app.update(orgdeck::Msg::Resize(80, 24));
    let s = screen(&app, 80, 24);
    assert!(!s.contains("too small") && s.contains("Acme Security"), "{s}");
    // The login screen too.
    let login = App::new(init(ThemeKind::Color256, false, false));
    assert!(screen(&login, 70, 24).contains("Terminal too small"));
}

#[test]
fn over_the_tab_the_list_takes_the_keys_until_an_area_is_chosen() {
    let mut app = logged_in();
    send(&mut app, [ch('b')]);
    assert!(app.sidebar_is_drawer(), "at 80 columns the list is drawn over the tab");
    assert!(screen(&app, 80, 24).contains("↓ choose  enter go  esc close"));
    // In list order: General, then Users & access (Users, Groups, API keys).
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Down), key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Groups");
    assert!(!app.sidebar, "choosing closes it");
    send(&mut app, [ch('b'), ch('a')]);
    assert_eq!(app.active_tab().title(), "Audit", "an area's key opens it");
    send(&mut app, [ch('b'), ch('d'), key(KeyCode::Esc)]);
    assert!(!app.sidebar);
    assert_eq!(
        app.active_tab().title(),
        "Audit",
        "other keys do nothing to the tab underneath"
    );
    assert!(app.dialog.is_none());
}

#[test]
fn with_room_the_list_sits_beside_the_tab_and_the_tab_keeps_the_keys() {
    let mut app = logged_in();
    app.update(orgdeck::Msg::Resize(120, 40));
    send(&mut app, [ch('b')]);
    assert!(app.sidebar && !app.sidebar_is_drawer());
    let s = screen(&app, 120, 40);
    assert!(s.contains("Users & access") && s.contains("[x] production"), "{s}");
    send(&mut app, [ch('2')]);
    assert_eq!(app.active_tab().title(), "Users");
    assert!(app.sidebar, "it stays while you work");
    // Narrower, it is drawn over the tab, from the current area.
    app.update(orgdeck::Msg::Resize(80, 24));
    assert!(app.sidebar_is_drawer());
    assert_eq!(app.sidebar_cursor, app.active);
    app.update(orgdeck::Msg::Resize(120, 40));
    assert_snapshot!("areas_beside_users_120x40", screen(&app, 120, 40));
}

#[test]
fn the_prompt_marks_the_letters_typed_in_bold_underline_without_color() {
    let mut app = logged_in_with(ThemeKind::Mono, false);
    send(&mut app, [ch(':')]);
    type_text(&mut app, "iprest");
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| app.view(f)).unwrap();
    let buffer = terminal.backend().buffer();
    let crumb = "> Security › IP restrictions";
    let (x0, y) = (0..24)
        .find_map(|y| {
            let row: Vec<&str> = (0..80).map(|x| buffer[(x, y)].symbol()).collect();
            let at = row.windows(crumb.chars().count()).position(|w| w.concat() == crumb)?;
            Some((at as u16, y))
        })
        .expect("IP restrictions listed, highlighted");
    let title_at = x0 + "> Security › ".chars().count() as u16;
    let marked: String = (0.."IP restrictions".len() as u16)
        .map(|dx| &buffer[(title_at + dx, y)])
        .filter(|cell| cell.modifier.contains(Modifier::BOLD | Modifier::UNDERLINED))
        .map(|cell| cell.symbol())
        .collect();
    assert_eq!(marked, "IPrest", "scattered letters: i, p, then r-e-s-t unbroken");
    assert!(
        buffer[(x0, y)].modifier.contains(Modifier::REVERSED),
        "the highlighted match stays reversed"
    );
}
