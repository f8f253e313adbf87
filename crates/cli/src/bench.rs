//! `wuye bench …`: benchmarks that measure their own baseline in the same run and print
//! the ratio.

use anyhow::Result;
use clap::Subcommand;
use std::path::Path;

#[derive(Subcommand)]
pub enum BenchCmd {
    /// Import N generated houses with owners through the real import path, and insert the
    /// same rows raw; print both rates and their ratio, then the dashboard's p95 latency.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        houses: u64,
    },
}

pub async fn run(cmd: BenchCmd, _data_dir: &Path) -> Result<()> {
    match cmd {
        BenchCmd::Import { houses } => anyhow::bail!("bench import --houses {houses}: not yet implemented"),
    }
}
