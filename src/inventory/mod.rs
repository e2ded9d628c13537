//! The versioned JSON Lines inventory (DESIGN.md, Inventory file): a header line, then one
//! `Resource` per line; `.zst` compressed by file extension. Streaming reader and writer: memory
//! does not grow with the file.
//!
//! Contract (implemented by the inventory work; consumed by `scan` and the CLI):
//! - `Header { format: "annexa-inventory", version: 1, tool_version, collected_at, sources, errors }`
//! - `open(path) -> Result<Reader, InventoryError>`; `Reader::header()`; `Reader` is an
//!   `Iterator<Item = Result<Resource, InventoryError>>`; errors carry `path:line: what`.
//! - `from_bytes(origin, bytes)` for embedded inventories (the demo estate).
//! - `Writer::create(path, &Header)`, `write(&Resource)`, `finish()`.
//! - `Digest`: order-independent sha256 over the resources (`add`, `finish -> "sha256:<hex>"`).
