//! Pure evaluation: resources in, findings out (DESIGN.md, Statuses). Each resource is
//! converted to a CEL value once and every applicable check runs on it against one shared
//! base context; per check only a child scope with a borrowing variable resolver is made.

use std::collections::{BTreeSet, HashMap};

use cel::common::types::{CelBool, CelInt, CelList, CelString};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Context, ExecutionError};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

use super::file::CheckScope;
use super::functions::{self, RegexCache, NOW_VAR, REGEX_VAR};
use super::load::{Check, Expression, Part};
use super::value;
use crate::model::{CollectionError, Evidence, Finding, FindingStatus, Provider, Resource, Source};

/// Evaluates a fixed set of checks at a fixed time. `Sync`: share it across rayon workers.
pub struct Evaluator<'a> {
    checks: &'a [Check],
    base: Context<'static, 'static>,
    /// Each check's `params` as a CEL value, by check index.
    params: Vec<Box<dyn Val>>,
    /// Resource-scope check indexes by (provider, type); Azure types lower-cased.
    by_type: HashMap<(Provider, String), Vec<usize>>,
}

/// The variables one evaluation sees, borrowed (no copy per check).
struct Vars<'a>(Vec<(&'static str, &'a (dyn Val + 'a))>);

impl VariableResolver for Vars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        self.0
            .iter()
            .find(|(n, _)| *n == variable)
            .map(|(_, v)| CowVal::Borrowed(*v))
    }
}

/// Shortens the base context's lifetimes to a borrow's (Context is covariant in both).
fn scoped<'s>(c: &'s Context<'static, 'static>) -> &'s Context<'s, 's> {
    c
}

fn type_key(provider: Provider, t: &str) -> (Provider, String) {
    match provider {
        Provider::Aws => (provider, t.to_string()),
        Provider::Azure => (provider, t.to_ascii_lowercase()),
    }
}

/// How an evaluation went before it becomes a finding.
enum Verdict {
    NotApplicable,
    Pass,
    Fail(String),
    Error(String),
}

impl<'a> Evaluator<'a> {
    pub fn new(checks: &'a [Check], now: DateTime<Utc>) -> Self {
        let env = std::sync::Arc::new(functions::env());
        let mut base = Context::with_env(env);
        base.add_variable_as_val(NOW_VAR, Box::new(CelInt::from(now.timestamp_millis())));
        base.add_variable_as_val(REGEX_VAR, Box::new(RegexCache::default()));
        let params = checks
            .iter()
            .map(|c| value::from_json_owned(Json::Object(c.params.clone().into_iter().collect())))
            .collect();
        let mut by_type: HashMap<(Provider, String), Vec<usize>> = HashMap::new();
        for (i, c) in checks.iter().enumerate() {
            if c.scope == CheckScope::Resource {
                let types: BTreeSet<_> = c
                    .resource_types
                    .iter()
                    .map(|t| type_key(c.provider, t))
                    .collect();
                for k in types {
                    by_type.entry(k).or_default().push(i);
                }
            }
        }
        Evaluator {
            checks,
            base,
            params,
            by_type,
        }
    }

    /// Union of all checks' resource types (drives collection).
    pub fn resource_types(&self) -> BTreeSet<String> {
        super::load::all_types(self.checks)
    }

    /// Types the scan must keep in memory for account-scope checks.
    pub fn account_scope_types(&self) -> BTreeSet<String> {
        self.checks
            .iter()
            .filter(|c| c.scope == CheckScope::Account)
            .flat_map(|c| c.resource_types.iter().cloned())
            .collect()
    }

    /// Every resource-scope check that reads `r`'s type, in check id order. Pure.
    pub fn evaluate_resource(&self, r: &Resource) -> Vec<Finding> {
        let key = type_key(r.provider, &r.resource_type);
        let Some(indexes) = self.by_type.get(&key) else {
            return Vec::new();
        };
        let resource = value::resource(r);
        indexes
            .iter()
            .map(|&i| {
                let check = &self.checks[i];
                let vars = Vars(vec![
                    ("resource", resource.as_ref()),
                    ("params", self.params[i].as_ref()),
                ]);
                let verdict = self.run(check, &vars);
                let (status, message) = split(check, verdict);
                let evidence = if matches!(status, FindingStatus::Fail | FindingStatus::Error) {
                    check
                        .evidence
                        .iter()
                        .map(|p| Evidence {
                            path: p.clone(),
                            value: evidence_value(r, p),
                        })
                        .collect()
                } else {
                    Vec::new()
                };
                Finding {
                    check_id: check.id.clone(),
                    status,
                    severity: check.severity,
                    provider: r.provider,
                    account: r.account.clone(),
                    region: r.region.clone(),
                    resource_type: r.resource_type.clone(),
                    resource_id: r.id.clone(),
                    resource_name: r.name.clone(),
                    message,
                    evidence,
                    accepted: None,
                }
            })
            .collect()
    }

    /// Account-scope checks of `source.provider` for one account. A collection error that
    /// covers one of a check's types makes its finding `error`, never `pass`.
    pub fn evaluate_account(
        &self,
        source: &Source,
        resources: &[&Resource],
        errors: &[CollectionError],
    ) -> Vec<Finding> {
        let converted: Vec<(&Resource, Box<dyn Val + '_>)> =
            resources.iter().map(|r| (*r, value::resource(r))).collect();
        let account = CelString::from(source.account.as_str());
        let provider = CelString::from(source.provider.as_str());
        let mut out = Vec::new();
        for (i, check) in self.checks.iter().enumerate() {
            if check.scope != CheckScope::Account || check.provider != source.provider {
                continue;
            }
            let gaps: Vec<&CollectionError> = errors
                .iter()
                .filter(|e| {
                    check
                        .resource_types
                        .iter()
                        .any(|t| e.covers(source.provider, &source.account, None, t))
                })
                .collect();
            let (status, message) = if !gaps.is_empty() {
                (FindingStatus::Error, gap_message(check, &gaps))
            } else {
                let list: Vec<Box<dyn Val + '_>> = converted
                    .iter()
                    .filter(|(r, _)| {
                        r.provider == source.provider
                            && r.account == source.account
                            && check.reads_type(&r.resource_type)
                    })
                    .map(|(_, v)| Box::new(value::Shared(v.as_ref())) as Box<dyn Val + '_>)
                    .collect();
                let list = CelList::from(list);
                let vars = Vars(vec![
                    ("account", &account as &dyn Val),
                    ("provider", &provider),
                    ("resources", &list),
                    ("params", self.params[i].as_ref()),
                ]);
                split(check, self.run(check, &vars))
            };
            let (rtype, name) = account_resource(source.provider);
            out.push(Finding {
                check_id: check.id.clone(),
                status,
                severity: check.severity,
                provider: source.provider,
                account: source.account.clone(),
                region: "global".into(),
                resource_type: rtype.into(),
                resource_id: format!("{}/{}", source.provider, source.account),
                resource_name: format!("{name} {}", source.account),
                message,
                evidence: Vec::new(),
                accepted: None,
            });
        }
        out
    }

    /// One `error` finding per (resource-scope check, collection error covering one of its
    /// types): the resources hidden by the gap could not be judged.
    pub fn gap_findings(&self, errors: &[CollectionError]) -> Vec<Finding> {
        let mut out = Vec::new();
        for check in self
            .checks
            .iter()
            .filter(|c| c.scope == CheckScope::Resource)
        {
            for e in errors.iter().filter(|e| e.provider == check.provider) {
                let covered: Vec<&str> = match &e.resource_type {
                    Some(t) if check.reads_type(t) => vec![t.as_str()],
                    Some(_) => continue,
                    None => check.resource_types.iter().map(String::as_str).collect(),
                };
                // A regional gap does not hide global types (IAM).
                let covered: Vec<&str> = covered
                    .into_iter()
                    .filter(|t| e.covers(e.provider, &e.account, e.region.as_deref(), t))
                    .collect();
                if covered.is_empty() {
                    continue;
                }
                let region = e.region.clone().unwrap_or_else(|| "*".into());
                let types = covered.join(",");
                out.push(Finding {
                    check_id: check.id.clone(),
                    status: FindingStatus::Error,
                    severity: check.severity,
                    provider: e.provider,
                    account: e.account.clone(),
                    region: region.clone(),
                    resource_type: types.clone(),
                    resource_id: format!("{}/{}/{region}/{types}", e.provider, e.account),
                    resource_name: types.clone(),
                    message: gap_message(check, &[e]),
                    evidence: Vec::new(),
                    accepted: None,
                });
            }
        }
        out.sort_by(|a, b| (&a.check_id, &a.resource_id).cmp(&(&b.check_id, &b.resource_id)));
        out
    }

    fn run(&self, check: &Check, vars: &Vars<'_>) -> Verdict {
        let base = scoped(&self.base);
        let mut ctx = base.new_inner_scope();
        ctx.set_variable_resolver(vars);
        if let Some(when) = &check.when {
            match exec_bool(when, &ctx) {
                Ok(true) => {}
                Ok(false) => return Verdict::NotApplicable,
                Err(e) => return Verdict::Error(format!("{}: `when` failed: {e}", check.id)),
            }
        }
        match exec_bool(&check.assert, &ctx) {
            Ok(true) => Verdict::Pass,
            Ok(false) => Verdict::Fail(render(check, &ctx)),
            Err(e) => Verdict::Error(format!("{}: `assert` failed: {e}", check.id)),
        }
    }
}

fn split(check: &Check, v: Verdict) -> (FindingStatus, String) {
    match v {
        Verdict::NotApplicable => (
            FindingStatus::NotApplicable,
            "not in the scope of this check".into(),
        ),
        Verdict::Pass => (FindingStatus::Pass, check.title.clone()),
        Verdict::Fail(m) => (FindingStatus::Fail, m),
        Verdict::Error(m) => (FindingStatus::Error, m),
    }
}

fn account_resource(p: Provider) -> (&'static str, &'static str) {
    match p {
        Provider::Aws => ("AWS::::Account", "account"),
        Provider::Azure => ("microsoft.resources/subscriptions", "subscription"),
    }
}

fn gap_message(check: &Check, gaps: &[&CollectionError]) -> String {
    let what: Vec<String> = gaps
        .iter()
        .map(|e| format!("{} ({}: {})", e.location(), e.kind.as_str(), e.message))
        .collect();
    format!(
        "{}: could not read the data this check needs: {}; grant read access or retry, then scan again",
        check.id,
        what.join("; ")
    )
}

fn exec_bool(e: &Expression, ctx: &Context<'_, '_>) -> Result<bool, String> {
    let v = cel::Value::resolve_val(e.program.expression(), ctx).map_err(|e| describe(&e))?;
    v.downcast_ref::<CelBool>()
        .map(|b| *b.inner())
        .ok_or_else(|| {
            format!(
                "the expression returned {} `{}` instead of true or false",
                v.get_type().name(),
                value::display(&*v)
            )
        })
}

/// A runtime error in words a check author can act on.
pub(crate) fn describe(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => {
            format!("field `{k}` is missing (guard optional data with has(), `in` or dig())")
        }
        ExecutionError::UndeclaredReference(n) => format!("unknown name `{n}`"),
        ExecutionError::FunctionError { function, message } => format!("{function}(): {message}"),
        other => other.to_string(),
    }
}

fn render(check: &Check, ctx: &Context<'_, '_>) -> String {
    let mut out = String::new();
    for part in &check.message_parts {
        match part {
            Part::Text(t) => out.push_str(t),
            Part::Expr(e) => match cel::Value::resolve_val(e.program.expression(), ctx) {
                Ok(v) => out.push_str(&value::display(&*v)),
                Err(err) => {
                    out.push('<');
                    out.push_str(&describe(&err));
                    out.push('>');
                }
            },
        }
    }
    if out.trim().is_empty() {
        check.title.clone()
    } else {
        out
    }
}

/// The value at a dotted path of the resource as check authors see it; null when absent.
fn evidence_value(r: &Resource, path: &str) -> Json {
    let mut steps = path.split('.');
    let root = steps.next().unwrap_or("");
    let mut cur: Json = match root {
        "config" => return walk(&r.config, steps),
        "tags" => Json::Object(
            r.tags
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect(),
        ),
        "provider" => Json::String(r.provider.as_str().into()),
        "account" => Json::String(r.account.clone()),
        "region" => Json::String(r.region.clone()),
        "type" => Json::String(r.resource_type.clone()),
        "id" => Json::String(r.id.clone()),
        "name" => Json::String(r.name.clone()),
        _ => Json::Null,
    };
    cur = walk(&cur, steps);
    cur
}

fn walk<'p>(v: &Json, steps: impl Iterator<Item = &'p str>) -> Json {
    let mut cur = v;
    for s in steps {
        let next = match cur {
            Json::Object(m) => m.get(s),
            Json::Array(a) => s.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => return Json::Null,
        }
    }
    cur.clone()
}
