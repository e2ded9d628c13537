//! Embedded data (checks, mappings, the demo estate) must trigger a rebuild when it changes:
//! `include_dir!` alone does not tell cargo to watch a directory.
fn main() {
    for dir in ["checks", "mappings", "fixtures/demo"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
