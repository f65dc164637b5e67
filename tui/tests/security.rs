//! The Security tab driven by messages: presets, the IP list's self-lockout guard, stale saves.

mod common;

use common::*;
use crossterm::event::KeyCode;
use orgdeck::{
    api::{Call, SecurityArea, SecurityDoc},
    tabs::security::{
        CUSTOM_FIELDS,
        forms::{EXPIRATION, IDLE_MINUTES, MIN_LENGTH, MIN_UPPER, REQUIRED},
        ip::CIDR,
    },
};
use orgdeck_shared::{
    ApiError, ErrorCode, FieldError, Versioned,
    auth::endpoints::GetMe,
    password::{PasswordPolicy, PasswordStrength},
    security::{IpRestrictions, IpRule, SessionSettings, TwoStepSettings},
    settings::endpoints::{Get, Put},
};

/// The save among commands: the version it is based on, the document sent, and the call.
fn put(cmds: &[orgdeck::Command]) -> Option<(i64, SecurityDoc, Call)> {
    requests(cmds).into_iter().find_map(|c| {
        let doc = if c.is::<Put<PasswordPolicy>>() {
            SecurityDoc::PasswordPolicy(c.body_as()?)
        } else if c.is::<Put<SessionSettings>>() {
            SecurityDoc::Sessions(c.body_as()?)
        } else if c.is::<Put<IpRestrictions>>() {
            SecurityDoc::IpRestrictions(c.body_as()?)
        } else if c.is::<Put<TwoStepSettings>>() {
            SecurityDoc::TwoStep(c.body_as()?)
        } else {
            return None;
        };
        Some((c.if_match?, doc, c))
    })
}

/// Focus is on the preset: right cycles it.
fn choose_preset(app: &mut orgdeck::App, strength: PasswordStrength) {
    while orgdeck::tabs::security::strength_of(&security(app).policy.form) != strength {
        send(app, [key(KeyCode::Right)]);
    }
}

#[test]
fn presets_grey_out_the_custom_fields_and_custom_enables_them() {
    let mut app = security_app();
    let form = &security(&app).policy.form;
    assert!(
        CUSTOM_FIELDS.into_iter().all(|f| form.is_disabled(f)),
        "nist is a preset"
    );
    assert_eq!(form.number(MIN_LENGTH), 15);
    choose_preset(&mut app, PasswordStrength::Complex);
    let form = &security(&app).policy.form;
    assert_eq!(form.number(MIN_LENGTH), 12, "the preset's effective length shows");
    assert!(form.is_disabled(MIN_UPPER));
    assert!(screen(&app, 100, 30).contains("complex: at least 12 characters mixing 4"));
    choose_preset(&mut app, PasswordStrength::Custom);
    let form = &security(&app).policy.form;
    assert!(CUSTOM_FIELDS.into_iter().all(|f| !form.is_disabled(f)));
    // Down to min_length: right raises it now.
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Right)]);
    assert_eq!(security(&app).policy.form.number(MIN_LENGTH), 13);
}

#[test]
fn a_preset_cannot_change_its_fixed_fields() {
    let mut app = security_app();
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Right), key(KeyCode::Right)]);
    assert_eq!(security(&app).policy.form.number(MIN_LENGTH), 15);
    assert!(!security(&app).policy.is_dirty());
}

#[test]
fn saving_a_preset_sends_the_normalized_policy_with_its_version() {
    let mut app = security_app();
    choose_preset(&mut app, PasswordStrength::Strong);
    let cmds = send(&mut app, [ch('s')]);
    let (version, doc, _) = put(&cmds).expect("a PUT");
    assert_eq!(version, 1);
    let SecurityDoc::PasswordPolicy(p) = doc else {
        panic!("{doc:?}")
    };
    assert_eq!(p.strength, PasswordStrength::Strong);
    assert_eq!(p.min_length, 10);
}

#[test]
fn invalid_custom_values_show_the_shared_validation_and_send_nothing() {
    let mut app = security_app();
    choose_preset(&mut app, PasswordStrength::Custom);
    // expiration_days is the 7th field: 10 days is below the 30-day minimum.
    send(&mut app, (0..6).map(|_| key(KeyCode::Down)));
    send(&mut app, [key(KeyCode::Enter), ctrl('u')]);
    type_text(&mut app, "10");
    send(&mut app, [key(KeyCode::Enter)]);
    assert_eq!(
        security(&app).policy.form.error(EXPIRATION),
        Some("must be from 30 to 365")
    );
    assert!(put(&send(&mut app, [ch('s')])).is_none());
}

#[test]
fn a_stale_save_keeps_the_edits_shows_the_conflict_and_r_takes_the_newer_version() {
    let mut app = security_app();
    choose_preset(&mut app, PasswordStrength::Weak);
    let cmds = send(&mut app, [ch('s')]);
    let (_, _, call) = put(&cmds).unwrap();
    let stale = ApiError::new(ErrorCode::VersionMismatch, "stale");
    let cmds = app.update(reply_to::<()>(call, Err(stale)));
    let tab = security(&app);
    assert!(tab.policy.state.stale && tab.policy.is_dirty(), "edits kept");
    assert!(
        sends::<Get<PasswordPolicy>>(&cmds),
        "the newer version is read to compare"
    );
    let theirs = Versioned {
        version: 2,
        value: PasswordPolicy {
            strength: PasswordStrength::Medium,
            ..Default::default()
        },
    };
    app.update(answer::<Get<PasswordPolicy>>(&app, Ok(theirs.clone())));
    let text = screen(&app, 80, 24);
    assert!(text.contains("Save: your edits and the newer version"), "{text}");
    assert!(
        text.contains("Preset") && text.contains("weak") && text.contains("medium"),
        "{text}"
    );
    // Esc goes back with the edits; r takes the newer version without asking.
    send(&mut app, [key(KeyCode::Esc)]);
    assert!(screen(&app, 80, 24).contains("compare and save"));
    let cmds = send(&mut app, [ch('r')]);
    assert!(sends::<Get<PasswordPolicy>>(&cmds));
    app.update(answer::<Get<PasswordPolicy>>(&app, Ok(theirs)));
    let tab = security(&app);
    assert!(!tab.policy.state.stale && !tab.policy.is_dirty());
    assert_eq!(
        orgdeck::tabs::security::strength_of(&tab.policy.form),
        PasswordStrength::Medium
    );
}

#[test]
fn server_field_errors_show_inline_until_the_field_changes() {
    let mut app = security_app();
    send(&mut app, [ch(']')]);
    assert_eq!(security(&app).section, SecurityArea::Sessions);
    send(&mut app, [key(KeyCode::Right)]);
    let (_, _, call) = put(&send(&mut app, [ch('s')])).unwrap();
    let mut e = ApiError::new(ErrorCode::ValidationFailed, "invalid");
    e.fields = vec![FieldError::new("idle_minutes", "too long for this org")];
    app.update(reply_to::<()>(call, Err(e)));
    assert_eq!(
        security(&app).sessions.form.error(IDLE_MINUTES),
        Some("too long for this org")
    );
    assert_eq!(security(&app).sessions.form.number(IDLE_MINUTES), 31, "edits kept");
}

fn open_ip(app: &mut orgdeck::App) {
    send(app, [ch(']'), ch(']')]);
    assert_eq!(security(app).section, SecurityArea::IpRestrictions);
}

fn add_rule(app: &mut orgdeck::App, cidr: &str, label: &str) {
    send(app, [ch('a')]);
    type_text(app, cidr);
    send(app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    type_text(app, label);
    send(app, [key(KeyCode::Enter), ctrl('s')]);
}

#[test]
fn the_ip_section_shows_the_address_the_server_sees() {
    let mut app = security_app();
    open_ip(&mut app);
    assert!(screen(&app, 80, 24).contains("The server sees you as 127.0.0.1"));
}

#[test]
fn a_bad_cidr_is_named_inline_and_not_added() {
    let mut app = security_app();
    open_ip(&mut app);
    send(&mut app, [ch('a')]);
    type_text(&mut app, "10.0.0.0/33");
    let editor = security(&app).ip.editor.as_ref().expect("the row editor");
    assert_eq!(editor.form.error(CIDR), Some("prefix must be 0 to 32"));
    send(&mut app, [ctrl('s')]);
    assert!(security(&app).ip.rules.is_empty());
}

#[test]
fn a_list_that_excludes_you_asks_naming_your_address_then_resends_confirmed() {
    let mut app = security_app();
    open_ip(&mut app);
    add_rule(&mut app, "10.0.0.0/8", "office");
    assert_eq!(security(&app).ip.rules.len(), 1);
    assert!(screen(&app, 80, 24).contains("this list excludes you"));
    let cmds = send(&mut app, [ch('s')]);
    assert!(put(&cmds).is_none(), "nothing sent before the confirmation");
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Lock yourself out?") && text.contains("127.0.0.1"),
        "{text}"
    );
    let cmds = send(&mut app, [ch('y')]);
    let (version, doc, _) = put(&cmds).expect("sent after yes");
    assert_eq!(version, 1);
    let SecurityDoc::IpRestrictions(list) = doc else {
        panic!()
    };
    assert!(list.confirm_self_lockout);
    assert_eq!(list.rules[0].cidr, "10.0.0.0/8");
}

#[test]
fn a_list_that_includes_you_is_sent_without_asking() {
    let mut app = security_app();
    open_ip(&mut app);
    add_rule(&mut app, "127.0.0.0/8", "loopback");
    let cmds = send(&mut app, [ch('s')]);
    let (_, doc, _) = put(&cmds).unwrap_or_else(|| panic!("{}", screen(&app, 80, 24)));
    let SecurityDoc::IpRestrictions(list) = doc else {
        panic!()
    };
    assert!(!list.confirm_self_lockout);
}

#[test]
fn the_servers_self_lockout_refusal_asks_and_resends_confirmed() {
    let mut app = security_app();
    open_ip(&mut app);
    add_rule(&mut app, "127.0.0.0/8", "loopback");
    let (_, _, call) = put(&send(&mut app, [ch('s')])).unwrap();
    // Behind a proxy the server may see another address than `GET me` said: it refuses.
    app.update(reply_to::<()>(
        call,
        Err(ApiError::new(ErrorCode::Conflict, "excludes you")),
    ));
    assert!(screen(&app, 80, 24).contains("Lock yourself out?"));
    let (_, doc, _) = put(&send(&mut app, [ch('y')])).expect("resent");
    let SecurityDoc::IpRestrictions(list) = doc else {
        panic!()
    };
    assert!(list.confirm_self_lockout);
}

#[test]
fn deleting_a_rule_asks_first() {
    let mut app = security_app();
    open_ip(&mut app);
    let list = IpRestrictions {
        rules: vec![IpRule {
            cidr: "127.0.0.1".into(),
            label: "me".into(),
        }],
        confirm_self_lockout: false,
    };
    send(&mut app, [ch('r')]);
    app.update(answer::<Get<IpRestrictions>>(
        &app,
        Ok(Versioned {
            version: 3,
            value: list,
        }),
    ));
    send(&mut app, [ch('d')]);
    assert!(screen(&app, 80, 24).contains("Remove 127.0.0.1 (me)"));
    send(&mut app, [ch('n')]);
    assert_eq!(security(&app).ip.rules.len(), 1);
    send(&mut app, [ch('d'), ch('y')]);
    assert!(security(&app).ip.rules.is_empty());
}

#[test]
fn two_step_required_without_enabled_is_refused_inline() {
    let mut app = security_app();
    send(&mut app, [ch('[')]);
    assert_eq!(security(&app).section, SecurityArea::TwoStep);
    send(&mut app, [key(KeyCode::Down), key(KeyCode::Enter)]);
    assert!(security(&app).two_step.form.error(REQUIRED).is_some());
}

#[test]
fn saving_the_two_step_settings_asks_who_i_am_again_so_the_offered_methods_follow() {
    use orgdeck_shared::security::{TwoStepMethod, TwoStepSettings};
    let mut app = security_app();
    send(&mut app, [ch('[')]);
    let value = TwoStepSettings {
        enabled: true,
        required: false,
        methods: vec![TwoStepMethod::Totp, TwoStepMethod::Email],
    };
    // Switch two-step on (the first field) and save.
    send(&mut app, [key(KeyCode::Enter)]);
    let (version, sent, _) = put(&send(&mut app, [ch('s')])).expect("a save");
    assert_eq!(
        (version, sent),
        (
            1,
            SecurityDoc::TwoStep(TwoStepSettings {
                enabled: true,
                ..Default::default()
            })
        )
    );
    let cmds = app.update(answer::<Put<TwoStepSettings>>(
        &app,
        Ok(Versioned { version: 2, value }),
    ));
    assert!(sends::<GetMe>(&cmds), "{cmds:?}");
}
