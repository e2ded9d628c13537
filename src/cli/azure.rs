//! `--subscriptions`, `--management-group`, `--cloud` and the other Azure collection flags.
