//! One way to run the store's SQL on either engine: a connection is SQLite or PostgreSQL, and the store's
//! operations (`store::sqlite::ops`) are written once against this module.
//!
//! The statements are written with SQLite's numbered placeholders (`?1`, `?2`; a bare `?` takes the next
//! number) and are translated to PostgreSQL's `$1`, `$2` on the way there, never the reverse: SQLite reads
//! `$2` as a *named* parameter numbered by first appearance (`../shared/notes/postgres.md` §1.5). Where the
//! engines' SQL differs (full-text search, row ids, `FOR UPDATE`), an operation asks
//! [`Connection::is_postgres`] and says both.
//!
//! Values cross as [`Value`]s. PostgreSQL is strict about types (an `i64` binds only to `bigint`), so a
//! value is encoded for the type PostgreSQL inferred for its parameter, and a column is decoded from its
//! type: integer columns read as any integer type, booleans as booleans or 0/1, as SQLite's do.
//!
//! On PostgreSQL an operation runs on the blocking pool (as it does on SQLite) and waits there for each
//! statement's answer from the async driver.

use std::{error::Error as StdError, fmt};

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, ToSql as PgToSql, Type, to_sql_checked};

/// A connection of either engine, lent to an operation.
#[derive(Clone, Copy)]
pub enum Connection<'a> {
    Sqlite(&'a rusqlite::Connection),
    Pg(PgConn<'a>),
}

/// A PostgreSQL connection lent to an operation running on the blocking pool, with the runtime its
/// driver runs on.
#[derive(Clone, Copy)]
pub struct PgConn<'a> {
    pub client: &'a deadpool_postgres::ClientWrapper,
    pub runtime: &'a tokio::runtime::Handle,
}

impl<'a> From<&'a rusqlite::Connection> for Connection<'a> {
    fn from(c: &'a rusqlite::Connection) -> Self {
        Connection::Sqlite(c)
    }
}

/// Why a statement failed.
#[derive(Debug)]
pub enum Error {
    Sqlite(rusqlite::Error),
    Pg(tokio_postgres::Error),
    /// A query that must answer one row answered none.
    NoRows,
    /// A column that does not hold what the operation reads from it.
    Conversion(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sqlite(e) => e.fmt(f),
            Error::Pg(e) => match e.as_db_error() {
                Some(db) => write!(f, "{}: {}", db.code().code(), db.message()),
                None => e.fmt(f),
            },
            Error::NoRows => f.write_str("the query answered no row"),
            Error::Conversion(what) => f.write_str(what),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Sqlite(e) => Some(e),
            Error::Pg(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => Error::NoRows,
            e => Error::Sqlite(e),
        }
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        Error::Pg(e)
    }
}

impl Error {
    /// A uniqueness rule refused the statement; the engine's message.
    pub fn unique_violation(&self) -> Option<String> {
        match self {
            Error::Sqlite(rusqlite::Error::SqliteFailure(f, msg))
                if f.code == rusqlite::ErrorCode::ConstraintViolation
                    && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
            {
                Some(msg.clone().unwrap_or_else(|| "already exists".into()))
            }
            Error::Pg(e) => e
                .as_db_error()
                .filter(|db| *db.code() == tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
                .map(|db| db.message().to_owned()),
            _ => None,
        }
    }
}

/// `.optional()` on a one-row query: no row is `None`.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(Error::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A value bound to a statement.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Integer(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// What a Rust value is as a bound [`Value`].
pub trait ToValue {
    fn to_value(&self) -> Value;
}

macro_rules! int_values {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Integer(i64::from(*self))
            }
        }
    )*};
}
int_values!(i64, i32, u32, u16, u8, i16);

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl<T: ToValue + ?Sized> ToValue for Box<T> {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

/// A value that can be bound on either engine.
pub trait ToSql: Sync {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql;
    fn value(&self) -> Value;
}

impl<T: rusqlite::ToSql + ToValue + Sync> ToSql for T {
    fn as_sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn value(&self) -> Value {
        self.to_value()
    }
}

impl rusqlite::ToSql for Box<dyn ToSql> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        self.as_ref().as_sqlite().to_sql()
    }
}
impl ToValue for dyn ToSql {
    fn to_value(&self) -> Value {
        self.value()
    }
}

/// The values of one statement: a slice of bound values (`params![..]`), an array, or
/// [`params_from_iter`].
pub trait Params {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R;
}

impl Params for &[&dyn ToSql] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

impl<const N: usize> Params for [&dyn ToSql; N] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(&self)
    }
}

impl<const N: usize> Params for &[&dyn ToSql; N] {
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        f(self)
    }
}

/// The values an iterator gives, in order.
pub struct ParamsFromIter<I>(I);

pub fn params_from_iter<I>(iter: I) -> ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    ParamsFromIter(iter)
}

impl<I> Params for ParamsFromIter<I>
where
    I: IntoIterator,
    I::Item: ToSql,
{
    fn with<R>(self, f: impl FnOnce(&[&dyn ToSql]) -> R) -> R {
        let items: Vec<I::Item> = self.0.into_iter().collect();
        let refs: Vec<&dyn ToSql> = items.iter().map(|v| v as &dyn ToSql).collect();
        f(&refs)
    }
}

/// `params![a, b]`: the values of a statement, of any bindable types.
#[macro_export]
macro_rules! sql_params {
    () => {
        &[] as &[&dyn $crate::store::sql::ToSql]
    };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::sql::ToSql),+] as &[&dyn $crate::store::sql::ToSql]
    };
}
pub use crate::sql_params as params;

/// As in rusqlite: `types::Value`.
pub mod types {
    pub use super::Value;
}

/// One row of an answer.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Pg(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `idx` (from 0) as a `T`.
    pub fn get<I: ColumnIndex, T: FromColumn>(&self, idx: I) -> Result<T> {
        let idx = idx.index();
        match self {
            Row::Sqlite(r) => T::from_sqlite(r, idx),
            Row::Pg(r) => {
                let column = r
                    .columns()
                    .get(idx)
                    .ok_or_else(|| Error::Conversion(format!("no column {idx}")))?;
                let raw = r.try_get::<_, Raw<'_>>(idx)?;
                T::from_pg(column.type_(), raw.0)
                    .map_err(|e| Error::Conversion(format!("column {} ({}): {e}", column.name(), column.type_())))
            }
        }
    }
}

pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

/// A PostgreSQL column's bytes as sent (binary format), decoded by [`FromColumn::from_pg`].
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }
    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn StdError + Sync + Send>> {
        Ok(Raw(None))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

type DecodeResult<T> = Result<T, Box<dyn StdError + Sync + Send>>;

/// A Rust value read from a column of either engine.
pub trait FromColumn: Sized {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self>;
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self>;
}

fn not_null(raw: Option<&[u8]>) -> DecodeResult<&[u8]> {
    raw.ok_or_else(|| "NULL where a value was expected".into())
}

fn pg_integer(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<i64> {
    let raw = not_null(raw)?;
    Ok(match *ty {
        Type::INT8 => i64::from_sql(ty, raw)?,
        Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
        Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
        Type::OID => i64::from(u32::from_sql(ty, raw)?),
        Type::BOOL => i64::from(bool::from_sql(ty, raw)?),
        _ => return Err(format!("an integer cannot be read from {ty}").into()),
    })
}

macro_rules! integer_columns {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
                Ok(r.get(idx)?)
            }
            fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
                Ok(<$t>::try_from(pg_integer(ty, raw)?)?)
            }
        }
    )*};
}
integer_columns!(i64, i32, u32, u16, u8, i16);

macro_rules! wide_integer_columns {
    ($($t:ty),*) => {$(
        impl FromColumn for $t {
            fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
                let v: i64 = r.get(idx)?;
                <$t>::try_from(v).map_err(|e| Error::Conversion(format!("column {idx}: {e}")))
            }
            fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
                Ok(<$t>::try_from(pg_integer(ty, raw)?)?)
            }
        }
    )*};
}
wide_integer_columns!(u64, usize);

impl FromColumn for bool {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
        Ok(r.get(idx)?)
    }
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
        match *ty {
            Type::BOOL => Ok(bool::from_sql(ty, not_null(raw)?)?),
            _ => Ok(pg_integer(ty, raw)? != 0),
        }
    }
}

impl FromColumn for f64 {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
        Ok(r.get(idx)?)
    }
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
        match *ty {
            Type::FLOAT8 => Ok(f64::from_sql(ty, not_null(raw)?)?),
            Type::FLOAT4 => Ok(f64::from(f32::from_sql(ty, not_null(raw)?)?)),
            _ => Ok(pg_integer(ty, raw)? as f64),
        }
    }
}

impl FromColumn for String {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
        Ok(r.get(idx)?)
    }
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
        match *ty {
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Ok(String::from_sql(&Type::TEXT, not_null(raw)?)?)
            }
            _ => Err(format!("text cannot be read from {ty}").into()),
        }
    }
}

impl FromColumn for Vec<u8> {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
        Ok(r.get(idx)?)
    }
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
        match *ty {
            Type::BYTEA => Ok(not_null(raw)?.to_vec()),
            _ => Err(format!("bytes cannot be read from {ty}").into()),
        }
    }
}

impl<T: FromColumn + rusqlite::types::FromSql> FromColumn for Option<T> {
    fn from_sqlite(r: &rusqlite::Row<'_>, idx: usize) -> Result<Self> {
        Ok(r.get(idx)?)
    }
    fn from_pg(ty: &Type, raw: Option<&[u8]>) -> DecodeResult<Self> {
        raw.map(|raw| T::from_pg(ty, Some(raw))).transpose()
    }
}

/// A value encoded for the type PostgreSQL inferred for its parameter.
struct PgArg(Value);

/// The driver logs each statement's parameters at debug level: a value is never shown (it may be a
/// password hash, a token's hash or a sealed secret), only its kind.
impl fmt::Debug for PgArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Value::Null => "NULL",
            Value::Integer(_) => "<integer>",
            Value::Real(_) => "<real>",
            Value::Text(_) => "<text>",
            Value::Blob(_) => "<bytes>",
        })
    }
}

fn text_type(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN
    )
}

impl PgToSql for PgArg {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        match &self.0 {
            Value::Null => Ok(IsNull::Yes),
            Value::Integer(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                _ if text_type(ty) => i.to_string().to_sql(&Type::TEXT, out),
                _ => Err(format!("an integer cannot be bound as {ty}").into()),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => Err(format!("a real number cannot be bound as {ty}").into()),
            },
            Value::Text(s) if text_type(ty) => s.as_str().to_sql(&Type::TEXT, out),
            Value::Text(_) => Err(format!("text cannot be bound as {ty}").into()),
            Value::Blob(b) if *ty == Type::BYTEA => b.as_slice().to_sql(ty, out),
            Value::Blob(_) => Err(format!("bytes cannot be bound as {ty}").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// `?N` and `?` (SQLite's numbered and next placeholders) as PostgreSQL's `$N`, outside quotes.
pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    let mut highest = 0u32;
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some(_), c) => out.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                out.push(ch);
            }
            (None, '?') => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    highest + 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            (None, c) => out.push(c),
        }
    }
    out
}

impl PgConn<'_> {
    fn args(params: &[&dyn ToSql]) -> Vec<PgArg> {
        params.iter().map(|p| PgArg(p.value())).collect()
    }

    fn query(&self, sql: &str, params: &[&dyn ToSql], cached: bool) -> Result<Vec<tokio_postgres::Row>> {
        let sql = to_postgres(sql);
        let args = Self::args(params);
        let refs: Vec<&(dyn PgToSql + Sync)> = args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        self.runtime
            .block_on(async {
                if cached {
                    let statement = self.client.prepare_cached(&sql).await?;
                    self.client.query(&statement, &refs).await
                } else {
                    self.client.query(sql.as_str(), &refs).await
                }
            })
            .map_err(Error::from)
    }

    fn execute(&self, sql: &str, params: &[&dyn ToSql], cached: bool) -> Result<usize> {
        let sql = to_postgres(sql);
        let args = Self::args(params);
        let refs: Vec<&(dyn PgToSql + Sync)> = args.iter().map(|a| a as &(dyn PgToSql + Sync)).collect();
        let n = self.runtime.block_on(async {
            if cached {
                let statement = self.client.prepare_cached(&sql).await?;
                self.client.execute(&statement, &refs).await
            } else {
                self.client.execute(sql.as_str(), &refs).await
            }
        })?;
        Ok(n as usize)
    }
}

fn sqlite_params<'p>(params: &'p [&'p dyn ToSql]) -> impl rusqlite::Params + 'p {
    rusqlite::params_from_iter(params.iter().map(|p| p.as_sqlite()))
}

impl<'a> Connection<'a> {
    pub fn is_postgres(&self) -> bool {
        matches!(self, Connection::Pg(_))
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        params.with(|p| match self {
            Connection::Sqlite(c) => Ok(c.prepare_cached(sql)?.execute(sqlite_params(p))?),
            Connection::Pg(c) => c.execute(sql, p, true),
        })
    }

    pub fn query_row<P, T, F>(&self, sql: &str, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Statements run without taking an answer, separated by `;` (no values).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Connection::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Connection::Pg(c) => Ok(c.runtime.block_on(c.client.batch_execute(sql))?),
        }
    }

    /// A statement kept prepared on the connection (a fixed text run often).
    pub fn prepare_cached(&self, sql: &str) -> Result<Statement<'a>> {
        Ok(match *self {
            Connection::Sqlite(c) => Statement::SqliteCached(c.prepare_cached(sql)?),
            Connection::Pg(c) => Statement::Pg(c, sql.to_owned(), true),
        })
    }

    /// A statement whose best plan depends on its values (a search: which index, and how far to walk it).
    /// On PostgreSQL it is prepared for this one use, so it is planned for these values every time: a
    /// statement kept prepared is switched to one generic plan after five runs, hundreds of times slower
    /// for an audit search (`../shared/notes/postgres.md` §4.3). On SQLite, which plans once per text
    /// whatever the values, it is kept prepared.
    pub fn prepare_planned(&self, sql: &str) -> Result<Statement<'a>> {
        match self {
            Connection::Sqlite(_) => self.prepare_cached(sql),
            Connection::Pg(_) => self.prepare(sql),
        }
    }

    /// A statement prepared for this one use (a text built for the values at hand).
    pub fn prepare(&self, sql: &str) -> Result<Statement<'a>> {
        Ok(match *self {
            Connection::Sqlite(c) => Statement::Sqlite(c.prepare(sql)?),
            Connection::Pg(c) => Statement::Pg(c, sql.to_owned(), false),
        })
    }
}

pub enum Statement<'a> {
    SqliteCached(rusqlite::CachedStatement<'a>),
    Sqlite(rusqlite::Statement<'a>),
    Pg(PgConn<'a>, String, bool),
}

impl<'a> Statement<'a> {
    fn sqlite(&mut self) -> Option<&mut rusqlite::Statement<'a>> {
        match self {
            Statement::SqliteCached(s) => Some(s),
            Statement::Sqlite(s) => Some(s),
            Statement::Pg(..) => None,
        }
    }

    /// Every row of the answer, each mapped by `f`.
    pub fn query_map<P, T, F>(&mut self, params: P, mut f: F) -> Result<std::vec::IntoIter<Result<T>>>
    where
        P: Params,
        F: FnMut(&Row<'_>) -> Result<T>,
    {
        params.with(|p| {
            let mut out = Vec::new();
            if let Statement::Pg(c, sql, cached) = self {
                for row in c.query(sql, p, *cached)? {
                    out.push(f(&Row::Pg(&row)));
                }
            } else if let Some(s) = self.sqlite() {
                let mut rows = s.query(sqlite_params(p))?;
                while let Some(row) = rows.next()? {
                    out.push(f(&Row::Sqlite(row)));
                }
            }
            Ok(out.into_iter())
        })
    }

    /// The first row of the answer mapped by `f`; [`Error::NoRows`] when there is none.
    pub fn query_row<P, T, F>(&mut self, params: P, f: F) -> Result<T>
    where
        P: Params,
        F: FnOnce(&Row<'_>) -> Result<T>,
    {
        params.with(|p| {
            if let Statement::Pg(c, sql, cached) = self {
                let rows = c.query(sql, p, *cached)?;
                let row = rows.first().ok_or(Error::NoRows)?;
                return f(&Row::Pg(row));
            }
            let s = self.sqlite().ok_or(Error::NoRows)?;
            let mut rows = s.query(sqlite_params(p))?;
            match rows.next()? {
                Some(row) => f(&Row::Sqlite(row)),
                None => Err(Error::NoRows),
            }
        })
    }

    /// Whether the answer has a row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(())).optional().map(|r| r.is_some())
    }

    /// Runs the statement; the rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        params.with(|p| match self {
            Statement::Pg(c, sql, cached) => c.execute(sql, p, *cached),
            Statement::SqliteCached(s) => Ok(s.execute(sqlite_params(p))?),
            Statement::Sqlite(s) => Ok(s.execute(sqlite_params(p))?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_postgres_ones_outside_quotes() {
        assert_eq!(
            to_postgres("SELECT ?2, ?1 FROM t WHERE a = '?3' AND b IN (?, ?) AND c = \"?x\""),
            "SELECT $2, $1 FROM t WHERE a = '?3' AND b IN ($3, $4) AND c = \"?x\""
        );
        assert_eq!(to_postgres("VALUES (?, ?, ?10, ?)"), "VALUES ($1, $2, $10, $11)");
        assert_eq!(to_postgres("SELECT 'it''s ?1', ?1"), "SELECT 'it''s ?1', $1");
    }

    #[test]
    fn sqlite_reads_and_binds_through_the_common_types() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let c = Connection::Sqlite(&c);
        c.execute_batch("CREATE TABLE t (a TEXT, b INTEGER, c BLOB)").unwrap();
        let blob = vec![1u8, 2];
        c.execute("INSERT INTO t VALUES (?1, ?2, ?3)", params!["x", 7i64, blob])
            .unwrap();
        c.execute("INSERT INTO t VALUES (?1, ?2, NULL)", params![String::from("y"), true])
            .unwrap();
        let rows: Vec<(String, i64, Option<Vec<u8>>)> = c
            .prepare_cached("SELECT a, b, c FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(rows, vec![("x".into(), 7, Some(vec![1, 2])), ("y".into(), 1, None)]);
        let none = c
            .query_row("SELECT a FROM t WHERE b = ?1", params![99i64], |r| {
                r.get::<_, String>(0)
            })
            .optional()
            .unwrap();
        assert_eq!(none, None);
        let ids = ["x", "y"];
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM t WHERE a IN (?, ?)",
                params_from_iter(ids.iter()),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
        let dup = c
            .execute_batch("CREATE UNIQUE INDEX t_a ON t (a)")
            .and_then(|_| c.execute("INSERT INTO t VALUES ('x', 1, NULL)", []));
        assert!(dup.unwrap_err().unique_violation().is_some());
    }
}
