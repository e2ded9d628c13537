//! One SARIF rule (reportingDescriptor) per evaluated check, with the help a dashboard shows.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use serde_sarif::sarif as s;

use crate::model::{CheckInfo, ControlResult, Severity};

/// GitHub shows 10 tags and rejects more than 20.
pub const MAX_TAGS: usize = 20;

/// SARIF level for a severity: what GitHub shows as Error / Warning / Note.
pub fn level(severity: Severity) -> s::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => s::ResultLevel::Error,
        Severity::Medium => s::ResultLevel::Warning,
        Severity::Low | Severity::Info => s::ResultLevel::Note,
    }
}

/// `aws.s3.bucket-public-access-blocked` -> `AwsS3BucketPublicAccessBlocked` (SARIF rule names
/// are readable identifiers; Pascal case is the convention its validators expect).
pub fn rule_name(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for word in id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out.truncate(255);
    out
}

/// Tags: `security`, the provider, the service, then `<framework>/<control>` until 20.
pub fn tags(check: &CheckInfo, framework: &str) -> Vec<String> {
    // SARIF requires unique tags: a service named like a fixed tag (Azure `security`) is
    // listed once.
    let fixed = [
        "security".to_string(),
        check.provider.as_str().to_string(),
        check.service.to_ascii_lowercase(),
    ];
    let controls = check.controls.iter().map(|c| format!("{framework}/{c}"));
    let mut tags: Vec<String> = Vec::new();
    for t in fixed.into_iter().chain(controls) {
        if tags.len() >= MAX_TAGS {
            break;
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

fn non_empty<'a>(s: &'a str, fallback: &'a str) -> &'a str {
    if s.trim().is_empty() {
        fallback
    } else {
        s
    }
}

/// How the rule help names the framework's controls.
fn controls_heading(framework: &str) -> String {
    match framework {
        "iso27001-2022" => "ISO/IEC 27001:2022 Annex A controls".to_owned(),
        other => format!("{other} controls"),
    }
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn help_text(
    check: &CheckInfo,
    framework: &str,
    titles: &BTreeMap<&str, &ControlResult>,
) -> String {
    let mut t = String::new();
    t.push_str(non_empty(&check.description, &check.title));
    t.push_str("\n\nRisk: ");
    t.push_str(non_empty(&check.risk, "not stated"));
    t.push_str("\n\nRemediation: ");
    t.push_str(non_empty(&check.remediation.text, "not stated"));
    if let Some(cli) = check
        .remediation
        .cli
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        t.push_str("\n\nCLI:\n");
        t.push_str(cli);
    }
    if !check.controls.is_empty() {
        t.push_str(&format!("\n\n{}:", controls_heading(framework)));
        for c in &check.controls {
            match titles.get(c.as_str()) {
                Some(ctl) => t.push_str(&format!("\n- {c} {}", ctl.title)),
                None => t.push_str(&format!("\n- {c}")),
            }
        }
    }
    if !check.remediation.links.is_empty() {
        t.push_str("\n\nLinks:");
        for l in &check.remediation.links {
            t.push_str("\n- ");
            t.push_str(l);
        }
    }
    t
}

fn help_markdown(
    check: &CheckInfo,
    framework: &str,
    titles: &BTreeMap<&str, &ControlResult>,
) -> String {
    let mut m = String::new();
    m.push_str(non_empty(&check.description, &check.title));
    m.push_str("\n\n## Risk\n\n");
    m.push_str(non_empty(&check.risk, "Not stated."));
    m.push_str("\n\n## Remediation\n\n");
    m.push_str(non_empty(&check.remediation.text, "Not stated."));
    if let Some(cli) = check
        .remediation
        .cli
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        m.push_str("\n\n```sh\n");
        m.push_str(cli.trim_end());
        m.push_str("\n```");
    }
    if !check.controls.is_empty() {
        m.push_str(&format!(
            "\n\n## {}\n\n| Control | Title | Theme |\n| --- | --- | --- |",
            controls_heading(framework)
        ));
        for c in &check.controls {
            let (title, theme) = titles
                .get(c.as_str())
                .map(|r| (r.title.as_str(), r.theme.as_str()))
                .unwrap_or(("", ""));
            m.push_str(&format!(
                "\n| {} | {} | {} |",
                md_cell(c),
                md_cell(title),
                theme
            ));
        }
    }
    if !check.remediation.links.is_empty() {
        m.push_str("\n\n## Links\n");
        for l in &check.remediation.links {
            m.push_str(&format!("\n- <{l}>"));
        }
    }
    m.push_str(&format!(
        "\n\n_Check `{}`, severity {}, resource types: {}._",
        check.id,
        check.severity,
        check.resource_types.join(", ")
    ));
    m
}

fn text(t: String) -> s::MultiformatMessageString {
    s::MultiformatMessageString {
        text: t,
        markdown: None,
        properties: None,
    }
}

/// The reportingDescriptor for one check.
pub fn rule(
    check: &CheckInfo,
    framework: &str,
    controls: &BTreeMap<&str, &ControlResult>,
) -> s::ReportingDescriptor {
    let mut props: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(score) = check.severity.security_severity() {
        props.insert("security-severity".into(), json!(score));
    }
    props.insert("severity".into(), json!(check.severity.as_str()));
    props.insert("framework".into(), json!(framework));
    props.insert("controls".into(), json!(check.controls));
    props.insert("resourceTypes".into(), json!(check.resource_types));
    props.insert("provider".into(), json!(check.provider.as_str()));
    props.insert("service".into(), json!(check.service));
    let help_uri = check
        .remediation
        .links
        .iter()
        .find(|l| l.starts_with("https://"))
        .cloned();
    s::ReportingDescriptor {
        deprecated_guids: None,
        deprecated_ids: None,
        deprecated_names: None,
        guid: None,
        message_strings: None,
        relationships: None,
        id: check.id.clone(),
        name: Some(rule_name(&check.id)),
        short_description: Some(text(non_empty(&check.title, &check.id).to_string())),
        full_description: Some(text(
            non_empty(&check.description, non_empty(&check.title, &check.id)).to_string(),
        )),
        help: Some(s::MultiformatMessageString {
            text: help_text(check, framework, controls),
            markdown: Some(help_markdown(check, framework, controls)),
            properties: None,
        }),
        help_uri,
        default_configuration: Some(s::ReportingConfiguration {
            level: Some(serde_json::to_value(level(check.severity)).unwrap_or(Value::Null)),
            ..Default::default()
        }),
        properties: Some(s::PropertyBag {
            tags: Some(tags(check, framework)),
            additional_properties: props,
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_unique_when_the_service_is_called_security() {
        let mut check = crate::model::CheckInfo {
            id: "azure.security.defender-for-servers-enabled".into(),
            provider: crate::model::Provider::Azure,
            service: "security".into(),
            title: "t".into(),
            severity: crate::model::Severity::High,
            resource_types: vec![],
            description: "d".into(),
            risk: "r".into(),
            remediation: Default::default(),
            controls: vec!["A.8.16".into(), "A.8.16".into()],
            params: Default::default(),
        };
        assert_eq!(
            super::tags(&check, "iso27001-2022"),
            ["security", "azure", "iso27001-2022/A.8.16"]
        );
        check.controls = (1..40).map(|i| format!("A.5.{i}")).collect();
        assert_eq!(super::tags(&check, "iso27001-2022").len(), super::MAX_TAGS);
    }

    use super::*;

    fn check_with_controls(n: usize) -> CheckInfo {
        CheckInfo {
            id: "aws.s3.x".into(),
            provider: crate::model::Provider::Aws,
            service: "S3".into(),
            title: "t".into(),
            severity: Severity::Info,
            resource_types: vec![],
            description: String::new(),
            risk: String::new(),
            remediation: Default::default(),
            controls: (0..n).map(|i| format!("A.5.{i}")).collect(),
            params: Default::default(),
        }
    }

    #[test]
    fn at_most_twenty_tags_but_every_control_as_a_property() {
        let c = check_with_controls(30);
        let t = tags(&c, "iso27001-2022");
        assert_eq!(t.len(), MAX_TAGS);
        assert_eq!(&t[..4], &["security", "aws", "s3", "iso27001-2022/A.5.0"]);
        let r = rule(&c, "iso27001-2022", &BTreeMap::new());
        let props = r.properties.unwrap();
        assert_eq!(
            props.additional_properties["controls"]
                .as_array()
                .unwrap()
                .len(),
            30
        );
        // Info: no security-severity (GitHub wants it omitted), level note.
        assert!(!props
            .additional_properties
            .contains_key("security-severity"));
        // Empty description and risk still give non-empty texts.
        assert_eq!(r.full_description.unwrap().text, "t");
        assert!(r.help.unwrap().text.contains("Risk: not stated"));
    }

    #[test]
    fn table_cells_escape_pipes() {
        assert_eq!(md_cell("a | b\nc"), "a \\| b c");
    }

    #[test]
    fn names_are_pascal_case() {
        assert_eq!(
            rule_name("aws.s3.bucket-public-access-blocked"),
            "AwsS3BucketPublicAccessBlocked"
        );
        assert_eq!(
            rule_name("azure.keyvault.purge_protection"),
            "AzureKeyvaultPurgeProtection"
        );
    }
}
