//! Streams inventory files through `inventory::Reader` and the digest, the part of a scan before
//! evaluation; prints resources, time and rate. Used by scripts/bench-scan.sh to measure reading
//! alone (and its memory) beside the full `annexa scan`.
//!
//! ```text
//! cargo run --release --no-default-features --example read_inventory -- FILE [FILE ...]
//! ```

use std::time::Instant;

use annexa::inventory::{self, Digest};

fn main() -> anyhow::Result<()> {
    let mut files: Vec<String> = std::env::args().skip(1).collect();
    // `--no-digest`: parse only, to tell the reader's cost and memory from the digest's.
    let with_digest = !files.iter().any(|f| f == "--no-digest");
    files.retain(|f| f != "--no-digest");
    anyhow::ensure!(
        !files.is_empty(),
        "usage: read_inventory [--no-digest] FILE [FILE ...]"
    );
    let start = Instant::now();
    let mut digest = Digest::new();
    let mut n = 0u64;
    for file in &files {
        for r in inventory::open(file.as_ref())? {
            let r = r?;
            n += 1;
            if with_digest {
                digest.add(&r);
            }
        }
    }
    let digest = if with_digest {
        digest.finish()
    } else {
        "not computed".into()
    };
    let secs = start.elapsed().as_secs_f64();
    println!(
        "read {n} resources in {secs:.2} s: {:.0} resources/s; digest {digest}",
        n as f64 / secs
    );
    Ok(())
}
