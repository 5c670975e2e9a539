//! The `nmc` command line: argument parsing (clap) and dispatch. Each
//! subcommand lives in its own module; this one owns exit codes.

/// `println!` for command output that ends the process quietly (exit 0)
/// when stdout is closed early (`nmc analyze ... | head`) instead of
/// panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with the same closed-pipe handling as [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!`, except on the ranks other than 0 of a run over MPI ranks
/// (rank 0 prints for all).
macro_rules! errln {
    ($($arg:tt)*) => {
        if !$crate::cli::silent() {
            eprintln!($($arg)*);
        }
    };
}

/// `eprint!`, except on the ranks other than 0 (see [`errln!`]).
macro_rules! err {
    ($($arg:tt)*) => {
        if !$crate::cli::silent() {
            eprint!($($arg)*);
        }
    };
}

mod analyze;
mod build;
mod check;
mod compare;
mod compile;
mod explain;
mod inputs;
mod lsp;
mod manpages;
mod progress;
mod run;
mod sonata_run;

use crate::sim::Transport;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Exit status: everything checked clean (warnings allowed).
pub const EXIT_OK: i32 = 0;
/// Exit status: at least one error diagnostic.
pub const EXIT_ERRORS: i32 = 1;
/// Exit status: the command line itself was wrong.
pub const EXIT_USAGE: i32 = 2;

/// nmc — a compiler and simulator for biophysically detailed neural networks.
///
/// nmc reads NEURON's NMODL mechanism files (.mod) and reports problems the
/// way rustc does: file:line:col, the offending source with a caret, a
/// stable error code and a suggested fix.
#[derive(Parser, Debug)]
#[command(name = "nmc", version, about, long_about = None, after_help = "Examples:\n  nmc check models/*.mod              check every mechanism, print a summary\n  nmc check --format json broken.mod  one JSON object per diagnostic (for editors)\n  nmc run tests/cells/rtm_iclamp.ndl  simulate an experiment, write SONATA output\n  nmc explain E0201                   what a diagnostic code means and how to fix it\n  nmc run simulation_config.json      run a BMTK project (SONATA) as BMTK + NEURON would\n  nmc compile --list-builtins         NEURON's built-in mechanisms nmc carries\n  nmc build examples/bmtk_test_net/network.ndl -o seed  write it as SONATA (BMTK layout)\n  nmc compile models/*.mod            compile each file and list the mechanisms\n  nmc compile --emit ast models/na_rtm.mod  print the syntax tree\n  nmc compile --emit ir models/na_rtm.mod   print the mechanism IR")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check .mod and .ndl files and report every problem found.
    ///
    /// Exit status: 0 when no file has errors (warnings allowed), 1 when any
    /// file has errors, 2 for a usage error. Errors in one file do not stop
    /// the others. A directory argument means every .mod file in it.
    Check {
        /// Files (or directories) to check.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Output format: human-readable, or one JSON object per line.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Colour the human output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// Treat warnings as errors (exit 1 when any warning is reported).
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Simulate the experiment an .ndl file describes, or a SONATA
    /// simulation_config.json (BMTK's layout).
    ///
    /// Compiles the mechanisms it uses (from its `mechanisms` folder), runs
    /// it, writes the SONATA reports and spike file into the output folder
    /// and prints a summary. Exit status: 0 done, 1 errors, 2 usage.
    Run {
        /// The experiment: an NDL file (.ndl), or a SONATA
        /// simulation_config.json as BMTK writes it.
        #[arg(value_name = "CONFIG|NDL")]
        file: PathBuf,
        /// Output folder (default: the file's `output { dir = ... }`).
        #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// No progress bar and no summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Colour the diagnostics.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
        /// SONATA runs: folder of NDL cell templates (`hoc:<Name>` →
        /// `DIR/<Name>.ndl`) instead of the circuit's templates_dir.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
        /// SONATA runs: folder of .mod files instead of the circuit's
        /// mechanisms_dir.
        #[arg(long, value_name = "DIR")]
        mechanisms: Option<PathBuf>,
        /// How synapse instances are integrated. `aggregated` (default):
        /// instances of a linear synapse mechanism on one node with equal
        /// parameters share their state (the same dynamics in real
        /// arithmetic, rounded differently). `one-by-one`: every instance
        /// on its own, as NEURON does (with `--exp libm`, NEURON's results
        /// bit for bit; slower).
        #[arg(long, value_enum, value_name = "HOW")]
        synapses: Option<SynapsesArg>,
        /// Old spelling of `--synapses one-by-one`.
        #[arg(long, hide = true, conflicts_with = "synapses")]
        exact: bool,
        /// Which `exp` the kernels call. `libm` (default): the C library's,
        /// as NEURON does (bit-identical results). `fast`: nmc's own,
        /// inlined (within 1 ulp). See the README's "Math modes".
        #[arg(long = "exp", alias = "math", value_enum, value_name = "WHICH")]
        exp: Option<ExpArg>,
        /// Threads to simulate on (default: every core; under an MPI
        /// launcher, per rank: the cores shared by the ranks on one
        /// machine). Results are the same bit for bit for any number of
        /// threads and ranks.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// After the run, analyze its spikes as `nmc analyze` does (table,
        /// stats.json/csv and plots in the output folder).
        #[arg(long)]
        analyze: bool,
    },
    /// Analyze a SONATA spike file: per-group rates, CV of ISIs, Fano
    /// factor, dominant frequency, volleys, per-cell rates; raster (with
    /// the population-rate histogram under it), rate, rate-distribution
    /// and spectrum plots.
    ///
    /// Writes stats.json, stats.csv, cell_rates.csv and the raster, rates,
    /// rate_distribution and spectrum pictures into the output folder and
    /// prints the table.
    Analyze {
        /// The spike file (`/spikes/<population>/timestamps`, `node_ids`).
        #[arg(value_name = "SPIKES.h5")]
        spikes: PathBuf,
        #[command(flatten)]
        network: NetworkArgs,
        /// Output folder.
        #[arg(
            short = 'o',
            long = "out-dir",
            value_name = "DIR",
            default_value = "analysis"
        )]
        out_dir: PathBuf,
        /// Picture format.
        #[arg(long, value_enum, default_value_t = ImageFormatArg::Png)]
        format: ImageFormatArg,
        /// Standard deviation (ms) of the Gaussian that smooths the rate plot.
        #[arg(long, value_name = "MS", default_value_t = 20.0)]
        smooth: f64,
        /// Bin width (ms) of the raw rate and of the Fano factor.
        #[arg(long, value_name = "MS", default_value_t = 5.0)]
        bin: f64,
        /// Analyse only this window, START:STOP in ms (default: the run's
        /// whole window), e.g. `--window 200:1000` to skip a transient.
        #[arg(long, value_name = "START:STOP", value_parser = analyze::parse_window)]
        window: Option<(f64, f64)>,
        /// Print how long each step took (on stderr).
        #[arg(long)]
        timing: bool,
        /// Colour the diagnostics.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Compare two spike files of the same network, group by group: rate
    /// difference, volley and first-spike timing, spikes matched within a
    /// tolerance.
    Compare {
        /// The first spike file (A, e.g. NEURON's).
        #[arg(value_name = "A.h5")]
        a: PathBuf,
        /// The second spike file (B, e.g. nmc's).
        #[arg(value_name = "B.h5")]
        b: PathBuf,
        #[command(flatten)]
        network: NetworkArgs,
        /// Two spikes of the same cell match when at most this far apart (ms).
        #[arg(long, value_name = "MS", default_value_t = 0.1)]
        tolerance: f64,
        /// Colour the diagnostics.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Build the network an .ndl file describes and write it as SONATA
    /// (BMTK 1.2.0's layout).
    ///
    /// Writes DIR/circuit_config.json, simulation_config.json,
    /// node_sets.json, network/ (nodes and edges HDF5 with their type
    /// CSVs), input/ (spike files), components/templates/ and
    /// components/synaptic_models/; the mechanisms_dir points at the .mod
    /// folder. DIR defaults to the .ndl file's folder. Run the result with
    /// `nmc run DIR/simulation_config.json`. Exit status: 0 written, 1
    /// errors, 2 usage.
    Build {
        /// The .ndl file.
        #[arg(value_name = "NET.ndl")]
        file: PathBuf,
        /// Output folder (default: the folder of the .ndl file).
        #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// No summary.
        #[arg(long, short = 'q')]
        quiet: bool,
        /// Colour the diagnostics.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Compile .mod files to the mechanism IR and list each mechanism.
    ///
    /// Prints one row per file (mechanism, kind, kernels, compile time).
    /// Exit status 1 when any file cannot be compiled. With --emit, print an
    /// intermediate form of every file (to stdout, or to DIR/<stem>.<ext>
    /// with -o). With --list-builtins, list NEURON's built-in mechanisms
    /// that nmc embeds (name, kind, file) instead.
    Compile {
        /// Files (or directories) to compile.
        #[arg(required_unless_present = "list_builtins", value_name = "FILE")]
        files: Vec<PathBuf>,
        /// List the built-in mechanisms (NEURON's hh, pas, IClamp, ...) in
        /// NEURON's registration order: name, kind, file.
        #[arg(long, conflicts_with_all = ["files", "emit", "out_dir"])]
        list_builtins: bool,
        /// Print an intermediate representation.
        #[arg(long, value_enum)]
        emit: Option<Emit>,
        /// Write emitted text to this directory instead of stdout.
        #[arg(short = 'o', long = "out-dir", value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Colour the human output.
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Run the language server (LSP over stdin/stdout) for editors.
    ///
    /// Live diagnostics, hover, go to definition, completion and document
    /// symbols for .mod and .ndl files; see editors/README.md.
    Lsp,
    /// Explain a diagnostic code (`nmc explain E0201`): what it means,
    /// why it is reported and how to fix it.
    ///
    /// Without a code, lists every code with its one-line title.
    Explain {
        /// The code, as printed in `error[E0201]` (case does not matter).
        #[arg(value_name = "CODE")]
        code: Option<String>,
    },
    /// Print a shell completion script on stdout.
    ///
    /// bash: `nmc completions bash > ~/.local/share/bash-completion/completions/nmc`;
    /// zsh: `nmc completions zsh > ~/.zfunc/_nmc` (with `~/.zfunc` in `fpath`);
    /// fish: `nmc completions fish > ~/.config/fish/completions/nmc.fish`.
    Completions {
        /// The shell.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Write nmc's man pages (roff): nmc.1 and one nmc-<command>.1 per
    /// subcommand, into DIR.
    #[command(hide = true)]
    Manpages {
        /// Output folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// Where `nmc analyze` and `nmc compare` learn the cells and groups.
#[derive(clap::Args, Debug, Clone)]
pub struct NetworkArgs {
    /// SONATA simulation config: all its cells, grouped by --group-by.
    #[arg(
        long,
        value_name = "simulation_config.json",
        conflicts_with = "network"
    )]
    config: Option<PathBuf>,
    /// NDL network: its cells, grouped by --group-by (`pop_name` is the
    /// NDL population).
    #[arg(long, value_name = "net.ndl")]
    network: Option<PathBuf>,
    /// Node column to group cells by (`pop_name`, `model_template`,
    /// `population`, a user column...).
    #[arg(long, value_name = "COLUMN", default_value = "pop_name")]
    group_by: String,
}

impl NetworkArgs {
    /// The grouping these flags ask for (the spike file's populations
    /// when neither --config nor --network is given).
    fn grouping(&self) -> crate::analyze::Grouping<'_> {
        use crate::analyze::Grouping;
        match (&self.config, &self.network) {
            (Some(c), _) => Grouping::Sonata {
                config: c,
                column: &self.group_by,
            },
            (None, Some(n)) => Grouping::Ndl {
                network: n,
                column: &self.group_by,
            },
            (None, None) => Grouping::Populations,
        }
    }
}

/// Picture formats of `nmc analyze`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImageFormatArg {
    /// PNG bitmaps.
    Png,
    /// SVG vector drawings.
    Svg,
}

/// Diagnostic output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// rustc-style text with source lines and carets (on stderr).
    Human,
    /// One JSON object per diagnostic, one per line (on stdout).
    Json,
}

/// When to use ANSI colours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour output written to stderr.
    pub fn enabled(self) -> bool {
        use std::io::IsTerminal;
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
            }
        }
    }
}

/// The `--exp` choices of `nmc run` (old spelling: `--math exact|fast`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExpArg {
    /// The C library's `exp`, bit-identical to NEURON.
    #[value(alias = "exact")]
    Libm,
    /// nmc's inline `exp`, within 1 ulp.
    Fast,
}

impl ExpArg {
    /// The math mode chosen (the default one without `--exp`).
    fn mode(arg: Option<ExpArg>) -> crate::back::math::MathMode {
        use crate::back::math::MathMode;
        match arg {
            Some(ExpArg::Libm) => MathMode::Exact,
            Some(ExpArg::Fast) => MathMode::Fast,
            None => MathMode::default(),
        }
    }
}

/// The `--synapses` choices of `nmc run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SynapsesArg {
    /// Equal linear synapses on one node share their state (default).
    Aggregated,
    /// Every synapse instance integrated on its own, as NEURON does.
    OneByOne,
}

/// Intermediate forms `nmc compile --emit` can print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// The syntax tree, with line:col of every node.
    Ast,
    /// The mechanism IR after the solve pass.
    Ir,
    /// The Cranelift IR of every kernel, before machine-code generation.
    Clif,
}

/// Parses the command line, runs the subcommand and returns the exit status.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = e.exit_code();
            let _ = e.print();
            return if code == 0 { EXIT_OK } else { EXIT_USAGE };
        }
    };
    match cli.command {
        Command::Check {
            files,
            format,
            color,
            deny_warnings,
        } => check::run(&files, format, color.enabled(), deny_warnings),
        Command::Build {
            file,
            out_dir,
            quiet,
            color,
        } => build::run(&file, out_dir.as_deref(), quiet, color.enabled()),
        Command::Compile {
            list_builtins: true,
            ..
        } => compile::list_builtins(),
        Command::Compile {
            files,
            emit,
            out_dir,
            color,
            ..
        } => compile::run(&files, emit, out_dir.as_deref(), color.enabled()),
        Command::Lsp => lsp::run(),
        Command::Explain { code } => explain::run(code.as_deref()),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "nmc", &mut out);
            out!("{}", String::from_utf8_lossy(&out));
            EXIT_OK
        }
        Command::Manpages { dir } => manpages::write(&dir),
        Command::Run {
            file,
            out_dir,
            quiet,
            color,
            templates,
            mechanisms,
            synapses,
            exact,
            exp,
            threads,
            analyze,
        } => {
            let math = ExpArg::mode(exp);
            let exact = exact || synapses == Some(SynapsesArg::OneByOne);
            #[cfg(feature = "mpi")]
            let mut world = crate::sim::mpi::init();
            #[cfg(feature = "mpi")]
            let mut comm = world.as_mut().map(|w| w as &mut dyn Transport);
            #[cfg(not(feature = "mpi"))]
            let mut comm: Option<&mut dyn Transport> = None;
            if let Some(c) = &comm {
                SILENT.store(c.rank() != 0, std::sync::atomic::Ordering::Relaxed);
            }
            let threads = threads.unwrap_or_else(|| {
                let cores =
                    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
                // Ranks on one machine share its cores.
                match &comm {
                    Some(c) => local_share(cores, c.size()),
                    None => cores,
                }
            });
            if file.extension().is_some_and(|e| e == "json") {
                let opts = crate::driver::sonata::Options {
                    templates,
                    mechanisms,
                    tstop: None,
                    math,
                };
                let code = sonata_run::run(
                    &file,
                    &opts,
                    out_dir.as_deref(),
                    quiet,
                    (exact, threads),
                    color.enabled(),
                    analyze,
                    comm.as_mut().map(|c| &mut **c as &mut dyn Transport),
                );
                agree(code, comm)
            } else {
                let code = run::run(
                    &file,
                    out_dir.as_deref(),
                    quiet,
                    (exact, threads),
                    color.enabled(),
                    math,
                    analyze,
                    comm.as_mut().map(|c| &mut **c as &mut dyn Transport),
                );
                agree(code, comm)
            }
        }
        Command::Analyze {
            spikes,
            network,
            out_dir,
            format,
            smooth,
            bin,
            window,
            timing,
            color,
        } => {
            let opts = analyze::Options {
                format: match format {
                    ImageFormatArg::Png => crate::analyze::plot::ImageFormat::Png,
                    ImageFormatArg::Svg => crate::analyze::plot::ImageFormat::Svg,
                },
                settings: crate::analyze::Settings { bin, smooth },
                timing,
                window,
            };
            analyze::run(
                &spikes,
                network.grouping(),
                &out_dir,
                &opts,
                color.enabled(),
            )
        }
        Command::Compare {
            a,
            b,
            network,
            tolerance,
            color,
        } => compare::run(&a, &b, network.grouping(), tolerance, color.enabled()),
    }
}

/// Set on the ranks other than 0 of a run over MPI ranks: they print nothing.
static SILENT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// True on the ranks that print nothing (see [`errln!`]).
pub(crate) fn silent() -> bool {
    SILENT.load(std::sync::atomic::Ordering::Relaxed)
}

/// The worst exit status of all ranks (every rank ends with it), or
/// `code` without ranks.
fn agree(code: i32, comm: Option<&mut dyn Transport>) -> i32 {
    match comm {
        Some(c) => c
            .all_gather(&code.to_le_bytes())
            .iter()
            .filter_map(|b| b.as_slice().try_into().ok().map(i32::from_le_bytes))
            .max()
            .unwrap_or(code),
        None => code,
    }
}

/// Removes a previous run's `outputs` (the writing rank's job) so that a
/// run that fails leaves no file that looks like its own; true when that
/// worked, on every rank alike (each must call it at the same point).
fn clear_old_outputs(
    outputs: &[&std::path::Path],
    writer: bool,
    comm: Option<&mut dyn Transport>,
) -> bool {
    let cleared = if writer {
        crate::io::clear_outputs(outputs)
    } else {
        Ok(())
    };
    if let Err(e) = &cleared {
        eprintln!("error: {e}");
    }
    all_ok(cleared.is_ok(), comm)
}

/// True when `ok` holds on every rank (every rank must call it at the same
/// point), or `ok` without ranks.
fn all_ok(ok: bool, comm: Option<&mut dyn Transport>) -> bool {
    match comm {
        Some(c) => c
            .all_gather(&[u8::from(ok)])
            .iter()
            .all(|b| b.first() == Some(&1)),
        None => ok,
    }
}

/// Threads per rank by default: the machine's `cores` shared by `ranks`
/// processes (at least one each; a cluster's launcher usually starts one
/// rank per core or binds ranks to their own cores).
fn local_share(cores: usize, ranks: usize) -> usize {
    let local = std::env::var("OMPI_COMM_WORLD_LOCAL_SIZE")
        .or_else(|_| std::env::var("MPI_LOCALNRANKS"))
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(ranks)
        .max(1);
    (cores / local).max(1)
}

/// Writes command output to stdout; a closed pipe ends the process with
/// exit code 0, as a reader that stopped early expects, other errors are
/// reported on stderr.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if silent() {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("nmc: cannot write to stdout: {e}");
    }
}
