//! annexa.toml: check selection, parameter overrides, suppressions.
