//! Frameworks (`mappings/*.toml`): load, validate against the loaded checks, assess controls.
