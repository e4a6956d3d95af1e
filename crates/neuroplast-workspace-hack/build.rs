//! Present so that the build-dependencies (the host's `syn` features) take part in resolution.
fn main() {}
