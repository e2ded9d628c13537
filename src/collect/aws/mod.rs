//! AWS collection (issue 3): AWS Config (account and aggregator) and IAM.
