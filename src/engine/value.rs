//! JSON <-> CEL values. A direct converter (not serde's `to_value`): it borrows strings from the
//! resource instead of copying them and keeps integers as `int`, so `x + 1` works (see
//! reference/cel/README.md, Pitfalls).

use std::collections::HashMap;

use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, CelUInt,
};
use cel::common::value::Val;
use serde_json::Value as Json;

use crate::model::Resource;

/// A CEL value borrowing its strings from `json`.
pub fn from_json<'a>(json: &'a Json) -> Box<dyn Val + 'a> {
    match json {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(*b)),
        Json::Number(n) => number(n),
        Json::String(s) => Box::new(CelString::from(s.as_str())),
        Json::Array(items) => Box::new(CelList::from(
            items.iter().map(from_json).collect::<Vec<_>>(),
        )),
        Json::Object(map) => {
            let mut entries = HashMap::with_capacity(map.len());
            for (k, v) in map {
                entries.insert(CelMapKey::from(k.as_str()), from_json(v));
            }
            Box::new(CelMap::from(entries))
        }
    }
}

/// A CEL value that owns its data (for values computed by functions, e.g. `json()`).
pub fn from_json_owned(json: Json) -> Box<dyn Val + 'static> {
    match json {
        Json::Null => Box::new(CelNull),
        Json::Bool(b) => Box::new(CelBool::from(b)),
        Json::Number(n) => number(&n),
        Json::String(s) => Box::new(CelString::from(s)),
        Json::Array(items) => Box::new(CelList::from(
            items.into_iter().map(from_json_owned).collect::<Vec<_>>(),
        )),
        Json::Object(map) => {
            let mut entries = HashMap::with_capacity(map.len());
            for (k, v) in map {
                entries.insert(CelMapKey::from(k), from_json_owned(v));
            }
            Box::new(CelMap::from(entries))
        }
    }
}

fn number(n: &serde_json::Number) -> Box<dyn Val + 'static> {
    if let Some(i) = n.as_i64() {
        Box::new(CelInt::from(i))
    } else if let Some(u) = n.as_u64() {
        Box::new(CelUInt::from(u))
    } else {
        Box::new(CelDouble::from(n.as_f64().unwrap_or(f64::NAN)))
    }
}

/// The `resource` variable: the resource's fields under the names check authors see
/// (`type` for `resource_type`), strings borrowed.
pub fn resource<'a>(r: &'a Resource) -> Box<dyn Val + 'a> {
    let mut m: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = HashMap::with_capacity(8);
    let s = |v: &'a str| -> Box<dyn Val + 'a> { Box::new(CelString::from(v)) };
    m.insert(CelMapKey::from("provider"), s(r.provider.as_str()));
    m.insert(CelMapKey::from("account"), s(&r.account));
    m.insert(CelMapKey::from("region"), s(&r.region));
    m.insert(CelMapKey::from("type"), s(&r.resource_type));
    m.insert(CelMapKey::from("id"), s(&r.id));
    m.insert(CelMapKey::from("name"), s(&r.name));
    let tags: HashMap<CelMapKey<'a>, Box<dyn Val + 'a>> = r
        .tags
        .iter()
        .map(|(k, v)| (CelMapKey::from(k.as_str()), s(v)))
        .collect();
    m.insert(CelMapKey::from("tags"), Box::new(CelMap::from(tags)));
    m.insert(CelMapKey::from("config"), from_json(&r.config));
    Box::new(CelMap::from(m))
}

/// The fields of `resource` a check may read; anything else is a typo caught at load.
pub const RESOURCE_FIELDS: &[&str] = &[
    "provider", "account", "region", "type", "id", "name", "tags", "config",
];

/// Back to JSON, for functions that analyse whole documents and for messages. Timestamps and
/// durations become strings; types and other opaque values their debug form.
pub fn to_json(v: &dyn Val) -> Json {
    if v.downcast_ref::<CelNull>().is_some() {
        Json::Null
    } else if let Some(b) = v.downcast_ref::<CelBool>() {
        Json::Bool(*b.inner())
    } else if let Some(i) = v.downcast_ref::<CelInt>() {
        Json::from(*i.inner())
    } else if let Some(u) = v.downcast_ref::<CelUInt>() {
        Json::from(*u.inner())
    } else if let Some(d) = v.downcast_ref::<CelDouble>() {
        serde_json::Number::from_f64(*d.inner())
            .map(Json::Number)
            .unwrap_or(Json::Null)
    } else if let Some(s) = v.downcast_ref::<CelString>() {
        Json::String(s.inner().to_string())
    } else if let Some(l) = v.downcast_ref::<CelList>() {
        Json::Array(l.inner().iter().map(|x| to_json(x.as_ref())).collect())
    } else if let Some(m) = v.downcast_ref::<CelMap>() {
        // Sorted keys: messages and evidence must not depend on hash order.
        let mut entries: Vec<(String, Json)> = m
            .inner()
            .iter()
            .map(|(k, v)| (key_string(k), to_json(v.as_ref())))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Json::Object(entries.into_iter().collect())
    } else if let Some(it) = v.as_iterable() {
        let mut out = Vec::new();
        let mut i = it.iter();
        while let Some(x) = i.next() {
            out.push(to_json(x));
        }
        Json::Array(out)
    } else {
        match cel::Value::try_from(v) {
            Ok(cel::Value::Timestamp(t)) => Json::String(t.to_rfc3339()),
            Ok(cel::Value::Duration(d)) => Json::String(format!("{}s", d.num_seconds())),
            _ => Json::String(format!("{v:?}")),
        }
    }
}

fn key_string(k: &CelMapKey<'_>) -> String {
    match k {
        CelMapKey::String(s) => s.inner().to_string(),
        CelMapKey::Int(i) => i.inner().to_string(),
        CelMapKey::UInt(u) => u.inner().to_string(),
        CelMapKey::Bool(b) => b.inner().to_string(),
    }
}

/// A value as text in a message: strings as they are, everything else as compact JSON.
pub fn display(v: &dyn Val) -> String {
    if let Some(s) = v.downcast_ref::<CelString>() {
        return s.inner().to_string();
    }
    match to_json(v) {
        Json::String(s) => s,
        other => other.to_string(),
    }
}

/// A second handle on a value owned elsewhere: cloning it copies a pointer, not the tree.
/// Account-scope checks put every resource of an account into a `resources` list once per
/// check, and a comprehension clones each element it binds; with deep copies that cost grew
/// with checks x resources x document size. Everything below the handle is the real value.
pub struct Shared<'a>(pub &'a (dyn Val + 'a));

impl std::fmt::Debug for Shared<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<'a> Val for Shared<'a> {
    fn get_type(&self) -> &cel::common::types::Type {
        self.0.get_type()
    }
    /// The handle's type is its value's, which varies: it is never named in an overload.
    fn cel_type() -> &'static cel::common::types::Type {
        unreachable!("Shared is never named in an overload signature")
    }
    fn equals(&self, other: &dyn Val) -> bool {
        self.0.equals(other)
    }
    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(Shared(self.0))
    }
    fn as_comparer(&self) -> Option<&dyn cel::common::traits::Comparer> {
        self.0.as_comparer()
    }
    fn as_container(&self) -> Option<&dyn cel::common::traits::Container> {
        self.0.as_container()
    }
    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn cel::common::traits::Indexer + 'v)>
    where
        Self: 'v,
    {
        self.0.as_indexer()
    }
    fn as_iterable<'b, 'v>(&'b self) -> Option<&'b (dyn cel::common::traits::Iterable + 'v)>
    where
        Self: 'v,
    {
        self.0.as_iterable()
    }
    fn as_sizer(&self) -> Option<&dyn cel::common::traits::Sizer> {
        self.0.as_sizer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_stay_int_and_round_trip() {
        let j = json!({"a": 1, "b": [true, null, 2.5, "x"], "c": {"d": u64::MAX}});
        let v = from_json(&j);
        assert_eq!(to_json(v.as_ref()), j);
        let m = v.downcast_ref::<CelMap>().unwrap();
        let a = m.inner().get(&CelMapKey::from("a")).unwrap();
        assert!(
            a.downcast_ref::<CelInt>().is_some(),
            "positive ints must be int, not uint"
        );
        assert_eq!(to_json(from_json_owned(j.clone()).as_ref()), j);
    }

    #[test]
    fn strings_are_borrowed() {
        let j = json!("hello");
        let v = from_json(&j);
        let s = v.downcast_ref::<CelString>().unwrap();
        assert!(std::ptr::eq(s.inner(), j.as_str().unwrap()));
    }

    #[test]
    fn display_keeps_strings_plain() {
        assert_eq!(display(&CelString::from("abc")), "abc");
        assert_eq!(
            display(from_json(&json!({"b": 1, "a": [1]})).as_ref()),
            r#"{"a":[1],"b":1}"#
        );
    }
}
