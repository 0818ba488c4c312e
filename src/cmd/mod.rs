//! One module per subcommand.

pub mod crawl;
pub mod demo_data;
pub mod fingerprint;
pub mod keygen;
pub mod scan;
