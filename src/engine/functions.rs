//! The function library annexa adds to CEL (docs/check-format.md, Functions): what CEL alone
//! does badly. Each function is a plain Rust function on JSON or strings (unit tested here)
//! plus a thin CEL overload. Overloads take `dyn` arguments so that a wrong kind of value
//! yields our own error message, which becomes the finding's reason.
//!
//! Two functions need state: `days_since` (the scan's clock) and `matches` (a regex cache).
//! CEL overloads are plain `fn`s, so parse-time macros rewrite `days_since(x)` into
//! `days_since(x, __annexa_now)` and `matches(s, re)` / `s.matches(re)` into
//! `matches(s, re, __annexa_regex)`; both variables live in the evaluator's base context.

use std::collections::HashMap;
use std::fmt::Display;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use cel::common::ast::{CallExpr, Expr};
use cel::common::traits::Indexer;
use cel::common::types::{CelBool, CelInt, CelList, CelMap, CelNull, CelString, Type, DYN_TYPE};
use cel::common::value::{CowVal, StaticVal, Val};
use cel::parser::Macro;
use cel::{Env, ExecutionError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use ipnet::IpNet;
use regex::Regex;
use serde_json::{json, Value as Json};

use super::value::{from_json_owned, to_json};

/// Variable holding the scan's clock in epoch milliseconds (see module docs).
pub const NOW_VAR: &str = "__annexa_now";
/// Variable holding the regex cache (see module docs).
pub const REGEX_VAR: &str = "__annexa_regex";

/// Names of the functions annexa adds, for documentation and validation messages.
pub const LIBRARY: &[&str] = &[
    "json",
    "url_decode",
    "dig",
    "as_bool",
    "as_int",
    "policy_statements",
    "allows_admin",
    "allows_public",
    "cidr_is_any",
    "cidr_is_private",
    "port_range_includes",
    "port_spec_includes",
    "days_since",
    "matches",
];

type Res<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

fn fail(function: &str, msg: impl Display) -> ExecutionError {
    ExecutionError::function_error(function, msg)
}

fn kind(v: &dyn Val) -> String {
    v.get_type().name().to_string()
}

fn owned<'b, 'v>(v: impl Val + 'static) -> Res<'b, 'v> {
    Ok(CowVal::Owned(Box::new(v)))
}

fn string_arg<'a>(function: &str, v: &'a dyn Val) -> Result<&'a str, ExecutionError> {
    v.downcast_ref::<CelString>()
        .map(|s| s.inner())
        .ok_or_else(|| fail(function, format!("expected a string, got {}", kind(v))))
}

/// The environment every check is compiled and evaluated with: the standard library, the
/// strings / lists / math extensions, annexa's functions and the rewriting macros.
pub fn env() -> Env {
    let mut env = Env::stdlib();
    let result: Result<(), cel::DeclarationError> = (|| {
        env.add_extension(cel::extensions::strings)?;
        env.add_extension(cel::extensions::lists)?;
        env.add_extension(cel::extensions::math)?;
        let d = || DYN_TYPE.to_owned();
        env.add_overload("json", "annexa_json", vec![d()], cel_json)?;
        env.add_overload("url_decode", "annexa_url_decode", vec![d()], cel_url_decode)?;
        env.add_overload("dig", "annexa_dig", vec![d(), d(), d()], cel_dig)?;
        env.add_overload("as_bool", "annexa_as_bool", vec![d()], cel_as_bool)?;
        env.add_overload("as_int", "annexa_as_int", vec![d()], cel_as_int)?;
        env.add_overload(
            "policy_statements",
            "annexa_policy_statements",
            vec![d()],
            cel_policy_statements,
        )?;
        env.add_overload(
            "allows_admin",
            "annexa_allows_admin",
            vec![d()],
            cel_allows_admin,
        )?;
        env.add_overload(
            "allows_public",
            "annexa_allows_public",
            vec![d()],
            cel_allows_public,
        )?;
        env.add_overload(
            "cidr_is_any",
            "annexa_cidr_is_any",
            vec![d()],
            cel_cidr_is_any,
        )?;
        env.add_overload(
            "cidr_is_private",
            "annexa_cidr_is_private",
            vec![d()],
            cel_cidr_is_private,
        )?;
        env.add_overload(
            "port_range_includes",
            "annexa_port_range_includes",
            vec![d(), d(), d(), d()],
            cel_port_range_includes,
        )?;
        env.add_overload(
            "port_spec_includes",
            "annexa_port_spec_includes",
            vec![d(), d()],
            cel_port_spec_includes,
        )?;
        env.add_overload(
            "days_since",
            "annexa_days_since",
            vec![d(), d()],
            cel_days_since,
        )?;
        env.add_overload(
            "matches",
            "annexa_matches",
            vec![d(), d(), d()],
            cel_matches,
        )?;
        env.add_macro(Macro::global("days_since", 1, |h, _target, args| {
            let ts = args.pop().unwrap_or_default();
            let now = h.next_expr(Expr::Ident(NOW_VAR.to_string()));
            Ok(Some(h.next_expr(Expr::Call(CallExpr {
                func_name: "days_since".into(),
                target: None,
                args: vec![ts, now],
            }))))
        }))?;
        let matches = |h: &mut cel::parser::MacroExprHelper<'_>,
                       target: &mut Option<cel::IdedExpr>,
                       args: &mut Vec<cel::IdedExpr>| {
            let re = args.pop().unwrap_or_default();
            let s = match target.take() {
                Some(t) => t,
                None => args.pop().unwrap_or_default(),
            };
            let cache = h.next_expr(Expr::Ident(REGEX_VAR.to_string()));
            Ok(Some(h.next_expr(Expr::Call(CallExpr {
                func_name: "matches".into(),
                target: None,
                args: vec![s, re, cache],
            }))))
        };
        env.add_macro(Macro::global("matches", 2, matches))?;
        env.add_macro(Macro::receiver("matches", 1, matches))?;
        Ok(())
    })();
    // Declarations are static: a clash is a programming error caught by every test.
    result.expect("annexa's CEL function library declares cleanly");
    env
}

// ---------------------------------------------------------------- json / url_decode

/// Decodes JSON held in a string, again while the result is still a string holding JSON
/// (AWS Config double-encodes). A string that is not JSON at all is an error.
pub fn json_decode(s: &str) -> Result<Json, String> {
    let mut v: Json = serde_json::from_str(s.trim()).map_err(|e| format!("not JSON: {e}"))?;
    for _ in 0..8 {
        match &v {
            Json::String(inner) => match serde_json::from_str::<Json>(inner.trim()) {
                Ok(next) => v = next,
                Err(_) => break,
            },
            _ => break,
        }
    }
    Ok(v)
}

fn cel_json<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let v = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    match v.downcast_ref::<CelString>() {
        Some(s) => json_decode(s.inner())
            .map(|j| CowVal::Owned(from_json_owned(j)))
            .map_err(|e| fail("json", e)),
        None => Ok(v),
    }
}

pub fn url_decode(s: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|e| format!("not UTF-8 after percent-decoding: {e}"))
}

fn cel_url_decode<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let s = string_arg("url_decode", &*args[0])?;
    owned(CelString::from(
        url_decode(s).map_err(|e| fail("url_decode", e))?,
    ))
}

// ---------------------------------------------------------------- dig / as_bool / as_int

/// One step of a dotted path: map key, or list index when the value is a list.
fn step<'b, 'v>(v: &'b (dyn Val + 'v), key: &str) -> Option<&'b (dyn Val + 'v)> {
    if let Some(m) = v.downcast_ref::<CelMap>() {
        return match m.get(&CelString::from(key)) {
            Ok(CowVal::Borrowed(x)) => Some(x),
            _ => None,
        };
    }
    if let Some(l) = v.downcast_ref::<CelList>() {
        let i: usize = key.parse().ok()?;
        return l.inner().get(i).map(|b| b.as_ref());
    }
    None
}

fn dig_ref<'b, 'v>(v: &'b (dyn Val + 'v), path: &str) -> Option<&'b (dyn Val + 'v)> {
    let mut cur = v;
    if !path.is_empty() {
        for key in path.split('.') {
            cur = step(cur, key)?;
        }
    }
    (cur.downcast_ref::<CelNull>().is_none()).then_some(cur)
}

fn cel_dig<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let default = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    let path = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    let path = string_arg("dig", &*path)?.to_string();
    let doc = args
        .pop()
        .ok_or_else(ExecutionError::missing_argument_or_target)?;
    match doc {
        // Borrowed documents (the resource) hand out the element itself: no copy.
        CowVal::Borrowed(d) => Ok(dig_ref(d, &path).map(CowVal::Borrowed).unwrap_or(default)),
        CowVal::Owned(d) => Ok(dig_ref(d.as_ref(), &path)
            .map(|x| CowVal::Owned(x.clone_as_boxed()))
            .unwrap_or(default)),
    }
}

pub fn as_bool(v: &Json) -> Result<bool, String> {
    match v {
        Json::Bool(b) => Ok(*b),
        Json::Null => Ok(false),
        Json::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Json::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(format!("cannot read {other} as a boolean")),
    }
}

fn cel_as_bool<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let b = as_bool(&to_json(&*args[0])).map_err(|e| fail("as_bool", e))?;
    owned(CelBool::from(b))
}

pub fn as_int(v: &Json) -> Result<i64, String> {
    match v {
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                Ok(f as i64)
            } else {
                Err(format!("cannot read {n} as a whole number"))
            }
        }
        Json::String(s) => {
            let t = s.trim();
            t.parse::<i64>().or_else(|_| match t.parse::<f64>() {
                Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
                _ => Err(format!("cannot read \"{s}\" as a whole number")),
            })
        }
        other => Err(format!("cannot read {other} as a whole number")),
    }
}

fn cel_as_int<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let v = &*args[0];
    if v.downcast_ref::<CelInt>().is_some() {
        return Ok(args.into_iter().next().expect("one argument"));
    }
    let i = as_int(&to_json(v)).map_err(|e| fail("as_int", e))?;
    owned(CelInt::from(i))
}

// ---------------------------------------------------------------- IAM policies

/// A policy document as held in a resource: a map, a JSON string, or a URL-encoded JSON
/// string (AWS Config's IAM items), possibly encoded twice.
pub fn policy_document(v: &Json) -> Result<Json, String> {
    let mut cur = v.clone();
    for _ in 0..4 {
        match cur {
            Json::String(s) => {
                let t = s.trim();
                cur = if t.starts_with('{') || t.starts_with('[') || t.starts_with('"') {
                    serde_json::from_str(t).map_err(|e| format!("policy is not valid JSON: {e}"))?
                } else if t.contains('%') {
                    Json::String(url_decode(t)?)
                } else {
                    return Err(format!(
                        "policy is neither JSON nor URL-encoded JSON: {t:.60}"
                    ));
                };
            }
            other => return Ok(other),
        }
    }
    Err("policy is encoded more than four times".into())
}

/// A key of an IAM document, matched case-insensitively (some tools lower-case them).
fn get_ci<'a>(m: &'a serde_json::Map<String, Json>, key: &str) -> Option<&'a Json> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn string_list(v: Option<&Json>) -> Vec<Json> {
    match v {
        None | Some(Json::Null) => vec![],
        Some(Json::Array(items)) => items.iter().map(scalar_string).collect(),
        Some(other) => vec![scalar_string(other)],
    }
}

fn scalar_string(v: &Json) -> Json {
    match v {
        Json::String(_) => v.clone(),
        other => Json::String(other.to_string()),
    }
}

/// `"*"`, `{"AWS": "*"}`, `{"AWS": ["arn..."], "Service": "x"}` -> one flat list of strings.
fn principals(v: Option<&Json>) -> Vec<Json> {
    match v {
        Some(Json::Object(m)) => m.values().flat_map(|x| string_list(Some(x))).collect(),
        other => string_list(other),
    }
}

/// The statements of an IAM-style policy in one shape (docs/check-format.md).
pub fn policy_statements(doc: &Json) -> Result<Vec<Json>, String> {
    let doc = policy_document(doc)?;
    let stmts = match &doc {
        Json::Object(m) => match get_ci(m, "Statement") {
            Some(Json::Array(items)) => items.clone(),
            Some(Json::Object(s)) => vec![Json::Object(s.clone())],
            Some(Json::Null) | None => vec![],
            Some(other) => {
                return Err(format!(
                    "policy Statement is neither a list nor a map: {other}"
                ))
            }
        },
        // A bare list of statements.
        Json::Array(items) => items.clone(),
        other => return Err(format!("policy is not a JSON object: {other}")),
    };
    stmts
        .iter()
        .map(|s| {
            let Json::Object(m) = s else {
                return Err(format!("policy statement is not a JSON object: {s}"));
            };
            let conditions = match get_ci(m, "Condition") {
                None | Some(Json::Null) => json!({}),
                Some(c) => c.clone(),
            };
            Ok(json!({
                "sid": get_ci(m, "Sid").and_then(Json::as_str).unwrap_or(""),
                "effect": get_ci(m, "Effect").and_then(Json::as_str).unwrap_or(""),
                "actions": string_list(get_ci(m, "Action")),
                "not_actions": string_list(get_ci(m, "NotAction")),
                "resources": string_list(get_ci(m, "Resource")),
                "not_resources": string_list(get_ci(m, "NotResource")),
                "principals": principals(get_ci(m, "Principal")),
                "conditions": conditions,
            }))
        })
        .collect()
}

fn has_str(list: &Json, wanted: &[&str]) -> bool {
    list.as_array().is_some_and(|l| {
        l.iter()
            .any(|x| x.as_str().is_some_and(|s| wanted.contains(&s)))
    })
}

fn is_allow(s: &Json) -> bool {
    s["effect"]
        .as_str()
        .is_some_and(|e| e.eq_ignore_ascii_case("allow"))
}

/// Some Allow statement grants action `*` (or `*:*`) on resource `*`.
pub fn allows_admin(doc: &Json) -> Result<bool, String> {
    Ok(policy_statements(doc)?.iter().any(|s| {
        is_allow(s) && has_str(&s["actions"], &["*", "*:*"]) && has_str(&s["resources"], &["*"])
    }))
}

/// Some Allow statement has principal `*` (anyone) and no condition.
pub fn allows_public(doc: &Json) -> Result<bool, String> {
    Ok(policy_statements(doc)?.iter().any(|s| {
        is_allow(s)
            && has_str(&s["principals"], &["*"])
            && s["conditions"].as_object().is_none_or(|c| c.is_empty())
    }))
}

fn cel_policy_statements<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let st = policy_statements(&to_json(&*args[0])).map_err(|e| fail("policy_statements", e))?;
    Ok(CowVal::Owned(from_json_owned(Json::Array(st))))
}

fn cel_allows_admin<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    owned(CelBool::from(
        allows_admin(&to_json(&*args[0])).map_err(|e| fail("allows_admin", e))?,
    ))
}

fn cel_allows_public<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    owned(CelBool::from(
        allows_public(&to_json(&*args[0])).map_err(|e| fail("allows_public", e))?,
    ))
}

// ---------------------------------------------------------------- CIDR and ports

/// `0.0.0.0/0`, `::/0`, and Azure's `*`, `Internet`, `Any`, `0.0.0.0`.
pub fn cidr_is_any(s: &str) -> bool {
    let t = s.trim();
    matches!(t, "0.0.0.0/0" | "::/0" | "*" | "0.0.0.0" | "::")
        || t.eq_ignore_ascii_case("internet")
        || t.eq_ignore_ascii_case("any")
}

/// Inside 10/8, 172.16/12, 192.168/16, fc00::/7, or a loopback or link-local range. Strings
/// that are no address or range (Azure service tags) are not private.
pub fn cidr_is_private(s: &str) -> bool {
    let t = s.trim();
    let net: IpNet = match t.parse::<IpNet>() {
        Ok(n) => n,
        Err(_) => match t.parse::<IpAddr>() {
            Ok(a) => IpNet::from(a),
            Err(_) => return false,
        },
    };
    const PRIVATE: &[&str] = &[
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "::1/128",
        "fe80::/10",
    ];
    PRIVATE
        .iter()
        .any(|p| p.parse::<IpNet>().is_ok_and(|p| p.contains(&net)))
}

fn cel_cidr_is_any<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    owned(CelBool::from(cidr_is_any(string_arg(
        "cidr_is_any",
        &*args[0],
    )?)))
}

fn cel_cidr_is_private<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    owned(CelBool::from(cidr_is_private(string_arg(
        "cidr_is_private",
        &*args[0],
    )?)))
}

fn opt_int(v: &Json, what: &str) -> Result<Option<i64>, String> {
    match v {
        Json::Null => Ok(None),
        other => as_int(other).map(Some).map_err(|e| format!("{what}: {e}")),
    }
}

/// An AWS security group rule's range covers `port`: protocol `-1` (all traffic) or missing
/// bounds mean every port; ICMP rules have no ports.
pub fn port_range_includes(
    protocol: &Json,
    from: &Json,
    to: &Json,
    port: i64,
) -> Result<bool, String> {
    let proto = match protocol {
        Json::String(s) => s.trim().to_ascii_lowercase(),
        Json::Number(n) => n.to_string(),
        Json::Null => "-1".to_string(),
        other => return Err(format!("protocol must be a string or number, got {other}")),
    };
    if proto == "-1" || proto == "all" {
        return Ok(true);
    }
    if matches!(proto.as_str(), "icmp" | "icmpv6" | "1" | "58") {
        return Ok(false);
    }
    let (from, to) = (opt_int(from, "from port")?, opt_int(to, "to port")?);
    Ok(match (from, to) {
        (None, None) => true,
        (Some(f), None) => f == -1 || f <= port,
        (None, Some(t)) => t == -1 || port <= t,
        (Some(-1), Some(-1)) => true,
        (Some(f), Some(t)) => f <= port && port <= t,
    })
}

fn cel_port_range_includes<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let port = as_int(&to_json(&*args[3])).map_err(|e| fail("port_range_includes", e))?;
    let r = port_range_includes(
        &to_json(&*args[0]),
        &to_json(&*args[1]),
        &to_json(&*args[2]),
        port,
    )
    .map_err(|e| fail("port_range_includes", e))?;
    owned(CelBool::from(r))
}

/// An Azure port spec (`"22"`, `"20-25"`, `"*"`, or a list of them) covers `port`.
pub fn port_spec_includes(spec: &Json, port: i64) -> Result<bool, String> {
    match spec {
        Json::Null => Ok(false),
        Json::Array(items) => {
            for i in items {
                if port_spec_includes(i, port)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Json::Number(_) => Ok(as_int(spec)? == port),
        Json::String(s) => {
            let t = s.trim();
            if t == "*" || t.eq_ignore_ascii_case("any") {
                return Ok(true);
            }
            if t.is_empty() {
                return Ok(false);
            }
            let bound = |x: &str| {
                x.trim()
                    .parse::<i64>()
                    .map_err(|_| format!("not a port spec: \"{s}\""))
            };
            match t.split_once('-') {
                Some((a, b)) => Ok(bound(a)? <= port && port <= bound(b)?),
                None => Ok(bound(t)? == port),
            }
        }
        other => Err(format!("not a port spec: {other}")),
    }
}

fn cel_port_spec_includes<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let port = as_int(&to_json(&*args[1])).map_err(|e| fail("port_spec_includes", e))?;
    let r =
        port_spec_includes(&to_json(&*args[0]), port).map_err(|e| fail("port_spec_includes", e))?;
    owned(CelBool::from(r))
}

// ---------------------------------------------------------------- days_since

/// A point in time from an ISO-8601 string (with offset, `Z`, or none meaning UTC; or a
/// date) or epoch seconds / milliseconds (numbers above 10^11 are milliseconds).
pub fn parse_time(v: &Json) -> Result<DateTime<Utc>, String> {
    match v {
        Json::String(s) => {
            let t = s.trim();
            if let Ok(d) = DateTime::parse_from_rfc3339(t) {
                return Ok(d.with_timezone(&Utc));
            }
            for f in [
                "%Y-%m-%dT%H:%M:%S%.f%z",
                "%Y-%m-%d %H:%M:%S%.f%z",
                "%Y-%m-%dT%H:%M:%S%.f%:z",
            ] {
                if let Ok(d) = DateTime::parse_from_str(t, f) {
                    return Ok(d.with_timezone(&Utc));
                }
            }
            for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
                if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
                    return Ok(d.and_utc());
                }
            }
            if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
            }
            if let Ok(n) = t.parse::<f64>() {
                return parse_time(&json!(n));
            }
            Err(format!("not a time: \"{s}\""))
        }
        Json::Number(n) => {
            let x = n.as_f64().ok_or_else(|| format!("not a time: {n}"))?;
            let millis = if x.abs() >= 1e11 { x } else { x * 1000.0 };
            DateTime::from_timestamp_millis(millis as i64)
                .ok_or_else(|| format!("time out of range: {n}"))
        }
        other => Err(format!("not a time: {other}")),
    }
}

/// Whole days from `ts` to `now` (negative for times in the future).
pub fn days_since(ts: &Json, now: DateTime<Utc>) -> Result<i64, String> {
    let t = parse_time(ts)?;
    Ok((now - t).num_seconds().div_euclid(86_400))
}

fn cel_days_since<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let now = args[1]
        .downcast_ref::<CelInt>()
        .and_then(|ms| DateTime::from_timestamp_millis(*ms.inner()))
        .ok_or_else(|| fail("days_since", "takes one argument, the time"))?;
    let ts = match cel::Value::try_from(&*args[0]) {
        Ok(cel::Value::Timestamp(t)) => json!(t.timestamp_millis()),
        _ => to_json(&*args[0]),
    };
    owned(CelInt::from(
        days_since(&ts, now).map_err(|e| fail("days_since", e))?,
    ))
}

// ---------------------------------------------------------------- matches

static REGEX_CACHE_TYPE: Type = Type::new_unspecified_type("annexa.regex_cache");

/// Compiled regular expressions by pattern, shared by every evaluation of one evaluator.
#[derive(Debug, Default, Clone)]
pub struct RegexCache(Arc<RwLock<HashMap<String, Regex>>>);

impl Val for RegexCache {
    fn get_type(&self) -> &Type {
        &REGEX_CACHE_TYPE
    }
    fn cel_type() -> &'static Type {
        &REGEX_CACHE_TYPE
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(self.clone())
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}
impl StaticVal for RegexCache {}

impl RegexCache {
    pub fn is_match(&self, s: &str, pattern: &str) -> Result<bool, String> {
        if let Some(re) = self
            .0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(pattern)
        {
            return Ok(re.is_match(s));
        }
        let re = Regex::new(pattern)
            .map_err(|e| format!("invalid regular expression '{pattern}': {e}"))?;
        let m = re.is_match(s);
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pattern.to_string(), re);
        Ok(m)
    }
}

fn cel_matches<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Res<'b, 'v> {
    let s = string_arg("matches", &*args[0])?;
    let re = string_arg("matches", &*args[1])?;
    let cache = args[2]
        .downcast_ref::<RegexCache>()
        .ok_or_else(|| fail("matches", "takes two arguments, the string and the pattern"))?;
    owned(CelBool::from(
        cache.is_match(s, re).map_err(|e| fail("matches", e))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    /// Evaluates `expr` with the library, `now()` as the clock and `doc` bound to `d`.
    fn eval(expr: &str, doc: Json) -> Result<Json, String> {
        let env = Arc::new(env());
        let p = env.compile(expr).map_err(|e| e.to_string())?;
        let mut ctx = cel::Context::with_env(env);
        ctx.add_variable_as_val(NOW_VAR, Box::new(CelInt::from(now().timestamp_millis())));
        ctx.add_variable_as_val(REGEX_VAR, Box::new(RegexCache::default()));
        let d = crate::engine::value::from_json(&doc);
        ctx.add_variable_as_val("d", d);
        cel::Value::resolve_val(p.expression(), &ctx)
            .map(|v| to_json(&*v))
            .map_err(|e| e.to_string())
    }

    fn t(expr: &str, doc: Json) -> Json {
        eval(expr, doc).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    #[test]
    fn json_decodes_repeatedly_and_passes_other_values() {
        let twice =
            serde_json::to_string(&serde_json::to_string(&json!({"a": [1, 2]})).unwrap()).unwrap();
        assert_eq!(t("json(d).a[1] + 1", json!(twice)), json!(3));
        assert_eq!(t("json(d)", json!({"x": 1})), json!({"x": 1}));
        assert_eq!(t("json(d)", json!("\"plain\"")), json!("plain"));
        assert!(eval("json(d)", json!("{broken"))
            .unwrap_err()
            .contains("not JSON"));
    }

    #[test]
    fn url_decode_decodes_iam_documents() {
        assert_eq!(
            t("url_decode(d)", json!("%7B%22a%22%3A%201%7D")),
            json!("{\"a\": 1}")
        );
        assert!(eval("url_decode(d)", json!(1))
            .unwrap_err()
            .contains("expected a string"));
    }

    #[test]
    fn dig_walks_maps_and_lists_and_defaults() {
        let d = json!({"a": {"b": [{"c": 5}, {"c": null}]}});
        assert_eq!(t("dig(d, 'a.b.0.c', 0)", d.clone()), json!(5));
        assert_eq!(t("dig(d, 'a.b.1.c', 'none')", d.clone()), json!("none"));
        assert_eq!(t("dig(d, 'a.x.y', false)", d.clone()), json!(false));
        assert_eq!(t("dig(d, 'a.b.7', -1)", d.clone()), json!(-1));
        assert_eq!(t("dig(d, '', 1)", d.clone()), d);
        assert_eq!(t("dig(json('{\"k\": 2}'), 'k', 0)", json!(null)), json!(2));
        assert!(eval("dig(d, 1, 0)", d)
            .unwrap_err()
            .contains("expected a string"));
    }

    #[test]
    fn as_bool_and_as_int() {
        assert_eq!(
            t(
                "[as_bool(true), as_bool('True'), as_bool('false'), as_bool(null)]",
                json!(null)
            ),
            json!([true, true, false, false])
        );
        assert!(eval("as_bool('yes')", json!(null)).is_err());
        assert_eq!(
            t(
                "[as_int(3), as_int(4.0), as_int('15'), as_int(' 7 ')]",
                json!(null)
            ),
            json!([3, 4, 15, 7])
        );
        assert_eq!(t("as_int(d) + 1", json!(0.0)), json!(1));
        assert!(eval("as_int(2.5)", json!(null)).is_err());
        assert!(eval("as_int('abc')", json!(null))
            .unwrap_err()
            .contains("whole number"));
    }

    #[test]
    fn policy_statements_normalises_every_form() {
        // Single statement (a map), string Action, Principal "*".
        let single = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Principal": "*"}});
        let st = policy_statements(&single).unwrap();
        assert_eq!(st.len(), 1);
        assert_eq!(st[0]["actions"], json!(["s3:GetObject"]));
        assert_eq!(st[0]["principals"], json!(["*"]));
        assert_eq!(st[0]["conditions"], json!({}));
        assert_eq!(st[0]["sid"], json!(""));
        // List of statements, list Action, NotAction, {"AWS": "*"} and {"AWS": [arn]} principals.
        let list = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "a", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["*"], "Principal": {"AWS": "*"}},
            {"Sid": "b", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Principal": {"AWS": ["arn:aws:iam::111122223333:root"], "Service": "ec2.amazonaws.com"},
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
        ]});
        let st = policy_statements(&list).unwrap();
        assert_eq!(st[0]["principals"], json!(["*"]));
        assert_eq!(st[0]["actions"], json!(["s3:Get*", "s3:List*"]));
        assert_eq!(st[1]["not_actions"], json!(["iam:*"]));
        assert_eq!(st[1]["actions"], json!([]));
        assert_eq!(
            st[1]["principals"],
            json!(["arn:aws:iam::111122223333:root", "ec2.amazonaws.com"])
        );
        assert_eq!(st[1]["effect"], json!("Deny"));
        assert!(!st[1]["conditions"].as_object().unwrap().is_empty());
        // JSON in a string, and URL-encoded as AWS Config delivers IAM documents.
        let as_string = json!(list.to_string());
        assert_eq!(policy_statements(&as_string).unwrap(), st);
        let encoded = "%7B%0A%09%22Version%22%3A%20%222012-10-17%22%2C%0A%09%22Statement%22%3A%20%5B%0A%09%09%7B%0A%09%09%09%22Sid%22%3A%20%22VisualEditor0%22%2C%0A%09%09%09%22Effect%22%3A%20%22Allow%22%2C%0A%09%09%09%22Action%22%3A%20%22lambda%3A%2A%22%2C%0A%09%09%09%22Resource%22%3A%20%22%2A%22%0A%09%09%7D%0A%09%5D%0A%7D";
        let st = policy_statements(&json!(encoded)).unwrap();
        assert_eq!(st[0]["actions"], json!(["lambda:*"]));
        assert_eq!(st[0]["resources"], json!(["*"]));
        assert_eq!(st[0]["sid"], json!("VisualEditor0"));
        assert!(policy_statements(&json!("not a policy")).is_err());
        assert!(policy_statements(&json!(5)).is_err());
        // Through CEL.
        assert_eq!(
            t("policy_statements(d).map(s, s.effect)", list.clone()),
            json!(["Allow", "Deny"])
        );
        assert_eq!(
            t(
                "policy_statements(d).exists(s, 'iam:*' in s.not_actions)",
                list
            ),
            json!(true)
        );
    }

    #[test]
    fn allows_admin_needs_star_action_on_star_resource_in_an_allow() {
        let admin = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        let admin2 =
            json!({"Statement": {"Effect": "Allow", "Action": ["s3:*", "*:*"], "Resource": ["*"]}});
        let scoped =
            json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}});
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}});
        let not_action =
            json!({"Statement": {"Effect": "Allow", "NotAction": "*", "Resource": "*"}});
        assert!(allows_admin(&admin).unwrap());
        assert!(allows_admin(&admin2).unwrap());
        assert!(!allows_admin(&scoped).unwrap());
        assert!(!allows_admin(&deny).unwrap());
        assert!(!allows_admin(&not_action).unwrap());
        let encoded = json!("%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D");
        assert!(allows_admin(&encoded).unwrap());
        assert_eq!(t("allows_admin(d)", admin), json!(true));
        assert!(eval("allows_admin('x')", json!(null))
            .unwrap_err()
            .contains("allows_admin"));
    }

    #[test]
    fn allows_public_means_star_principal_without_condition() {
        let p = |principal: Json, cond: Option<Json>| {
            let mut s = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": principal});
            if let Some(c) = cond {
                s["Condition"] = c;
            }
            json!({"Statement": [s]})
        };
        assert!(allows_public(&p(json!("*"), None)).unwrap());
        assert!(allows_public(&p(json!({"AWS": "*"}), None)).unwrap());
        assert!(allows_public(&p(json!({"AWS": ["*"]}), None)).unwrap());
        assert!(
            !allows_public(&p(json!({"AWS": ["arn:aws:iam::111122223333:root"]}), None)).unwrap()
        );
        assert!(!allows_public(&p(
            json!("*"),
            Some(json!({"StringEquals": {"aws:SourceAccount": "1"}}))
        ))
        .unwrap());
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]});
        assert!(!allows_public(&deny).unwrap());
        assert_eq!(
            t("allows_public(d)", p(json!({"AWS": "*"}), None)),
            json!(true)
        );
    }

    #[test]
    fn cidr_any_and_private() {
        for any in ["0.0.0.0/0", "::/0", "*", "Internet", "any", "0.0.0.0"] {
            assert!(cidr_is_any(any), "{any}");
        }
        for not_any in ["10.0.0.0/8", "1.2.3.4/32", "VirtualNetwork"] {
            assert!(!cidr_is_any(not_any), "{not_any}");
        }
        for private in [
            "10.1.0.0/16",
            "172.16.5.0/24",
            "192.168.1.1",
            "fd00::/8",
            "127.0.0.1/32",
            "fe80::1",
        ] {
            assert!(cidr_is_private(private), "{private}");
        }
        for public in [
            "0.0.0.0/0",
            "172.32.0.0/16",
            "8.8.8.8/32",
            "2001:db8::/32",
            "10.0.0.0/7",
            "Internet",
        ] {
            assert!(!cidr_is_private(public), "{public}");
        }
        assert_eq!(
            t("cidr_is_any(d) && !cidr_is_private(d)", json!("::/0")),
            json!(true)
        );
        assert!(eval("cidr_is_any(1)", json!(null))
            .unwrap_err()
            .contains("expected a string"));
    }

    #[test]
    fn port_ranges_with_all_protocols_and_null_bounds() {
        let r = |p: Json, f: Json, to: Json, port| port_range_includes(&p, &f, &to, port).unwrap();
        assert!(r(json!("-1"), json!(null), json!(null), 22));
        assert!(r(json!(-1), json!(0), json!(0), 3389));
        assert!(r(json!("tcp"), json!(null), json!(null), 22));
        assert!(r(json!("tcp"), json!(0), json!(65535), 22));
        assert!(r(json!("tcp"), json!(22), json!(22), 22));
        assert!(!r(json!("tcp"), json!(80), json!(443), 22));
        assert!(r(json!("6"), json!("20"), json!("25"), 22));
        assert!(!r(json!("icmp"), json!(-1), json!(-1), 22));
        assert!(port_range_includes(&json!("tcp"), &json!("x"), &json!(1), 22).is_err());
        assert_eq!(
            t(
                "port_range_includes(d.p, d.f, d.t, 22)",
                json!({"p": "tcp", "f": 0, "t": 100})
            ),
            json!(true)
        );
        assert_eq!(
            t("port_range_includes('-1', null, null, 3389)", json!(null)),
            json!(true)
        );
    }

    #[test]
    fn azure_port_specs() {
        let s = |spec: Json, port| port_spec_includes(&spec, port).unwrap();
        assert!(s(json!("*"), 22));
        assert!(s(json!("22"), 22));
        assert!(s(json!("20-25"), 22));
        assert!(!s(json!("3389"), 22));
        assert!(s(json!(["80", "443", "3380-3390"]), 3389));
        assert!(!s(json!([]), 22));
        assert!(!s(json!(null), 22));
        assert!(port_spec_includes(&json!("ssh"), 22).is_err());
        assert_eq!(
            t("port_spec_includes(d, 3389)", json!(["3389"])),
            json!(true)
        );
    }

    #[test]
    fn days_since_reads_iso_strings_and_epochs() {
        let n = now();
        assert_eq!(days_since(&json!("2026-11-13T12:00:00Z"), n).unwrap(), 10);
        assert_eq!(
            days_since(&json!("2026-11-13T13:00:00+01:00"), n).unwrap(),
            10
        );
        assert_eq!(
            days_since(&json!("2026-11-13T12:00:00+0000"), n).unwrap(),
            10
        );
        assert_eq!(
            days_since(&json!("2026-11-13T12:00:01.000Z"), n).unwrap(),
            9
        );
        assert_eq!(days_since(&json!("2026-11-13"), n).unwrap(), 10);
        assert_eq!(days_since(&json!("2026-11-13 12:00:00"), n).unwrap(), 10);
        let ten_days_ms = (n - chrono::Duration::days(10)).timestamp_millis();
        assert_eq!(days_since(&json!(ten_days_ms), n).unwrap(), 10);
        assert_eq!(days_since(&json!(ten_days_ms / 1000), n).unwrap(), 10);
        assert_eq!(days_since(&json!(ten_days_ms as f64), n).unwrap(), 10);
        assert_eq!(days_since(&json!("2026-11-24T12:00:00Z"), n).unwrap(), -1);
        assert!(days_since(&json!("N/A"), n)
            .unwrap_err()
            .contains("not a time"));
        assert!(days_since(&json!(true), n).is_err());
        // Through CEL: the clock is injected, never read from the system.
        assert_eq!(
            t("days_since(d)", json!("2026-01-01T00:00:00Z")),
            json!(326)
        );
        assert_eq!(
            t("days_since(timestamp('2026-11-22T12:00:00Z'))", json!(null)),
            json!(1)
        );
        assert!(eval("days_since('soon')", json!(null))
            .unwrap_err()
            .contains("days_since"));
    }

    #[test]
    fn matches_caches_and_reports_bad_patterns() {
        assert_eq!(
            t("d.matches('^prod-[a-z]+$')", json!("prod-web")),
            json!(true)
        );
        assert_eq!(t("matches(d, '^prod-')", json!("dev-web")), json!(false));
        assert!(eval("matches(d, '(')", json!("x"))
            .unwrap_err()
            .contains("invalid regular expression"));
        let cache = RegexCache::default();
        assert!(cache.is_match("abc", "b").unwrap());
        assert!(!cache.is_match("xyz", "b").unwrap());
        assert_eq!(cache.0.read().unwrap().len(), 1);
    }

    #[test]
    fn extensions_are_available() {
        assert_eq!(
            t("'A,B'.lowerAscii().split(',')", json!(null)),
            json!(["a", "b"])
        );
        assert_eq!(t("['a', 'b'].join('-')", json!(null)), json!("a-b"));
        assert_eq!(t("'  x '.trim()", json!(null)), json!("x"));
        assert_eq!(t("math.greatest(1, 5, 3)", json!(null)), json!(5));
    }
}
