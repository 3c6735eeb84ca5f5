//! `pcmh`: the pcmh-track command line (`serve`, `migrate`, `catalog`, ...).

use std::process::ExitCode;

use clap::Parser;

mod cli;
mod demo;
mod http;
mod keeper;
mod logging;
mod web;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
