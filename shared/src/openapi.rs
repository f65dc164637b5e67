//! The API described as OpenAPI 3.1, generated from the endpoint types ([`crate::endpoint::each`]) and
//! the JSON Schemas (2020-12, the dialect of OpenAPI 3.1) of their query, body and answer types. The
//! server answers it at `GET /api/v1/openapi.json`.
//!
//! Requests are described as the server reads them (a field with a default may be left out) and answers
//! as it writes them (every field the server always sends is required), so a type can have two schemas:
//! where they differ, the request's is named `<Type>Request`.

use std::collections::{BTreeMap, BTreeSet};

use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings, json_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::{
    ApiError,
    endpoint::{Access, Content, Described, Endpoint, EndpointVisitor, IfMatch, PathParams, describe, is_unit},
};

/// The version of OpenAPI the document follows.
pub const OPENAPI_VERSION: &str = "3.1.0";

/// Where component schemas live in the document.
const SCHEMAS: &str = "#/components/schemas/";
/// Where request schemas are generated, until [`merge`] gives them their names among the answers'.
const REQUEST_SCHEMAS: &str = "#/components/x-request-schemas/";

/// An OpenAPI document, as `GET openapi.json` answers it: its fields in the order people expect to read
/// them (`openapi` first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub openapi: String,
    pub info: Value,
    pub tags: Value,
    pub paths: Value,
    pub components: Value,
}

impl Document {
    /// The document as one JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("JSON values serialize")
    }
}

impl JsonSchema for Document {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "OpenApiDocument".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An OpenAPI 3.1 document: this one.",
            "type": "object",
            "required": ["openapi", "info", "paths"],
        })
    }
}

/// The route of the document itself.
pub mod endpoints {
    use super::*;
    use crate::routes::OPENAPI;

    crate::endpoints! {
        /// This API described as OpenAPI 3.1 (no credential: it tells only the API's shape).
        GetDocument: Get OPENAPI, Public, params (), query (), body () => Document;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<GetDocument>();
    }
}

/// The whole API as an OpenAPI 3.1 document.
pub fn document() -> Document {
    let mut builder = Builder::new();
    crate::endpoint::each(&mut builder);
    serde_json::from_value(builder.finish()).expect("the builder makes every field of a document")
}

struct Builder {
    /// Schemas of what clients send (the deserializing side).
    requests: SchemaGenerator,
    /// Schemas of what the server answers (the serializing side).
    answers: SchemaGenerator,
    paths: Map<String, Value>,
    tags: BTreeSet<String>,
}

impl EndpointVisitor for Builder {
    fn visit<E: Endpoint>(&mut self) {
        let d = describe::<E>();
        let params = E::Params::schemas(&mut self.requests);
        let query = (!is_unit::<E::Query>()).then(|| self.requests.subschema_for::<E::Query>());
        let body = (d.body == Content::Json).then(|| self.requests.subschema_for::<E::Body>());
        let answer = (d.answer == Content::Json).then(|| self.answers.subschema_for::<E::Response>());
        let operation = self.operation(&d, params, query, body, answer);
        let item = self
            .paths
            .entry(d.template.clone().into_owned())
            .or_insert_with(|| json!({}));
        let previous = item
            .as_object_mut()
            .and_then(|ops| ops.insert(d.method.as_str().to_lowercase(), operation));
        assert!(previous.is_none(), "{} {} is described twice", d.method, d.template);
    }
}

impl Builder {
    fn new() -> Self {
        let settings = |defs: &str| {
            SchemaSettings::draft2020_12().with(|s| {
                s.definitions_path = defs.trim_start_matches('#').to_owned().into();
                s.meta_schema = None;
            })
        };
        Builder {
            requests: settings(REQUEST_SCHEMAS).for_deserialize().into_generator(),
            answers: settings(SCHEMAS).for_serialize().into_generator(),
            paths: Map::new(),
            tags: BTreeSet::new(),
        }
    }

    fn operation(
        &mut self,
        d: &Described,
        params: Vec<Schema>,
        query: Option<Schema>,
        body: Option<Schema>,
        answer: Option<Schema>,
    ) -> Value {
        let tag = area_of(d.name).to_owned();
        self.tags.insert(tag.clone());
        let mut parameters = Vec::new();
        let names = template_params(&d.template);
        assert_eq!(
            names.len(),
            params.len(),
            "{}: the path {} has {} parameters, its Params type {}",
            d.name,
            d.template,
            names.len(),
            params.len()
        );
        for (name, mut schema) in names.into_iter().zip(params) {
            // The type of `action` is a plain string: its words are a list of their own.
            if name == "action" && d.path == crate::routes::USER_ACTION {
                schema = json_schema!({ "type": "string", "enum": crate::routes::user_action::ALL });
            }
            parameters.push(json!({ "name": name, "in": "path", "required": true, "schema": schema }));
        }
        if let Some(query) = query {
            parameters.extend(self.query_parameters(&query));
        }
        if d.if_match != IfMatch::No {
            parameters.push(json!({
                "name": "If-Match",
                "in": "header",
                "required": d.if_match == IfMatch::Required,
                "description": "The version the change is based on, as the ETag of the read answered it (`\"7\"`).",
                "schema": { "type": "string" },
            }));
        }

        let mut op = Map::new();
        op.insert("operationId".into(), json!(operation_id(d)));
        op.insert("summary".into(), json!(d.summary));
        op.insert("description".into(), json!(access_text(d.access)));
        op.insert("tags".into(), json!([tag]));
        op.insert("x-orgdeck-access".into(), json!(access_name(d.access)));
        op.insert("security".into(), security(d.access));
        if !parameters.is_empty() {
            op.insert("parameters".into(), Value::Array(parameters));
        }
        let content = match (d.body, body) {
            (Content::Json, Some(schema)) => Some(json!({ "application/json": { "schema": schema } })),
            (Content::Csv, _) => Some(json!({ "text/csv": { "schema": { "type": "string" } } })),
            _ => None,
        };
        if let Some(content) = content {
            op.insert(
                "requestBody".into(),
                json!({ "required": d.body_required, "content": content }),
            );
        }
        op.insert("responses".into(), responses(d, answer));
        Value::Object(op)
    }

    /// One query parameter per property of the query type's schema.
    fn query_parameters(&self, query: &Schema) -> Vec<Value> {
        let object = match query.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix(REQUEST_SCHEMAS).expect("a request schema");
                self.requests.definitions().get(name).cloned().unwrap_or_default()
            }
            None => query.as_value().clone(),
        };
        let required: BTreeSet<&str> = object["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let Some(properties) = object["properties"].as_object() else {
            return Vec::new();
        };
        properties
            .iter()
            .map(|(name, schema)| {
                let mut schema = schema.clone();
                let description = schema.as_object_mut().and_then(|s| s.remove("description"));
                let mut param = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(name.as_str()),
                    "schema": without_null(schema),
                });
                if let Some(description) = description {
                    param["description"] = description;
                }
                param
            })
            .collect()
    }

    fn finish(mut self) -> Value {
        let error = self.answers.subschema_for::<ApiError>();
        let answers = self.answers.take_definitions(true);
        let requests = self.requests.take_definitions(true);
        let (schemas, names) = merge(answers, requests);
        let tags: Vec<Value> = self.tags.iter().map(|t| json!({ "name": t })).collect();
        let mut doc = json!({
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": "orgdeck API",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Organization settings, users, groups, API keys, agents and the audit log. Every \
                    failure answers the one error body `ApiError`; versioned resources answer an `ETag` \
                    and take it back in `If-Match`.",
                "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
            },
            "tags": tags,
            "paths": self.paths,
            "components": {
                "schemas": schemas,
                "responses": {
                    "Error": {
                        "description": "The error body every failure answers with.",
                        "content": { "application/json": { "schema": error } },
                    },
                },
                "securitySchemes": {
                    "session": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A session token, from `POST /api/v1/auth/login` (or `auth/mfa`).",
                    },
                    "apiKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "od_ + 32 base62 characters + a 6-character checksum",
                        "description": "An API key: acts as its holder, with the holder's role.",
                    },
                    "agentKey": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "od_ + 32 base62 characters + a 6-character checksum",
                        "description": "An agent key or the organization key: reaches the agent routes \
                            (`agent/*`) of its organization and nothing else.",
                    },
                },
            },
        });
        rename_refs(&mut doc, &names);
        drop_unused_schemas(&mut doc);
        doc
    }
}

/// The success answer, and the errors worth naming; any other 4xx or 5xx is the same error body.
fn responses(d: &Described, answer: Option<Schema>) -> Value {
    let mut success = json!({ "description": reason(d.status) });
    match (d.answer, answer) {
        (Content::Json, Some(schema)) => {
            success["content"] = json!({ "application/json": { "schema": schema } });
        }
        (Content::EventStream, _) => {
            success["content"] = json!({
                "text/event-stream": {
                    "schema": {
                        "type": "string",
                        "description": "Server-sent events: `change` (data: a ChangeEvent as JSON, id: its seq) and `reload`.",
                    },
                },
            });
        }
        (Content::Document, _) => {
            success["content"] = json!({
                "text/markdown": { "schema": { "type": "string" } },
                "text/html": { "schema": { "type": "string" } },
            });
            success["headers"] = json!({
                "Content-Disposition": {
                    "description": "An attachment with a file name.",
                    "schema": { "type": "string" },
                },
            });
        }
        (Content::Export, _) => {
            success["content"] = json!({
                "text/csv": { "schema": { "type": "string" } },
                "application/x-ndjson": {
                    "schema": { "type": "string", "description": "One JSON object a line." },
                },
            });
            success["headers"] = json!({
                "Content-Disposition": {
                    "description": "An attachment with a file name.",
                    "schema": { "type": "string" },
                },
            });
        }
        _ => {}
    }
    if d.etag {
        success["headers"] = json!({
            "ETag": {
                "description": "The version of the answer, for `If-Match` on the next change (`\"7\"`).",
                "schema": { "type": "string" },
            },
        });
    }
    let mut out = Map::new();
    out.insert(d.status.to_string(), success);
    let error = |description: &str| {
        json!({
            "description": description,
            "content": { "application/json": { "schema": { "$ref": format!("{SCHEMAS}ApiError") } } },
        })
    };
    if d.access != Access::Public {
        out.insert("401".into(), error("No valid credential, or the session expired."));
    }
    match d.access {
        Access::Admin => drop(out.insert("403".into(), error("The caller is not an organization admin."))),
        Access::Session => drop(out.insert("403".into(), error("An API key cannot do this: it needs a session."))),
        Access::AdminSession => drop(out.insert(
            "403".into(),
            error("The caller is not an organization admin, or sent a key instead of a session."),
        )),
        Access::Agent => drop(out.insert(
            "403".into(),
            error("A session or a personal API key: only an agent or organization key may do this."),
        )),
        Access::Public | Access::User => {}
    }
    if d.if_match != IfMatch::No {
        out.insert("412".into(), error("The resource changed since that version."));
    }
    if d.if_match == IfMatch::Required {
        out.insert("428".into(), error("`If-Match` is missing."));
    }
    out.insert("4XX".into(), json!({ "$ref": "#/components/responses/Error" }));
    out.insert("5XX".into(), json!({ "$ref": "#/components/responses/Error" }));
    Value::Object(out)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        _ => "Success",
    }
}

fn security(access: Access) -> Value {
    match access {
        Access::Public => json!([]),
        Access::Session | Access::AdminSession => json!([{ "session": [] }]),
        Access::User | Access::Admin => json!([{ "session": [] }, { "apiKey": [] }]),
        Access::Agent => json!([{ "agentKey": [] }]),
    }
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Session => "session",
        Access::User => "user",
        Access::Admin => "admin",
        Access::AdminSession => "admin_session",
        Access::Agent => "agent",
    }
}

fn access_text(access: Access) -> &'static str {
    match access {
        Access::Public => "No credential needed.",
        Access::Session => "A logged-in session, any role; an API key is refused (403).",
        Access::User => "A session or an API key, any role.",
        Access::Admin => "An organization admin's session or API key; other roles are refused (403).",
        Access::AdminSession => {
            "An organization admin's logged-in session; other roles and any API key are refused (403)."
        }
        Access::Agent => "An agent key or the organization key; a session or a personal API key is refused (403).",
    }
}

/// The area an endpoint type belongs to: `users` for `orgdeck_shared::users::endpoints::Create`.
fn area_of(type_name: &str) -> &str {
    let path = type_name.split('<').next().unwrap_or(type_name);
    path.rsplit("::").nth(2).unwrap_or(path)
}

/// `users.Create`; a generic endpoint adds its path's last segment: `settings.Get.password_policy`.
fn operation_id(d: &Described) -> String {
    let path = d.name.split('<').next().unwrap_or(d.name);
    let name = path.rsplit("::").next().unwrap_or(path);
    let mut id = format!("{}.{name}", area_of(d.name));
    if path.len() != d.name.len() {
        id.push('.');
        id.push_str(d.template.rsplit('/').next().unwrap_or_default());
    }
    id
}

/// The parameter names of a path template, in order: `["id", "session_id"]`.
pub fn template_params(template: &str) -> Vec<&str> {
    template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// A query parameter is absent rather than null: drops `null` from an optional value's schema.
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
        return schema;
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        let rest: Vec<&Value> = any.iter().filter(|s| **s != json!({ "type": "null" })).collect();
        if rest.len() == 1 {
            let mut only = rest[0].clone();
            if let (Some(only), Some(outer)) = (only.as_object_mut(), schema.as_object()) {
                for (k, v) in outer.iter().filter(|(k, _)| *k != "anyOf") {
                    only.entry(k.clone()).or_insert(v.clone());
                }
            }
            return only;
        }
    }
    schema
}

/// The answers' schemas and the requests', under one set of names: a request schema keeps its name when
/// the answers have none of that name or the same schema, else it becomes `<Name>Request`. Answers the
/// schemas and each request schema's final name.
fn merge(answers: Map<String, Value>, requests: Map<String, Value>) -> (Map<String, Value>, BTreeMap<String, String>) {
    let mut names: BTreeMap<String, String> = requests.keys().map(|n| (n.clone(), n.clone())).collect();
    // Renaming one schema changes the references of those that use it: until nothing changes.
    loop {
        let mut changed = false;
        for (name, schema) in &requests {
            if names[name] != *name {
                continue;
            }
            let mut renamed = schema.clone();
            rename_refs(&mut renamed, &names);
            if answers.get(name).is_some_and(|answer| *answer != renamed) {
                let taken =
                    |n: &String| answers.contains_key(n) || requests.contains_key(n) || names.values().any(|v| v == n);
                let mut new = format!("{name}Request");
                let mut i = 2;
                while taken(&new) {
                    new = format!("{name}Request{i}");
                    i += 1;
                }
                names.insert(name.clone(), new);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut schemas = answers;
    for (name, mut schema) in requests {
        rename_refs(&mut schema, &names);
        schemas.entry(names[&name].clone()).or_insert(schema);
    }
    (schemas, names)
}

/// Points every reference to a request schema at its final name among the components.
fn rename_refs(value: &mut Value, names: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Some(name) = v.as_str().and_then(|r| r.strip_prefix(REQUEST_SCHEMAS))
                {
                    let name = names.get(name).map_or(name, String::as_str);
                    *v = json!(format!("{SCHEMAS}{name}"));
                } else {
                    rename_refs(v, names);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rename_refs(v, names)),
        _ => {}
    }
}

/// Every `$ref` in `value`.
pub fn refs(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    fn walk<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(r)) => out.push(r),
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    walk(value, &mut out);
    out
}

/// Keeps only the component schemas something refers to (a query type becomes parameters, not a schema).
fn drop_unused_schemas(doc: &mut Value) {
    let schemas = doc["components"]["schemas"].take();
    let Value::Object(schemas) = schemas else {
        return;
    };
    let mut used = BTreeSet::new();
    let mut todo: Vec<String> = refs(&doc["paths"])
        .into_iter()
        .chain(refs(&doc["components"]))
        .filter_map(|r| r.strip_prefix(SCHEMAS).map(str::to_owned))
        .collect();
    while let Some(name) = todo.pop() {
        if used.insert(name.clone())
            && let Some(schema) = schemas.get(&name)
        {
            todo.extend(
                refs(schema)
                    .into_iter()
                    .filter_map(|r| r.strip_prefix(SCHEMAS).map(str::to_owned)),
            );
        }
    }
    doc["components"]["schemas"] = Value::Object(schemas.into_iter().filter(|(n, _)| used.contains(n)).collect());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
        doc.pointer(reference.strip_prefix('#')?)
    }

    #[test]
    fn the_document_is_openapi_3_1_with_one_operation_per_endpoint() {
        let doc = document().to_value();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
        let all = crate::endpoint::all();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let d = all
                    .iter()
                    .find(|d| d.template == *path && d.method.as_str().eq_ignore_ascii_case(method))
                    .unwrap_or_else(|| panic!("{method} {path} is not a described endpoint"));
                assert_eq!(op["summary"], d.summary);
                assert!(op["responses"][d.status.to_string()].is_object(), "{method} {path}");
            }
        }
        assert_eq!(operations, all.len());
        let ids: BTreeSet<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), all.len(), "operation ids are unique");
    }

    #[test]
    fn every_reference_resolves_and_every_schema_is_used() {
        let doc = document().to_value();
        let all = refs(&doc);
        assert!(all.len() > 50);
        for reference in all {
            assert!(resolve(&doc, reference).is_some(), "{reference} resolves");
        }
        let used: BTreeSet<&str> = refs(&doc).into_iter().collect();
        for name in doc["components"]["schemas"].as_object().unwrap().keys() {
            assert!(used.contains(format!("{SCHEMAS}{name}").as_str()), "{name} is used");
        }
        assert!(!serde_json::to_string(&doc).unwrap().contains("x-request-schemas"));
    }

    #[test]
    fn access_becomes_security_and_versions_become_headers() {
        let doc = document().to_value();
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        assert_eq!(op(crate::routes::LOGIN, "post")["security"], json!([]));
        assert_eq!(
            op(crate::routes::LOGOUT, "post")["security"],
            json!([{ "session": [] }])
        );
        let users = op(crate::routes::USERS, "get");
        assert_eq!(users["security"], json!([{ "session": [] }, { "apiKey": [] }]));
        assert_eq!(users["x-orgdeck-access"], "admin");
        assert_eq!(
            op(crate::routes::AGENT_KEYS, "post")["security"],
            json!([{ "session": [] }]),
            "keys never manage agent keys"
        );
        assert_eq!(
            op(crate::routes::AGENT_EVENTS, "post")["security"],
            json!([{ "agentKey": [] }]),
            "only agent keys report events"
        );
        let query: Vec<&str> = users["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(query, ["cursor", "group", "limit", "q", "sort", "status"]);

        let patch = op(crate::routes::USER, "patch");
        let params = patch["parameters"].as_array().unwrap();
        assert_eq!(params[0]["name"], "id");
        assert_eq!(params[0]["in"], "path");
        assert_eq!(params[0]["schema"]["format"], "uuid");
        assert!(params.iter().any(|p| p["name"] == "If-Match" && p["required"] == true));
        assert!(patch["responses"]["200"]["headers"]["ETag"].is_object());
        assert!(patch["responses"]["428"].is_object());

        let general = op(&crate::routes::settings("general"), "put");
        assert!(general["responses"]["200"]["headers"]["ETag"].is_object());
        let import = op(crate::routes::USERS_IMPORT, "post");
        assert!(import["requestBody"]["content"]["text/csv"].is_object());
        let export = op(crate::routes::AUDIT_EXPORT, "get");
        let content = export["responses"]["200"]["content"].as_object().unwrap();
        assert!(content.contains_key("text/csv") && content.contains_key("application/x-ndjson"));
        assert_eq!(
            op(crate::routes::API_KEY_EMAIL, "post")["requestBody"]["required"],
            false
        );
        assert_eq!(
            op(crate::routes::ACTIVATE, "post")["responses"]["204"]["content"],
            Value::Null
        );
    }

    #[test]
    fn secrets_sent_by_clients_are_write_only_and_answered_ones_are_not() {
        let doc = document().to_value();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["LoginRequest"]["properties"]["password"]["writeOnly"], true);
        let grant = &schemas["SessionGrant"]["properties"]["token"];
        assert_eq!(grant["type"], "string");
        assert_eq!(grant["writeOnly"], Value::Null);
    }

    #[test]
    fn a_type_read_and_written_differently_has_a_request_schema_of_its_own() {
        let doc = document().to_value();
        let schemas = &doc["components"]["schemas"];
        // The server always answers every field of the general settings; a write may leave defaults out.
        let answered = schemas["GeneralSettings"]["required"].as_array().unwrap();
        let sent = schemas["GeneralSettingsRequest"]["required"].as_array().unwrap();
        assert!(answered.len() > sent.len(), "{answered:?} {sent:?}");
        let put = &doc["paths"][crate::routes::settings("general")]["put"];
        assert_eq!(
            put["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("{SCHEMAS}GeneralSettingsRequest")
        );
    }

    #[test]
    fn template_parameters_are_named_in_order() {
        assert_eq!(
            template_params("/api/v1/users/{id}/sessions/{session_id}"),
            ["id", "session_id"]
        );
        assert!(template_params("/api/v1/me").is_empty());
    }
}
