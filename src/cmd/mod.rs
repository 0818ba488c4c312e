//! One module per subcommand.

pub mod demo_data;
pub mod fingerprint;
pub mod keygen;
