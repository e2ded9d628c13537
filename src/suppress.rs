//! Accepted risks: match findings, expire, report stale entries.
