use clap::Parser;
use plugboard::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(plugboard::cli::Command::Serve { sandbox: true }) = cli.command {
        // Before any thread exists: `--sandbox` is PLUGBOARD_SANDBOX=1.
        std::env::set_var("PLUGBOARD_SANDBOX", "1");
    }
    let config = match engine::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("plugboard: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = plugboard::commands::init_logging(&config) {
        eprintln!("plugboard: configuration error: {err}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("plugboard: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(plugboard::commands::run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("plugboard: {err:#}");
            ExitCode::FAILURE
        }
    }
}
