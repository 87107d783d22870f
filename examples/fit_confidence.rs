//! Fits the confidence model on the tune half of the real-world corpus and writes it to
//! `src/confidence.toml` (`scripts/fit-confidence`). With `--check`, only compares.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let check = std::env::args().any(|a| a == "--check");
    // Features come from the KB and matcher as built; the committed model plays no part in them.
    let model =
        match rdperr::eval::fit_confidence(rdperr::Kb::embedded(), &root.join("tests/realworld")) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("fit-confidence: {e}");
                return ExitCode::from(2);
            }
        };
    let text = model.to_toml();
    let path = root.join("src/confidence.toml");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    print!("{text}");
    if check {
        if committed == text {
            eprintln!("fit-confidence: {} is up to date", path.display());
            return ExitCode::SUCCESS;
        }
        eprintln!(
            "fit-confidence: {} differs from the fit; run scripts/fit-confidence",
            path.display()
        );
        return ExitCode::from(1);
    }
    if let Err(e) = std::fs::write(&path, &text) {
        eprintln!("fit-confidence: cannot write {}: {e}", path.display());
        return ExitCode::from(2);
    }
    eprintln!(
        "fit-confidence: wrote {}; rebuild to use it",
        path.display()
    );
    ExitCode::SUCCESS
}
