//! One module per subcommand.

pub mod alerts;
pub mod bench_pipeline;
pub mod config_cmd;
pub mod crawl;
pub mod demo;
pub mod demo_data;
pub mod fingerprint;
pub mod keygen;
pub mod match_cmd;
pub mod run;
pub mod scan;
pub mod serve;
