//! Running a check's `[[examples]]`: the same evaluator as a scan, on the example's
//! synthetic resources. Used by `annexa checks test DIR` and the meta-tests.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::eval::Evaluator;
use super::file::CheckScope;
use super::load::Check;
use crate::model::{FindingStatus, Source};

/// What one example gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExampleOutcome {
    pub check_id: String,
    pub name: String,
    pub expected: FindingStatus,
    pub got: FindingStatus,
    /// The finding's message: the failure text, or the reason of an error.
    pub message: String,
}

impl ExampleOutcome {
    pub fn passed(&self) -> bool {
        self.expected == self.got
    }
}

/// Runs every example of `check` at time `now`, in file order.
pub fn run_examples(check: &Check, now: DateTime<Utc>) -> Vec<ExampleOutcome> {
    check
        .examples
        .iter()
        .map(|ex| {
            let mut c = check.clone();
            c.params
                .extend(ex.params.iter().map(|(k, v)| (k.clone(), v.clone())));
            let checks = std::slice::from_ref(&c);
            let ev = Evaluator::new(checks, now);
            let finding = match check.scope {
                CheckScope::Resource => ex
                    .resources
                    .first()
                    .and_then(|r| ev.evaluate_resource(r).into_iter().next()),
                CheckScope::Account => {
                    let source = Source {
                        provider: check.provider,
                        account: ex.resources.first().map_or_else(
                            || match check.provider {
                                crate::model::Provider::Aws => "123456789012".to_string(),
                                crate::model::Provider::Azure => {
                                    "00000000-0000-0000-0000-000000000000".to_string()
                                }
                            },
                            |r| r.account.clone(),
                        ),
                        regions: vec![],
                        principal: None,
                    };
                    let refs: Vec<_> = ex.resources.iter().collect();
                    ev.evaluate_account(&source, &refs, &[]).into_iter().next()
                }
            };
            let (got, message) = match finding {
                Some(f) => (f.status, f.message),
                None => (
                    FindingStatus::NotApplicable,
                    "the example's resource type is not one the check reads".to_string(),
                ),
            };
            ExampleOutcome {
                check_id: check.id.clone(),
                name: ex.name.clone(),
                expected: ex.expect,
                got,
                message,
            }
        })
        .collect()
}
