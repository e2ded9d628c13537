//! `--regions`, `--role-arn`, `--aggregator` and the other AWS collection flags.
