//! Section 2 of SETTINGS.md: groups, and the effective role of a user on an application.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::{
    FieldError,
    auth::OrgRole,
    validate::{check_list_len, has_duplicates, validate_display_name},
};

/// Longest group name, in characters.
pub const GROUP_NAME_MAX: usize = 100;
/// Most access rows of one group (a row per role is the usual; a few more name applications).
pub const GROUP_ACCESS_ROWS_MAX: usize = 100;
/// Most applications one access row names.
pub const ROW_APPLICATIONS_MAX: usize = 1_000;
/// Most members of one custom group (the size of a bulk action or a CSV import).
pub const GROUP_MEMBERS_MAX: usize = 10_000;

/// A role on one application, least to most privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppRole {
    NoAccess,
    View,
    Edit,
    RulesAdmin,
    Admin,
}

impl AppRole {
    pub const ALL: [AppRole; 5] = [
        AppRole::NoAccess,
        AppRole::View,
        AppRole::Edit,
        AppRole::RulesAdmin,
        AppRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AppRole::NoAccess => "no_access",
            AppRole::View => "view",
            AppRole::Edit => "edit",
            AppRole::RulesAdmin => "rules_admin",
            AppRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<AppRole> {
        AppRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for AppRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<OrgRole> for AppRole {
    fn from(role: OrgRole) -> Self {
        match role {
            OrgRole::View => AppRole::View,
            OrgRole::Edit => AppRole::Edit,
            OrgRole::RulesAdmin => AppRole::RulesAdmin,
            OrgRole::Admin => AppRole::Admin,
        }
    }
}

/// Which applications a grant covers: `"all"` on the wire, or a list of application ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AppSelection {
    All,
    Only(Vec<Uuid>),
}

impl AppSelection {
    pub fn covers(&self, app: Uuid) -> bool {
        match self {
            AppSelection::All => true,
            AppSelection::Only(ids) => ids.contains(&app),
        }
    }
}

impl Serialize for AppSelection {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AppSelection::All => s.serialize_str("all"),
            AppSelection::Only(ids) => ids.serialize(s),
        }
    }
}

impl schemars::JsonSchema for AppSelection {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AppSelection".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let ids = generator.subschema_for::<Vec<Uuid>>();
        schemars::json_schema!({
            "description": "Which applications a grant covers: \"all\", or a list of application ids.",
            "oneOf": [{ "const": "all" }, ids],
        })
    }
}

impl<'de> Deserialize<'de> for AppSelection {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Word(String),
            Ids(Vec<Uuid>),
        }
        match Wire::deserialize(d)? {
            Wire::Word(w) if w == "all" => Ok(AppSelection::All),
            Wire::Word(w) => Err(serde::de::Error::custom(format!(
                "expected \"all\" or a list of ids, got {w:?}"
            ))),
            Wire::Ids(ids) => Ok(AppSelection::Only(ids)),
        }
    }
}

/// One access row of a group: a role on some applications.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppAccess {
    pub applications: AppSelection,
    pub role: AppRole,
}

/// The role a set of grants gives on `app`: the most specific grant wins (one naming the application
/// beats an all-applications grant); among equally specific grants the least privileged wins.
/// No grant at all means no access.
pub fn effective_app_role<'a>(grants: impl IntoIterator<Item = &'a AppAccess>, app: Uuid) -> AppRole {
    let mut named: Option<AppRole> = None;
    let mut all: Option<AppRole> = None;
    for grant in grants {
        let slot = match &grant.applications {
            AppSelection::Only(ids) if ids.contains(&app) => &mut named,
            AppSelection::All => &mut all,
            AppSelection::Only(_) => continue,
        };
        *slot = Some(slot.map_or(grant.role, |r| r.min(grant.role)));
    }
    named.or(all).unwrap_or(AppRole::NoAccess)
}

/// The grants a user holds: their default group's role on all applications, plus every custom group's rows.
pub fn user_grants<'a>(default_group: OrgRole, groups: impl IntoIterator<Item = &'a [AppAccess]>) -> Vec<AppAccess> {
    let mut grants = vec![AppAccess {
        applications: AppSelection::All,
        role: default_group.into(),
    }];
    for rows in groups {
        grants.extend_from_slice(rows);
    }
    grants
}

/// A group as `GET groups` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Group {
    pub id: Uuid,
    pub name: String,
    /// The built-in View / Edit / Rules Admin / Admin groups: membership only, never renamed or deleted.
    pub built_in: bool,
    /// The org role a built-in group grants on all applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants_role: Option<OrgRole>,
    pub app_access: Vec<AppAccess>,
    pub members: Vec<Uuid>,
    pub version: i64,
}

impl crate::endpoint::HasVersion for Group {
    fn version(&self) -> i64 {
        self.version
    }
}

/// `POST groups` and `PATCH groups/{id}`: a custom group's editable fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupInput {
    pub name: String,
    pub app_access: Vec<AppAccess>,
    pub members: Vec<Uuid>,
}

impl GroupInput {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = validate_display_name("name", &self.name, GROUP_NAME_MAX) {
            errors.push(e);
        } else if ["view", "edit", "rules admin", "admin"].contains(&self.name.trim().to_lowercase().as_str()) {
            errors.push(FieldError::new("name", "is the name of a built-in group"));
        }
        if let Err(e) = check_list_len("app_access", &self.app_access, GROUP_ACCESS_ROWS_MAX) {
            errors.push(e);
        } else {
            for (i, row) in self.app_access.iter().enumerate() {
                let field = || format!("app_access[{i}].applications");
                let AppSelection::Only(ids) = &row.applications else {
                    continue;
                };
                if ids.is_empty() {
                    errors.push(FieldError::new(field(), "choose at least one application"));
                } else if let Err(e) = check_list_len(&field(), ids, ROW_APPLICATIONS_MAX) {
                    errors.push(e);
                }
            }
        }
        if let Err(e) = check_list_len("members", &self.members, GROUP_MEMBERS_MAX) {
            errors.push(e);
        } else if has_duplicates(&self.members) {
            errors.push(FieldError::new("members", "lists a user twice"));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The answer to `DELETE groups/{id}`: how many members lost the access it granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct GroupDeleted {
    pub members_affected: u32,
}

/// One application's effective role for a user, in `GET users/{id}/access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AppRoleOf {
    pub application_id: Uuid,
    pub application_name: String,
    pub role: AppRole,
}

/// `GET users/{id}/access`: the user's effective role on every application of the organization,
/// computed with [`effective_app_role`] over [`user_grants`]; ordered by application name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserAccess {
    pub user_id: Uuid,
    pub default_group: OrgRole,
    /// The custom groups whose rows count.
    pub groups: Vec<Uuid>,
    pub applications: Vec<AppRoleOf>,
}

/// The built-in group a name stands for ("Rules Admin", "rules_admin", case-insensitive).
pub fn builtin_group(name: &str) -> Option<OrgRole> {
    let n = name.trim().to_lowercase();
    OrgRole::ALL
        .into_iter()
        .find(|r| r.label().to_lowercase() == n || r.as_str() == n)
}

/// The routes of custom groups.
pub mod endpoints {
    use super::*;
    use crate::{Page, routes::*};
    use uuid::Uuid;

    crate::endpoints! {
        /// Every custom group.
        List: Get GROUPS, Admin, params (), query (), body () => Page<Group>;
        /// Makes a group.
        Create: Post GROUPS, Admin, params (), query (), body GroupInput => Group, status 201, etag true;
        /// One group.
        Get: Get GROUP, Admin, params Uuid, query (), body () => Group, etag true;
        /// Changes a group (name, members, access).
        Update: Patch GROUP, Admin, params Uuid, query (), body GroupInput => Group, if_match Required, etag true;
        /// Deletes a group; answers what its members lost.
        Delete: Delete GROUP, Admin, params Uuid, query (), body () => GroupDeleted, if_match Optional;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<List>();
        v.visit::<Create>();
        v.visit::<Get>();
        v.visit::<Update>();
        v.visit::<Delete>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn app(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn only(ids: &[u128], role: AppRole) -> AppAccess {
        AppAccess {
            applications: AppSelection::Only(ids.iter().map(|&n| app(n)).collect()),
            role,
        }
    }

    fn all(role: AppRole) -> AppAccess {
        AppAccess {
            applications: AppSelection::All,
            role,
        }
    }

    #[test]
    fn a_grant_naming_the_application_beats_an_all_applications_grant() {
        let grants = [all(AppRole::Admin), only(&[1], AppRole::View)];
        assert_eq!(effective_app_role(&grants, app(1)), AppRole::View);
        assert_eq!(effective_app_role(&grants, app(2)), AppRole::Admin);
        let grants = [all(AppRole::View), only(&[1], AppRole::Admin)];
        assert_eq!(effective_app_role(&grants, app(1)), AppRole::Admin);
    }

    #[test]
    fn among_equally_specific_grants_the_least_privileged_wins() {
        assert_eq!(
            effective_app_role(&[all(AppRole::Admin), all(AppRole::Edit)], app(1)),
            AppRole::Edit
        );
        let named = [only(&[1, 2], AppRole::RulesAdmin), only(&[1], AppRole::NoAccess)];
        assert_eq!(effective_app_role(&named, app(1)), AppRole::NoAccess);
        assert_eq!(effective_app_role(&named, app(2)), AppRole::RulesAdmin);
    }

    #[test]
    fn no_grant_means_no_access() {
        assert_eq!(
            effective_app_role(&[only(&[1], AppRole::Admin)], app(9)),
            AppRole::NoAccess
        );
        assert_eq!(effective_app_role(&[], app(9)), AppRole::NoAccess);
    }

    #[test]
    fn the_default_group_grants_its_role_on_all_applications() {
        let payments = [only(&[1], AppRole::View)];
        let grants = user_grants(OrgRole::Edit, [&payments[..]]);
        assert_eq!(effective_app_role(&grants, app(1)), AppRole::View);
        assert_eq!(effective_app_role(&grants, app(2)), AppRole::Edit);
    }

    #[test]
    fn app_selection_is_all_or_a_list_on_the_wire() {
        assert_eq!(serde_json::to_value(AppSelection::All).unwrap(), "all");
        let s: AppSelection = serde_json::from_str(&format!("[\"{}\"]", app(1))).unwrap();
        assert_eq!(s, AppSelection::Only(vec![app(1)]));
        assert!(serde_json::from_str::<AppSelection>("\"some\"").is_err());
    }

    #[test]
    fn group_input_names_each_invalid_field() {
        let input = GroupInput {
            name: "Admin".into(),
            app_access: vec![only(&[], AppRole::View)],
            members: vec![app(5), app(5)],
        };
        let fields: Vec<String> = input.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "app_access[0].applications", "members"]);
    }

    fn role() -> impl Strategy<Value = AppRole> {
        prop::sample::select(AppRole::ALL.to_vec())
    }

    fn grant() -> impl Strategy<Value = AppAccess> {
        prop_oneof![
            role().prop_map(all),
            (prop::collection::vec(0u128..6, 1..4), role()).prop_map(|(ids, r)| only(&ids, r)),
        ]
    }

    proptest! {
        #[test]
        fn order_of_grants_never_matters(grants in prop::collection::vec(grant(), 0..8), target in 0u128..6) {
            let forward = effective_app_role(&grants, app(target));
            let mut reversed = grants.clone();
            reversed.reverse();
            prop_assert_eq!(forward, effective_app_role(&reversed, app(target)));
        }

        #[test]
        fn the_result_is_one_of_the_applicable_grants(grants in prop::collection::vec(grant(), 0..8), target in 0u128..6) {
            let result = effective_app_role(&grants, app(target));
            let applicable: Vec<AppRole> =
                grants.iter().filter(|g| g.applications.covers(app(target))).map(|g| g.role).collect();
            if applicable.is_empty() {
                prop_assert_eq!(result, AppRole::NoAccess);
            } else {
                prop_assert!(applicable.contains(&result));
            }
        }

        #[test]
        fn adding_a_named_grant_decides_alone_against_all_application_grants(
            grants in prop::collection::vec(role().prop_map(all), 0..5), named in role(), target in 0u128..6
        ) {
            let mut with_named = grants.clone();
            with_named.push(only(&[target], named));
            prop_assert_eq!(effective_app_role(&with_named, app(target)), named);
        }

        #[test]
        fn adding_an_equally_specific_grant_never_raises_the_role(
            grants in prop::collection::vec(grant(), 0..8), extra in role(), target in 0u128..6
        ) {
            let before = effective_app_role(&grants, app(target));
            let has_named = grants.iter().any(|g| matches!(&g.applications, AppSelection::Only(ids) if ids.contains(&app(target))));
            let mut after_grants = grants.clone();
            after_grants.push(if has_named { only(&[target], extra) } else { all(extra) });
            let after = effective_app_role(&after_grants, app(target));
            if has_named || grants.iter().any(|g| g.applications.covers(app(target))) {
                prop_assert!(after <= before);
            }
        }
    }
}
