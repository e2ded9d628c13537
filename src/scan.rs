//! Joins the pure stages: resources -> findings -> control results -> ScanResult.
