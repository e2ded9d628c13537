//! The demo estate embedded in the binary: one AWS account and one Azure subscription.
