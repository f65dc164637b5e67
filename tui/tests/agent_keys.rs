//! The Agent keys tab driven by messages: the organization key and named keys listed, a key made with a
//! name and an environment and shown once, a rotation asked for its grace period and confirmed, a
//! revocation confirmed, the organization key never revoked, and a refusal said plainly.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{App, Command, tabs::AgentsTab};
use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    agents::{AgentKeyInfo, CreateAgentKey, NewAgentKey, NewOrgKey, OrgKeyInfo, endpoints as ep},
    api_keys::RotateApiKey,
    auth::Secret,
    general::Environment,
};
use uuid::Uuid;

const NEW_KEY: &str = "od_AgentKeyShownOnce0123456789abcdefXYZ";

fn key_info(id: u128, name: &str, environment: Option<Environment>) -> AgentKeyInfo {
    AgentKeyInfo {
        id: Uuid::from_u128(id),
        name: name.into(),
        environment,
        prefix: format!("od_{name:.6}"),
        created_at: jiff::Timestamp::UNIX_EPOCH,
        rotated_at: jiff::Timestamp::UNIX_EPOCH,
        last_used_at: None,
        previous_valid_until: None,
    }
}

fn org_key(issued: bool) -> OrgKeyInfo {
    OrgKeyInfo {
        prefix: "od_OrgKey".into(),
        issued,
        created_at: jiff::Timestamp::UNIX_EPOCH,
        rotated_at: jiff::Timestamp::UNIX_EPOCH,
        last_used_at: None,
        previous_valid_until: None,
    }
}

fn agents_app(items: Vec<AgentKeyInfo>) -> App {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "agent keys");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(app.active_tab().title(), "Agent keys");
    let cmds = send(&mut app, [ch('r')]);
    app.update(reply::<ep::ListKeys>(
        call_of::<ep::ListKeys>(&cmds),
        Ok(Page {
            items,
            next_cursor: None,
        }),
    ));
    app.update(reply::<ep::GetOrgKey>(
        call_of::<ep::GetOrgKey>(&cmds),
        Ok(org_key(false)),
    ));
    app
}

fn tab(app: &App) -> &AgentsTab {
    app.tab::<AgentsTab>().expect("an Agent keys tab")
}

fn text(app: &App) -> String {
    screen(app, 80, 24)
}

#[test]
fn the_organization_key_comes_first_and_says_it_is_not_issued_yet() {
    let app = agents_app(vec![key_info(1, "shop-prod", Some(Environment::Production))]);
    let s = text(&app);
    assert!(s.contains("Organization key"), "{s}");
    assert!(s.contains("not issued yet"), "{s}");
    assert!(s.contains("shop-prod"), "{s}");
    assert!(s.contains("production"), "{s}");
}

#[test]
fn a_new_key_takes_a_name_then_an_environment_and_is_shown_once_with_copy() {
    let mut app = agents_app(Vec::new());
    send(&mut app, [ch('a')]);
    assert!(app.active_tab().captures_input());
    type_text(&mut app, "shop-qa");
    send(&mut app, [key(KeyCode::Enter)]);
    // A wrong environment is refused in the prompt, which keeps what was typed.
    type_text(&mut app, "staging");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(calls_of::<ep::CreateKey>(&cmds).is_empty());
    assert!(
        text(&app).contains("development, qa, production or any"),
        "{}",
        text(&app)
    );
    for _ in 0.."staging".len() {
        send(&mut app, [key(KeyCode::Backspace)]);
    }
    type_text(&mut app, "qa");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let call = call_of::<ep::CreateKey>(&cmds);
    assert_eq!(
        call.body_as::<CreateAgentKey>().unwrap(),
        CreateAgentKey {
            name: "shop-qa".into(),
            environment: Some(Environment::Qa)
        }
    );
    let cmds = app.update(reply::<ep::CreateKey>(
        call,
        Ok(NewAgentKey {
            info: key_info(2, "shop-qa", Some(Environment::Qa)),
            key: Secret::new(NEW_KEY),
        }),
    ));
    assert_eq!(calls_of::<ep::ListKeys>(&cmds).len(), 1, "the list is read again");
    assert!(text(&app).contains(NEW_KEY), "{}", text(&app));
    let cmds = send(&mut app, [ch('c')]);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::Copy(s) if s.expose() == NEW_KEY)),
        "{cmds:?}"
    );
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(!text(&app).contains(NEW_KEY), "shown only once");
}

#[test]
fn enter_on_the_offered_any_makes_a_key_for_every_environment() {
    let mut app = agents_app(Vec::new());
    send(&mut app, [ch('a')]);
    type_text(&mut app, "probe");
    send(&mut app, [key(KeyCode::Enter)]);
    assert!(text(&app).contains("> any"), "{}", text(&app));
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    let body = call_of::<ep::CreateKey>(&cmds).body_as::<CreateAgentKey>().unwrap();
    assert_eq!(body.environment, None);
}

#[test]
fn rotating_asks_the_grace_period_then_confirms_and_shows_the_new_key() {
    let mut app = agents_app(vec![key_info(1, "shop-prod", None)]);
    send(&mut app, [ch('j'), ch('R')]);
    type_text(&mut app, "abc");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(calls_of::<ep::RotateKey>(&cmds).is_empty());
    for _ in 0..4 {
        send(&mut app, [key(KeyCode::Backspace)]);
    }
    type_text(&mut app, "60");
    let cmds = send(&mut app, [key(KeyCode::Enter)]);
    assert!(calls_of::<ep::RotateKey>(&cmds).is_empty(), "asked first");
    assert!(text(&app).contains("60 minute"), "{}", text(&app));
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::RotateKey>(&cmds);
    assert!(call.path.contains(&Uuid::from_u128(1).to_string()));
    assert_eq!(call.body_as::<RotateApiKey>().unwrap().grace_minutes, 60);
    app.update(reply::<ep::RotateKey>(
        call,
        Ok(NewAgentKey {
            info: key_info(1, "shop-prod", None),
            key: Secret::new(NEW_KEY),
        }),
    ));
    assert!(text(&app).contains(NEW_KEY));
}

#[test]
fn the_organization_key_is_rotated_never_revoked() {
    let mut app = agents_app(Vec::new());
    let cmds = send(&mut app, [ch('d')]);
    assert!(cmds.iter().all(|c| !matches!(c, Command::Api(_))));
    send(&mut app, [ch('R'), key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::RotateOrgKey>(&cmds);
    assert_eq!(call.body_as::<RotateApiKey>().unwrap().grace_minutes, 0);
    app.update(reply::<ep::RotateOrgKey>(
        call,
        Ok(NewOrgKey {
            info: org_key(true),
            key: Secret::new(NEW_KEY),
        }),
    ));
    assert!(text(&app).contains(NEW_KEY));
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(!text(&app).contains("not issued yet"));
}

#[test]
fn revoking_is_confirmed_and_the_key_leaves_the_list() {
    let mut app = agents_app(vec![key_info(1, "shop-prod", None), key_info(2, "shop-qa", None)]);
    send(&mut app, [ch('j'), ch('d')]);
    assert!(text(&app).contains("Revoke agent key shop-prod"), "{}", text(&app));
    let cmds = send(&mut app, [ch('y')]);
    let call = call_of::<ep::RevokeKey>(&cmds);
    app.update(reply::<ep::RevokeKey>(call, Ok(())));
    let names: Vec<&str> = tab(&app).items().iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["shop-qa"]);
    assert!(text(&app).contains("Revoked agent key shop-prod"), "{}", text(&app));
}

#[test]
fn a_caller_the_server_refuses_is_told_who_may() {
    let mut app = logged_in();
    send(&mut app, [ch(':')]);
    type_text(&mut app, "agent keys");
    send(&mut app, [key(KeyCode::Enter)]);
    let cmds = send(&mut app, [ch('r')]);
    let forbidden = ApiError::new(ErrorCode::Forbidden, "an admin at a session only");
    app.update(reply::<ep::ListKeys>(
        call_of::<ep::ListKeys>(&cmds),
        Err(forbidden.clone()),
    ));
    app.update(reply::<ep::GetOrgKey>(call_of::<ep::GetOrgKey>(&cmds), Err(forbidden)));
    assert!(text(&app).contains("Only organization admins"), "{}", text(&app));
}
