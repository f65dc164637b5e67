//! Settings areas: the documents behind `settings/{area}`, each read and written whole with its version.
//! A document type says once what the server, the console and the audit log need to know about it, by
//! implementing [`SettingsArea`]; [`crate::routes::area::ALL`] names every area there is.

use schemars::JsonSchema;
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    FieldError, api_keys::ApiKeySettings, general::GeneralSettings, password::PasswordPolicy, routes::area,
    security::IpRestrictions, security::SessionSettings, security::TwoStepSettings,
};

/// One settings area's document.
pub trait SettingsArea: Serialize + DeserializeOwned + JsonSchema + Clone + Send + Sync + 'static {
    /// The area's name on the wire: `settings/{NAME}`, and the audit entry's target.
    const NAME: &'static str;
    /// Fields whose values never appear in the audit log (secrets: shown only as changed).
    const SECRET_FIELDS: &'static [&'static str] = &[];

    /// Every rule of the document, each broken one as an error naming its field.
    fn check(&self) -> Result<(), Vec<FieldError>>;

    /// The document as stored: fields that only mean something in a request are dropped.
    fn stored(self) -> Self {
        self
    }
}

impl SettingsArea for GeneralSettings {
    const NAME: &'static str = area::GENERAL;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for crate::reports::ReportSettings {
    const NAME: &'static str = area::REPORTS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for crate::scores::ScoreSettings {
    const NAME: &'static str = area::SCORES;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for crate::servers::ServerSettings {
    const NAME: &'static str = area::SERVERS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for PasswordPolicy {
    const NAME: &'static str = area::PASSWORD_POLICY;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for SessionSettings {
    const NAME: &'static str = area::SESSIONS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for IpRestrictions {
    const NAME: &'static str = area::IP_RESTRICTIONS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
    fn stored(self) -> Self {
        IpRestrictions {
            confirm_self_lockout: false,
            ..self
        }
    }
}

impl SettingsArea for TwoStepSettings {
    const NAME: &'static str = area::TWO_STEP;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for crate::notifications::NotificationSettings {
    const NAME: &'static str = area::NOTIFICATIONS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

impl SettingsArea for ApiKeySettings {
    const NAME: &'static str = area::API_KEYS;
    fn check(&self) -> Result<(), Vec<FieldError>> {
        self.validate()
    }
}

/// What is done once per settings area ([`each_area`] calls it with every document type).
pub trait AreaVisitor {
    fn visit<T: SettingsArea>(&mut self);
}

/// Every settings document type: one line each.
pub fn each_area(v: &mut impl AreaVisitor) {
    v.visit::<GeneralSettings>();
    v.visit::<PasswordPolicy>();
    v.visit::<IpRestrictions>();
    v.visit::<TwoStepSettings>();
    v.visit::<SessionSettings>();
    v.visit::<ApiKeySettings>();
    v.visit::<crate::notifications::NotificationSettings>();
    v.visit::<crate::reports::ReportSettings>();
    v.visit::<crate::scores::ScoreSettings>();
    v.visit::<crate::servers::ServerSettings>();
    v.visit::<crate::servers::DevelopmentDefaults>();
    v.visit::<crate::servers::QaDefaults>();
    v.visit::<crate::servers::ProductionDefaults>();
}

/// `GET` and `PUT settings/{area}` of each document type.
pub mod endpoints {
    use std::{borrow::Cow, marker::PhantomData};

    use super::*;
    use crate::{
        Versioned,
        endpoint::{Access, Endpoint, EndpointVisitor, HasVersion, IfMatch, Method},
        routes,
    };

    /// Reads a settings document with its version.
    pub struct Get<T>(PhantomData<T>);
    /// Writes a settings document over the version it was read at.
    pub struct Put<T>(PhantomData<T>);

    impl<T> Get<T> {
        pub const fn new() -> Self {
            Get(PhantomData)
        }
    }

    impl<T> Default for Get<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T> Put<T> {
        pub const fn new() -> Self {
            Put(PhantomData)
        }
    }

    impl<T> Default for Put<T> {
        fn default() -> Self {
            Self::new()
        }
    }

    impl<T: SettingsArea> Endpoint for Get<T> {
        const METHOD: Method = Method::Get;
        const PATH: &'static str = routes::SETTINGS;
        const ACCESS: Access = Access::Admin;
        const SUMMARY: &'static str = "Reads a settings document with its version.";
        const ETAG: bool = true;
        type Params = ();
        type Query = ();
        type Body = ();
        type Response = Versioned<T>;
        fn template() -> Cow<'static, str> {
            Cow::Owned(routes::settings(T::NAME))
        }
        fn etag_version(answer: &Self::Response) -> Option<i64> {
            Some(answer.version())
        }
    }

    impl<T: SettingsArea> Endpoint for Put<T> {
        const METHOD: Method = Method::Put;
        const PATH: &'static str = routes::SETTINGS;
        const ACCESS: Access = Access::Admin;
        const SUMMARY: &'static str = "Writes a settings document over the version it was read at (If-Match).";
        const IF_MATCH: IfMatch = IfMatch::Required;
        const ETAG: bool = true;
        type Params = ();
        type Query = ();
        type Body = T;
        type Response = Versioned<T>;
        fn template() -> Cow<'static, str> {
            Cow::Owned(routes::settings(T::NAME))
        }
        fn etag_version(answer: &Self::Response) -> Option<i64> {
            Some(answer.version())
        }
    }

    pub(crate) fn each(v: &mut impl EndpointVisitor) {
        struct Both<'a, V>(&'a mut V);
        impl<V: EndpointVisitor> AreaVisitor for Both<'_, V> {
            fn visit<T: SettingsArea>(&mut self) {
                self.0.visit::<Get<T>>();
                self.0.visit::<Put<T>>();
            }
        }
        each_area(&mut Both(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named<T: SettingsArea>() -> &'static str {
        T::NAME
    }

    #[test]
    fn every_document_type_is_an_area_of_the_one_list() {
        for name in [
            named::<GeneralSettings>(),
            named::<PasswordPolicy>(),
            named::<SessionSettings>(),
            named::<IpRestrictions>(),
            named::<TwoStepSettings>(),
            named::<ApiKeySettings>(),
        ] {
            assert!(area::ALL.contains(&name), "{name} is missing from routes::area::ALL");
        }
    }

    #[test]
    fn request_only_fields_are_not_stored() {
        let confirmed = IpRestrictions {
            rules: Vec::new(),
            confirm_self_lockout: true,
        };
        assert!(!confirmed.stored().confirm_self_lockout);
    }
}
