//! `cargo run --release -p nomnom-bench -- [OPTIONS]`: the options are in
//! [`nomnom_bench::options::USAGE`] (`--help` prints them).

use nomnom_bench::options::{Options, USAGE};
use nomnom_bench::{minimal_api, report, run};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(minimal_api::CHILD_ARG) {
        // This program started itself as the HTTP floor of the API stage.
        return minimal_api::serve_main();
    }
    if Options::wants_help(&args) {
        println!("{USAGE}");
        return std::process::ExitCode::SUCCESS;
    }
    let mut options = match Options::parse(&args) {
        Ok(o) => o,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    options.out = run::resolve_out(&options.out);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let results = runtime.block_on(run::run(&options));
    println!("{}", report::markdown::render(&results));
    match report::write_all(&results, &options.out) {
        Ok(files) => {
            for f in files {
                eprintln!("wrote {}", f.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    if options.smoke {
        // A smoke run checks that the program works: every stage must have run.
        if let Err(e) = run::smoke_is_complete(&results, &options) {
            eprintln!("smoke run incomplete: {e}");
            return std::process::ExitCode::FAILURE;
        }
    }
    std::process::ExitCode::SUCCESS
}
