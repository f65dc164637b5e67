//! Values the tabs' calls carry that are the console's own (which list a page is for, a user action).

use orgdeck_shared::{
    auth::{OrgRole, Secret},
    users::{NewUser, User, UserCreated},
};
use uuid::Uuid;

/// One page of a list: which generation of the list's query asked, and which page of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTag {
    pub generation: u64,
    pub page: usize,
}

/// The user actions of `POST users/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Enable,
    Disable,
    Unlock,
    ResetPassword,
    ResetTwoStep,
}

impl UserAction {
    pub fn route(self) -> &'static str {
        use orgdeck_shared::routes::user_action as a;
        match self {
            UserAction::Enable => a::ENABLE,
            UserAction::Disable => a::DISABLE,
            UserAction::Unlock => a::UNLOCK,
            UserAction::ResetPassword => a::RESET_PASSWORD,
            UserAction::ResetTwoStep => a::RESET_TWO_STEP,
        }
    }

    /// What it did, for a toast: "enabled".
    pub fn done(self) -> &'static str {
        match self {
            UserAction::Enable => "enabled",
            UserAction::Disable => "disabled",
            UserAction::Unlock => "unlocked",
            UserAction::ResetPassword => "must reset the password at next login",
            UserAction::ResetTwoStep => "two-step verification reset",
        }
    }
}

/// `POST users`, as data the app can compare (the password never prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub default_group: OrgRole,
    pub groups: Vec<Uuid>,
    pub api_only: bool,
    /// `None` invites the user.
    pub password: Option<Secret>,
}

impl NewUserRequest {
    pub fn to_wire(&self) -> NewUser {
        NewUser {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            default_group: self.default_group,
            groups: self.groups.clone(),
            api_only: self.api_only,
            password: self.password.clone(),
        }
    }
}

/// A created user, and the one-time activation token of an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub user: User,
    pub activation_token: Option<Secret>,
}

impl From<UserCreated> for Created {
    fn from(c: UserCreated) -> Self {
        Created {
            user: c.user,
            activation_token: c.activation_token,
        }
    }
}
