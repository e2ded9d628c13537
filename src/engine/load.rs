//! Loading checks: discover files, derive ids from paths, parse TOML, compile every CEL
//! expression once and validate the names it uses, so that a typo fails at load with file,
//! field and position instead of during a scan. Built-in checks and a user's `--checks DIR`
//! go through the same code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cel::common::ast::{Expr, IdedExpr, LiteralValue};
use cel::{Context, Env, Program};
use include_dir::{include_dir, Dir};
use serde_json::Value as Json;

use super::file::{toml_to_json, CheckFile, CheckScope, CheckStatus, ExampleFile};
use super::functions::{self, NOW_VAR, REGEX_VAR};
use super::template::{self, RawPart};
use super::value::RESOURCE_FIELDS;
use crate::model::{CheckInfo, FindingStatus, Provider, Remediation, Resource, Severity};

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/checks");

/// Why checks could not be loaded. Every variant says where and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:{line}:{column}: {message}")]
    Toml {
        origin: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: {message}")]
    Layout { origin: String, message: String },
    #[error("{origin}:{line}:{column}: field `{field}`: {message}")]
    Expression {
        origin: String,
        field: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{origin}: field `{field}`: {message}")]
    Field {
        origin: String,
        field: String,
        message: String,
    },
    #[error("check id `{id}` is defined twice: in {first} and in {second}; rename or remove one of them")]
    DuplicateId {
        id: String,
        first: String,
        second: String,
    },
    #[error("{origin}: [params.\"{check}\"]: {message}")]
    Param {
        origin: String,
        check: String,
        message: String,
    },
}

/// A compiled CEL expression with its source text.
#[derive(Debug, Clone)]
pub struct Expression {
    pub source: String,
    pub(crate) program: Arc<Program>,
}

/// A piece of a compiled `message` template.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text(String),
    Expr(Expression),
}

/// One runnable example of a check: the resources it evaluates (one for resource scope).
#[derive(Debug, Clone)]
pub struct Example {
    pub name: String,
    pub expect: FindingStatus,
    pub resources: Vec<Resource>,
    /// Parameter overrides for this example.
    pub params: BTreeMap<String, Json>,
}

/// A loaded, compiled and validated check.
#[derive(Debug, Clone)]
pub struct Check {
    /// `provider.service.name`, from the file's path.
    pub id: String,
    pub provider: Provider,
    pub service: String,
    /// Where it was loaded from: `checks/aws/s3/x.toml` for built-ins, the file path otherwise.
    pub origin: String,
    pub scope: CheckScope,
    pub title: String,
    pub severity: Severity,
    pub resource_types: Vec<String>,
    pub description: String,
    pub risk: String,
    pub remediation: Remediation,
    pub since: String,
    pub status: CheckStatus,
    /// Effective parameters: the file's defaults with the user's overrides.
    pub params: BTreeMap<String, Json>,
    pub examples: Vec<Example>,
    /// Dotted paths into the resource shown as evidence on failing findings.
    pub evidence: Vec<String>,
    pub when: Option<Expression>,
    pub assert: Expression,
    /// The message template as written.
    pub message: String,
    pub(crate) message_parts: Vec<Part>,
}

impl Check {
    /// What reports need to know about the check; `controls` come from the mapping.
    pub fn info(&self, controls: Vec<String>) -> CheckInfo {
        CheckInfo {
            id: self.id.clone(),
            provider: self.provider,
            service: self.service.clone(),
            title: self.title.clone(),
            severity: self.severity,
            resource_types: self.resource_types.clone(),
            description: self.description.clone(),
            risk: self.risk.clone(),
            remediation: self.remediation.clone(),
            controls,
            params: self.params.clone(),
        }
    }

    /// Does this check read resources of `resource_type`? Azure types compare case-insensitively.
    pub fn reads_type(&self, resource_type: &str) -> bool {
        self.resource_types
            .iter()
            .any(|t| same_type(self.provider, t, resource_type))
    }
}

pub(crate) fn same_type(provider: Provider, a: &str, b: &str) -> bool {
    match provider {
        Provider::Aws => a == b,
        Provider::Azure => a.eq_ignore_ascii_case(b),
    }
}

/// A set of checks, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    checks: Vec<Check>,
}

impl Catalog {
    /// The built-in checks embedded from `checks/`.
    pub fn builtin() -> Result<Catalog, LoadError> {
        let mut files = Vec::new();
        collect_embedded(&BUILTIN, &mut files);
        let mut loader = Loader::new();
        let mut checks = Vec::new();
        for (rel, text) in files {
            let origin = format!("checks/{}", rel.display());
            let text = std::str::from_utf8(text).map_err(|e| LoadError::Layout {
                origin: origin.clone(),
                message: format!("not UTF-8 text: {e}"),
            })?;
            checks.push(loader.load(&rel, &origin, text)?);
        }
        Catalog::from_checks(checks)
    }

    /// A user's check directory: `DIR/<provider>/<service>/<name>.toml`; other files are ignored.
    pub fn load_dir(dir: &Path) -> Result<Catalog, LoadError> {
        let io = |path: &Path, source| LoadError::Io {
            path: path.display().to_string(),
            source,
        };
        if !dir.is_dir() {
            return Err(LoadError::Io {
                path: dir.display().to_string(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
            });
        }
        let mut files = Vec::new();
        walk_dir(dir, dir, &mut files).map_err(|(p, e)| io(&p, e))?;
        files.sort();
        let mut loader = Loader::new();
        let mut checks = Vec::new();
        for rel in files {
            let path = dir.join(&rel);
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            checks.push(loader.load(&rel, &path.display().to_string(), &text)?);
        }
        Catalog::from_checks(checks)
    }

    /// Parses one check file's text (for tests and tools); `rel` is its path below the root.
    pub fn load_str(rel: &Path, origin: &str, text: &str) -> Result<Check, LoadError> {
        Loader::new().load(rel, origin, text)
    }

    pub fn from_checks(mut checks: Vec<Check>) -> Result<Catalog, LoadError> {
        checks.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = checks.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(LoadError::DuplicateId {
                id: w[0].id.clone(),
                first: w[0].origin.clone(),
                second: w[1].origin.clone(),
            });
        }
        Ok(Catalog { checks })
    }

    /// Both catalogs; an id in both is an error naming both files.
    pub fn merge(self, other: Catalog) -> Result<Catalog, LoadError> {
        let mut all = self.checks;
        all.extend(other.checks);
        Catalog::from_checks(all)
    }

    pub fn checks(&self) -> &[Check] {
        &self.checks
    }

    pub fn get(&self, id: &str) -> Option<&Check> {
        self.checks
            .binary_search_by(|c| c.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.checks[i])
    }

    pub fn retain(&mut self, keep: impl FnMut(&Check) -> bool) {
        self.checks.retain(keep);
    }

    /// annexa.toml `[params."<check id>"]` overrides. An unknown check or parameter, or a
    /// value of another type than the default, is an error naming `origin`, check and param.
    pub fn set_params(
        &mut self,
        check_id: &str,
        values: &toml::Table,
        origin: &str,
    ) -> Result<(), LoadError> {
        let err = |message: String| LoadError::Param {
            origin: origin.to_string(),
            check: check_id.to_string(),
            message,
        };
        let i = self
            .checks
            .binary_search_by(|c| c.id.as_str().cmp(check_id))
            .map_err(|_| err("no check has this id; `annexa checks list` shows the ids".into()))?;
        let check = &mut self.checks[i];
        for (name, value) in values {
            let Some(default) = check.params.get(name) else {
                let known: Vec<&str> = check.params.keys().map(String::as_str).collect();
                return Err(err(format!(
                    "the check has no parameter `{name}`; its parameters: {}",
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                )));
            };
            let new = toml_to_json(value);
            let new = match (json_kind(default), json_kind(&new)) {
                (a, b) if a == b => new,
                ("float", "integer") => Json::from(new.as_f64().unwrap_or_default()),
                (want, got) => {
                    return Err(err(format!(
                        "parameter `{name}` takes a {want} (default {default}), got a {got} ({new})"
                    )))
                }
            };
            check.params.insert(name.clone(), new);
        }
        Ok(())
    }
}

fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "integer",
        Json::String(_) => "string",
        Json::Array(_) => "list",
        Json::Object(_) => "table",
    }
}

fn collect_embedded<'a>(dir: &'a Dir<'a>, out: &mut Vec<(PathBuf, &'a [u8])>) {
    for f in dir.files() {
        if f.path().extension().is_some_and(|e| e == "toml") {
            out.push((f.path().to_path_buf(), f.contents()));
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    out: &mut Vec<PathBuf>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let entries = std::fs::read_dir(dir).map_err(|e| (dir.to_path_buf(), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| (dir.to_path_buf(), e))?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        if path.is_dir() {
            walk_dir(root, &path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
        }
    }
    Ok(())
}

/// `aws/s3/bucket-x.toml` -> (aws, s3, bucket-x).
fn id_from_path(rel: &Path) -> Result<(Provider, String, String), String> {
    let parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let layout =
        "a check file must be at <provider>/<service>/<name>.toml (provider aws or azure; \
                  service and name in lower case letters, digits and dashes); move or rename it";
    let [provider, service, file] = parts.as_slice() else {
        return Err(layout.to_string());
    };
    let name = file.strip_suffix(".toml").ok_or(layout)?;
    let provider: Provider = match provider.as_str() {
        "aws" => Provider::Aws,
        "azure" => Provider::Azure,
        _ => return Err(layout.to_string()),
    };
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
    };
    if !ok(service) || !ok(name) {
        return Err(layout.to_string());
    }
    Ok((provider, service.clone(), name.to_string()))
}

/// Byte offset -> 1-based line and column (in characters).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Where the content of a TOML string value starts, given the span of the value (quotes
/// included). Exact for literal strings and escape-free basic strings.
fn content_start(text: &str, span: &Range<usize>) -> usize {
    let raw = text.get(span.clone()).unwrap_or("");
    let mut start = span.start;
    if raw.starts_with("'''") || raw.starts_with("\"\"\"") {
        start += 3;
        if text[start..].starts_with("\r\n") {
            start += 2;
        } else if text[start..].starts_with('\n') {
            start += 1;
        }
    } else if raw.starts_with('\'') || raw.starts_with('"') {
        start += 1;
    }
    start
}

struct Loader {
    env: Arc<Env>,
    probe: Context<'static, 'static>,
    known: HashMap<(String, bool), bool>,
}

impl Loader {
    fn new() -> Loader {
        let env = Arc::new(functions::env());
        let mut probe = Context::with_env(env.clone());
        probe.add_variable_as_val(NOW_VAR, Box::new(cel::common::types::CelInt::from(0)));
        probe.add_variable_as_val(REGEX_VAR, Box::new(functions::RegexCache::default()));
        Loader {
            env,
            probe,
            known: HashMap::new(),
        }
    }

    fn load(&mut self, rel: &Path, origin: &str, text: &str) -> Result<Check, LoadError> {
        let (provider, service, name) = id_from_path(rel).map_err(|message| LoadError::Layout {
            origin: origin.to_string(),
            message,
        })?;
        let id = format!("{}.{service}.{name}", provider.as_str());
        let file: CheckFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            LoadError::Toml {
                origin: origin.to_string(),
                line,
                column,
                message: format!(
                    "{} (docs/check-format.md lists the keys a check file may have)",
                    e.message().trim_end()
                ),
            }
        })?;
        let field_err = |field: &str, message: String| LoadError::Field {
            origin: origin.to_string(),
            field: field.to_string(),
            message,
        };
        for (field, value) in [
            ("title", &file.title),
            ("description", &file.description),
            ("risk", &file.risk),
        ] {
            if value.trim().is_empty() {
                return Err(field_err(field, "must not be empty".into()));
            }
        }
        if file.resource_types.is_empty() {
            return Err(field_err(
                "resource_types",
                "list at least one resource type the check reads".into(),
            ));
        }
        for t in &file.resource_types {
            let fits = match provider {
                Provider::Aws => t.starts_with("AWS::") && t.matches("::").count() == 2,
                Provider::Azure => {
                    t.to_ascii_lowercase().starts_with("microsoft.") && t.contains('/')
                }
            };
            if !fits {
                return Err(field_err(
                    "resource_types",
                    format!(
                        "`{t}` is not a {} resource type (AWS: `AWS::S3::Bucket`; Azure: `microsoft.storage/storageaccounts`)",
                        provider.as_str()
                    ),
                ));
            }
        }
        let params: BTreeMap<String, Json> = file
            .params
            .iter()
            .map(|(k, v)| (k.clone(), toml_to_json(v)))
            .collect();
        let roots: &[&str] = match file.scope {
            CheckScope::Resource => &["resource", "params"],
            CheckScope::Account => &["account", "provider", "resources", "params"],
        };
        let v = Validation {
            origin,
            text,
            roots,
            params: &params,
        };
        let when = match &file.when {
            Some(w) => {
                Some(self.compile(&v, "when", w.get_ref(), content_start(text, &w.span()), 0)?)
            }
            None => None,
        };
        let assert = self.compile(
            &v,
            "assert",
            file.assert.get_ref(),
            content_start(text, &file.assert.span()),
            0,
        )?;
        let msg_start = content_start(text, &file.message.span());
        let message = file.message.get_ref().clone();
        let raw = template::split(&message).map_err(|(offset, reason)| {
            let (line, column) = line_col(text, msg_start + offset);
            LoadError::Expression {
                origin: origin.into(),
                field: "message".into(),
                line,
                column,
                message: reason,
            }
        })?;
        let mut message_parts = Vec::new();
        for part in raw {
            message_parts.push(match part {
                RawPart::Text(t) => Part::Text(t),
                RawPart::Expr { offset, source } => {
                    Part::Expr(self.compile(&v, "message", &source, msg_start, offset)?)
                }
            });
        }
        if file.scope == CheckScope::Resource {
            for path in &file.evidence {
                let root = path.split('.').next().unwrap_or("");
                if !RESOURCE_FIELDS.contains(&root) {
                    return Err(field_err(
                        "evidence",
                        format!(
                            "`{path}` does not start with a resource field ({}); write e.g. `config.configuration.x`",
                            RESOURCE_FIELDS.join(", ")
                        ),
                    ));
                }
            }
        }
        let examples = file
            .examples
            .iter()
            .map(|e| example(e, provider, &service, &file))
            .collect::<Result<Vec<_>, String>>()
            .map_err(|m| field_err("examples", m))?;
        Ok(Check {
            id,
            provider,
            service,
            origin: origin.to_string(),
            scope: file.scope,
            title: file.title,
            severity: file.severity,
            resource_types: file.resource_types,
            description: file.description,
            risk: file.risk,
            remediation: file.remediation,
            since: file.since,
            status: file.status,
            params,
            examples,
            evidence: file.evidence,
            when,
            assert,
            message,
            message_parts,
        })
    }

    /// Compiles `source` (found at byte `base + offset` of the file, `offset` being where it
    /// sits in the field's value) and validates the names it uses.
    fn compile(
        &mut self,
        v: &Validation<'_>,
        field: &str,
        source: &str,
        base: usize,
        offset: usize,
    ) -> Result<Expression, LoadError> {
        // Position of byte `at` of `source` in the TOML file.
        let locate = |at: usize| line_col(v.text, base + offset + at);
        let error = |at: usize, message: String| {
            let (line, column) = locate(at);
            LoadError::Expression {
                origin: v.origin.to_string(),
                field: field.to_string(),
                line,
                column,
                message,
            }
        };
        let program = self.env.compile(source).map_err(|errs| {
            let first = errs.errors.first();
            let (l, c) = first.map_or((1, 1), |e| {
                (e.pos.0.max(1) as usize, e.pos.1.max(1) as usize)
            });
            let at = byte_of(source, l, c);
            let msg = errs
                .errors
                .iter()
                .map(|e| e.msg.clone())
                .collect::<Vec<_>>()
                .join("; ");
            error(at, format!("CEL syntax error: {msg}"))
        })?;
        let mut scope = Vec::new();
        if let Err((id, message)) = self.validate(program.expression(), v, &mut scope) {
            let at = program
                .source_info()
                .offset_for(id)
                .map_or(0, |(s, _)| s as usize);
            return Err(error(at, message));
        }
        Ok(Expression {
            source: source.to_string(),
            program: Arc::new(program),
        })
    }

    /// Is `name` a function (global, or member when `member`) of the environment? Probed by
    /// calling it without arguments: only an undeclared name reports `UndeclaredReference`.
    fn is_function(&mut self, name: &str, member: bool) -> bool {
        let key = (name.to_string(), member);
        if let Some(k) = self.known.get(&key) {
            return *k;
        }
        let target = member.then(|| {
            Box::new(IdedExpr {
                id: 1,
                expr: Expr::Literal(LiteralValue::Null),
            })
        });
        let call = IdedExpr {
            id: 2,
            expr: Expr::Call(cel::common::ast::CallExpr {
                func_name: name.to_string(),
                target,
                args: vec![],
            }),
        };
        let known = !matches!(
            cel::Value::resolve_val(&call, &self.probe),
            Err(cel::ExecutionError::UndeclaredReference(_))
        );
        self.known.insert(key, known);
        known
    }

    /// Type names (`int`, `string`, ...) resolve as identifiers too.
    fn is_type_name(&self, name: &str) -> bool {
        let e = IdedExpr {
            id: 1,
            expr: Expr::Ident(name.to_string()),
        };
        cel::Value::resolve_val(&e, &self.probe).is_ok()
    }

    fn validate(
        &mut self,
        e: &IdedExpr,
        v: &Validation<'_>,
        scope: &mut Vec<String>,
    ) -> Result<(), (u64, String)> {
        match &e.expr {
            Expr::Unspecified | Expr::Literal(_) => Ok(()),
            Expr::Ident(name) => {
                if scope.contains(name)
                    || v.roots.contains(&name.as_str())
                    || name == NOW_VAR
                    || name == REGEX_VAR
                {
                    return Ok(());
                }
                if self.is_type_name(name) {
                    return Ok(());
                }
                Err((e.id, format!(
                    "unknown variable `{name}`; this check can use {} (docs/check-format.md, What an expression sees)",
                    v.roots.iter().map(|r| format!("`{r}`")).collect::<Vec<_>>().join(", ")
                )))
            }
            Expr::Select(sel) => {
                if let Expr::Ident(root) = &sel.operand.expr {
                    if !scope.contains(root) {
                        if root == "resource"
                            && v.roots.contains(&"resource")
                            && !RESOURCE_FIELDS.contains(&sel.field.as_str())
                        {
                            return Err((
                                e.id,
                                format!(
                                    "`resource` has no field `{}`; it has {}",
                                    sel.field,
                                    RESOURCE_FIELDS.join(", ")
                                ),
                            ));
                        }
                        if root == "params" && !v.params.contains_key(&sel.field) {
                            return Err((
                                e.id,
                                format!(
                                    "no parameter `{}`: declare it with its default under [params]",
                                    sel.field
                                ),
                            ));
                        }
                    }
                }
                self.validate(&sel.operand, v, scope)
            }
            Expr::Call(call) => {
                if let Some(target) = &call.target {
                    // `math.greatest(..)`: a namespaced global function, not a member call.
                    if let Some(ns) = qualified_name(target) {
                        if !scope.contains(&ns.split('.').next().unwrap_or("").to_string())
                            && !v.roots.contains(&ns.split('.').next().unwrap_or(""))
                            && self.is_function(&format!("{ns}.{}", call.func_name), false)
                        {
                            return call
                                .args
                                .iter()
                                .try_for_each(|a| self.validate(a, v, scope));
                        }
                    }
                    if !is_operator(&call.func_name) && !self.is_function(&call.func_name, true) {
                        return Err((e.id, unknown_function(&call.func_name, true)));
                    }
                    self.validate(target, v, scope)?;
                } else if !is_operator(&call.func_name) && !self.is_function(&call.func_name, false)
                {
                    return Err((e.id, unknown_function(&call.func_name, false)));
                }
                if call.func_name == "matches" && call.args.len() == 3 {
                    if let Expr::Literal(LiteralValue::String(p)) = &call.args[1].expr {
                        if let Err(err) = regex::Regex::new(p.inner()) {
                            return Err((
                                call.args[1].id,
                                format!("invalid regular expression: {err}"),
                            ));
                        }
                    }
                }
                call.args
                    .iter()
                    .try_for_each(|a| self.validate(a, v, scope))
            }
            Expr::Comprehension(c) => {
                self.validate(&c.iter_range, v, scope)?;
                self.validate(&c.accu_init, v, scope)?;
                let n = scope.len();
                scope.push(c.iter_var.clone());
                scope.extend(c.iter_var2.clone());
                scope.push(c.accu_var.clone());
                let r = [&c.loop_cond, &c.loop_step, &c.result]
                    .into_iter()
                    .try_for_each(|x| self.validate(x, v, scope));
                scope.truncate(n);
                r
            }
            Expr::List(l) => l
                .elements
                .iter()
                .try_for_each(|x| self.validate(x, v, scope)),
            Expr::Map(m) => m.entries.iter().try_for_each(|en| match &en.expr {
                cel::common::ast::EntryExpr::MapEntry(me) => {
                    self.validate(&me.key, v, scope)?;
                    self.validate(&me.value, v, scope)
                }
                cel::common::ast::EntryExpr::StructField(sf) => self.validate(&sf.value, v, scope),
            }),
            Expr::Struct(s) => s.entries.iter().try_for_each(|en| match &en.expr {
                cel::common::ast::EntryExpr::MapEntry(me) => {
                    self.validate(&me.key, v, scope)?;
                    self.validate(&me.value, v, scope)
                }
                cel::common::ast::EntryExpr::StructField(sf) => self.validate(&sf.value, v, scope),
            }),
        }
    }
}

struct Validation<'a> {
    origin: &'a str,
    text: &'a str,
    roots: &'a [&'a str],
    params: &'a BTreeMap<String, Json>,
}

fn is_operator(name: &str) -> bool {
    name.starts_with('_') || name.starts_with('@') || name.starts_with('!') || name.starts_with('-')
}

fn unknown_function(name: &str, member: bool) -> String {
    let call = if member {
        format!("x.{name}(..)")
    } else {
        format!("{name}(..)")
    };
    format!(
        "unknown function `{call}`; use a CEL standard function or one of annexa's: {} (docs/check-format.md, Functions)",
        functions::LIBRARY.join(", ")
    )
}

fn qualified_name(e: &IdedExpr) -> Option<String> {
    match &e.expr {
        Expr::Ident(n) => Some(n.clone()),
        Expr::Select(s) if !s.test => {
            qualified_name(&s.operand).map(|p| format!("{p}.{}", s.field))
        }
        _ => None,
    }
}

/// Byte offset in `source` of 1-based (line, column).
fn byte_of(source: &str, line: usize, col: usize) -> usize {
    let mut offset = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(col.saturating_sub(1))
                    .map_or(l.len(), |(b, _)| b);
        }
        offset += l.len();
    }
    source.len()
}

/// A synthetic but realistically shaped resource for an example.
fn example(
    e: &ExampleFile,
    provider: Provider,
    service: &str,
    file: &CheckFile,
) -> Result<Example, String> {
    let ctx = |m: String| format!("example \"{}\": {m}", e.name);
    let json_of = |v: &toml::Value, what: &str| -> Result<Json, String> {
        match v {
            toml::Value::String(s) => serde_json::from_str(s)
                .map_err(|err| ctx(format!("`{what}` is not valid JSON: {err}"))),
            other => Ok(toml_to_json(other)),
        }
    };
    let (account, region) = match provider {
        Provider::Aws => ("123456789012", "eu-west-1"),
        Provider::Azure => ("00000000-0000-0000-0000-000000000000", "westeurope"),
    };
    let make =
        |rtype: &str, name: &str, region: &str, tags: BTreeMap<String, String>, config: Json| {
            let id = match provider {
                Provider::Aws => format!("arn:aws:{service}:{region}:{account}:{name}"),
                Provider::Azure => format!(
                    "/subscriptions/{account}/resourcegroups/example/providers/{}/{}",
                    rtype.to_ascii_lowercase(),
                    name.to_ascii_lowercase()
                ),
            };
            Resource {
                provider,
                account: account.to_string(),
                region: region.to_string(),
                resource_type: rtype.to_string(),
                id,
                name: name.to_string(),
                tags,
                config,
            }
        };
    let tags_of = |t: &Option<toml::Table>| -> BTreeMap<String, String> {
        t.iter()
            .flatten()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect()
    };
    let first_type = file.resource_types.first().cloned().unwrap_or_default();
    let resources = match file.scope {
        CheckScope::Resource => {
            if e.resources.is_some() {
                return Err(ctx(
                    "`resources` is for account-scope checks; give `config`".into(),
                ));
            }
            let config = match &e.config {
                Some(c) => json_of(c, "config")?,
                None => Json::Object(Default::default()),
            };
            let rtype = e.resource_type.clone().unwrap_or(first_type);
            let name = e.resource_name.clone().unwrap_or_else(|| "example".into());
            vec![make(
                &rtype,
                &name,
                e.region.as_deref().unwrap_or(region),
                tags_of(&e.tags),
                config,
            )]
        }
        CheckScope::Account => {
            if e.config.is_some() {
                return Err(ctx(
                    "account-scope examples give `resources` (a JSON list), not `config`".into(),
                ));
            }
            let list = match &e.resources {
                Some(r) => json_of(r, "resources")?,
                None => Json::Array(vec![]),
            };
            let Json::Array(items) = list else {
                return Err(ctx("`resources` must be a list".into()));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let s = |k: &str| item.get(k).and_then(Json::as_str).map(str::to_string);
                    let tags = item
                        .get("tags")
                        .and_then(Json::as_object)
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (k.clone(), v.as_str().unwrap_or_default().to_string())
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    make(
                        &s("type").unwrap_or_else(|| first_type.clone()),
                        &s("name").unwrap_or_else(|| format!("example-{i}")),
                        &s("region").unwrap_or_else(|| region.to_string()),
                        tags,
                        item.get("config")
                            .cloned()
                            .unwrap_or(Json::Object(Default::default())),
                    )
                })
                .collect()
        }
    };
    let params = e
        .params
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), toml_to_json(v)))
        .collect::<BTreeMap<_, _>>();
    for k in params.keys() {
        if !file.params.contains_key(k) {
            return Err(ctx(format!(
                "parameter `{k}` is not declared under [params]"
            )));
        }
    }
    Ok(Example {
        name: e.name.clone(),
        expect: e.expect,
        resources,
        params,
    })
}

/// Every resource type any check in `checks` reads.
pub fn all_types(checks: &[Check]) -> BTreeSet<String> {
    checks
        .iter()
        .flat_map(|c| c.resource_types.iter().cloned())
        .collect()
}
