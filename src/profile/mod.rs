//! Measured cost from pprof profiles: [`decode`] reads heap and CPU profiles, [`join`] attributes
//! their samples to module lines and to findings, and finds the sites that allocate without a
//! finding. Making a profile is the toolchain's job (`go::bench_profile`).

pub mod decls;
pub mod decode;
pub mod join;
