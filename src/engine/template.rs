//! `message` templates: text with `${CEL}` interpolations; `$${` writes a literal `${`.
//! Split here, compiled by the loader, rendered by the evaluator.

/// A piece of a template before compilation. `offset` is the byte offset of the expression
/// text inside the template, for error positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPart {
    Text(String),
    Expr { offset: usize, source: String },
}

/// Splits a template. The end of an interpolation is the `}` that closes it, skipping braces
/// inside CEL string literals and map literals. Errors carry the byte offset of the problem.
pub fn split(template: &str) -> Result<Vec<RawPart>, (usize, String)> {
    let bytes = template.as_bytes();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if template[i..].starts_with("$${") {
            text.push_str("${");
            i += 3;
        } else if template[i..].starts_with("${") {
            let start = i + 2;
            let end = closing_brace(bytes, start).ok_or_else(|| {
                (
                    i,
                    "`${` without its closing `}` (write `$${` for a literal `${`)".to_string(),
                )
            })?;
            let source = &template[start..end];
            if source.trim().is_empty() {
                return Err((i, "empty `${}` interpolation".to_string()));
            }
            if !text.is_empty() {
                parts.push(RawPart::Text(std::mem::take(&mut text)));
            }
            parts.push(RawPart::Expr {
                offset: start,
                source: source.to_string(),
            });
            i = end + 1;
        } else {
            let c = template[i..].chars().next().expect("in bounds");
            text.push(c);
            i += c.len_utf8();
        }
    }
    if !text.is_empty() {
        parts.push(RawPart::Text(text));
    }
    Ok(parts)
}

fn closing_brace(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(q) => {
                if b == b'\\' {
                    i += 1;
                } else if b == q {
                    quote = None;
                }
            }
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b'{' => depth += 1,
                b'}' if depth == 0 => return Some(i),
                b'}' => depth -= 1,
                _ => {}
            },
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(offset: usize, s: &str) -> RawPart {
        RawPart::Expr {
            offset,
            source: s.into(),
        }
    }

    #[test]
    fn splits_text_and_expressions() {
        assert_eq!(
            split("Bucket ${resource.name} is ${x ? 'a}' : {'k': 1}['k']}!").unwrap(),
            vec![
                RawPart::Text("Bucket ".into()),
                e(9, "resource.name"),
                RawPart::Text(" is ".into()),
                e(29, "x ? 'a}' : {'k': 1}['k']"),
                RawPart::Text("!".into()),
            ]
        );
        assert_eq!(
            split("cost $${x} ü").unwrap(),
            vec![RawPart::Text("cost ${x} ü".into())]
        );
        assert_eq!(split("").unwrap(), vec![]);
    }

    #[test]
    fn reports_unclosed_and_empty_interpolations() {
        assert_eq!(split("a ${b").unwrap_err().0, 2);
        assert!(split("a ${ }").unwrap_err().1.contains("empty"));
    }
}
