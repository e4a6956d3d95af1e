//! No code: this crate only turns on dependency features that every build of the workspace
//! then shares (see its `Cargo.toml`), so that the engine is compiled once, not once per build.
