//! `fusion-billing`: parses the command line and runs it (see [`fusion_billing::cli`]).

use clap::Parser;

#[actix_web::main]
async fn main() {
    let cli = fusion_billing::cli::Cli::parse();
    match fusion_billing::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
