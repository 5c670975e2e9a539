"""nmc from Python: run NDL and SONATA networks, check and compile NMODL,
analyse spikes. Results come back as numpy arrays; nmc's problems are
raised as :class:`NmcError` subclasses carrying nmc's diagnostics.

>>> import nmc
>>> r = nmc.run("simulation_config.json")
>>> print(r.rates())
>>> r.spikes["timestamp"][:5]
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Mapping, Optional, Sequence, Union

import numpy as np

from . import _nmc

__version__ = _nmc.__version__

__all__ = [
    "run",
    "check",
    "compile",
    "analyze",
    "read_spikes",
    "Run",
    "Rates",
    "Report",
    "ReportPart",
    "Diagnostic",
    "Mechanism",
    "Variable",
    "Analysis",
    "NmcError",
    "LoadError",
    "SimulationError",
    "AnalysisError",
]

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Diagnostic:
    """One problem nmc found, as ``nmc check --format json`` prints it,
    plus ``rendered``: the text nmc prints on a terminal."""

    code: str
    severity: str
    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    end_line: Optional[int] = None
    end_column: Optional[int] = None
    help: Optional[str] = None
    labels: list = field(default_factory=list)
    rendered: str = ""

    def __str__(self) -> str:
        return self.rendered or f"{self.severity}[{self.code}]: {self.message}"


def _diagnostics(pairs) -> list[Diagnostic]:
    out = []
    for obj, rendered in pairs:
        d = json.loads(obj)
        out.append(
            Diagnostic(
                code=d.get("code", ""),
                severity=d.get("severity", "error"),
                message=d.get("message", ""),
                file=d.get("file") or None,
                line=d.get("line"),
                column=d.get("column"),
                end_line=d.get("end_line"),
                end_column=d.get("end_column"),
                help=d.get("help"),
                labels=d.get("labels") or [],
                rendered=rendered,
            )
        )
    return out


class NmcError(Exception):
    """An error nmc reported. ``diagnostics`` holds every diagnostic,
    ``code`` the first error's code (``"E1503"``...), ``rendered`` the
    text nmc prints on a terminal (also the exception's message)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0] if errors else (self.diagnostics[0] if self.diagnostics else None)
        self.code: Optional[str] = first.code if first else None
        self.rendered = "".join(d.rendered for d in self.diagnostics)
        super().__init__(self.rendered.rstrip() or "nmc failed")


class LoadError(NmcError):
    """The file, network or mechanisms could not be read, checked or
    compiled."""


class SimulationError(NmcError):
    """The engine refused the network (E1801), the run stopped early
    (E1802) or its outputs could not be written (E1804). ``run`` holds
    what was simulated before it stopped, when the run had started."""

    run: Optional["Run"] = None


class AnalysisError(NmcError):
    """Spikes or cells could not be read or grouped, or an option is out
    of range."""


class Rates(Mapping[str, float]):
    """Mean rate (Hz) per group, as ``nmc run`` prints it: per ``pop_name``
    for SONATA runs, per population for NDL runs. A mapping from group to
    Hz; ``cells`` and ``spikes`` give the counts; printing gives the
    table."""

    def __init__(self, rows):
        self._rows = [(str(n), int(c), int(s), float(hz)) for n, c, s, hz in rows]
        self._hz = {n: hz for n, _, _, hz in self._rows}
        self.cells = {n: c for n, c, _, _ in self._rows}
        self.spikes = {n: s for n, _, s, _ in self._rows}

    def __getitem__(self, name: str) -> float:
        return self._hz[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._hz)

    def __len__(self) -> int:
        return len(self._hz)

    def table(self) -> str:
        lines = [f"  {'population':<16} {'cells':>6} {'spikes':>8} {'rate':>9}"]
        for n, c, s, hz in self._rows:
            lines.append(f"  {n:<16} {c:>6} {s:>8} {hz:>6.2f} Hz")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        return self.table()


@dataclass(frozen=True)
class ReportPart:
    """A compartment report on one node population: ``data[k, j]`` is
    element ``j`` (section ``element_ids[j]`` at ``element_pos[j]``) at
    ``times[k]``; cell ``node_ids[i]`` owns columns
    ``index_pointer[i]:index_pointer[i + 1]``."""

    population: str
    node_ids: np.ndarray
    index_pointer: np.ndarray
    element_ids: np.ndarray
    element_pos: np.ndarray
    data: np.ndarray


@dataclass(frozen=True)
class Report:
    """A compartment report: ``variable`` in ``unit``, sampled at
    ``times`` (ms); one part per node population."""

    name: str
    variable: str
    unit: str
    times: np.ndarray
    parts: list

    def part(self, population: Optional[str] = None) -> ReportPart:
        """The part of ``population`` (the only part when not given)."""
        if population is None:
            if len(self.parts) != 1:
                raise KeyError(f"report {self.name!r} has {len(self.parts)} populations; name one")
            return self.parts[0]
        for p in self.parts:
            if p.population == population:
                return p
        raise KeyError(population)


_SPIKE_FIELDS = ("population", "node_id", "timestamp")


def _spike_array(names: Sequence[str], index: np.ndarray, node_ids, timestamps) -> np.ndarray:
    width = max([len(p) for p in names] + [1])
    dt = np.dtype([("population", f"U{width}"), ("node_id", "u8"), ("timestamp", "f8")])
    s = np.empty(len(timestamps), dtype=dt)
    if len(names):
        s["population"] = np.array(list(names))[index]
    s["node_id"] = node_ids
    s["timestamp"] = timestamps
    return s


def read_spikes(path: PathLike) -> np.ndarray:
    """Reads a SONATA spike file (nmc's, BMTK's or NEURON's through BMTK)
    into the structured array of :attr:`Run.spikes`, population by
    population in the file's order. Raises :class:`AnalysisError` (E1901)
    when the file cannot be read."""
    raw = _nmc.read_spikes(os.fspath(path))
    if "diagnostics" in raw:
        raise AnalysisError(_diagnostics(raw["diagnostics"]))
    return _spike_array(raw["populations"], raw["population"], raw["node_ids"], raw["timestamps"])


class Run:
    """The outcome of :func:`run`.

    - ``spikes``: numpy structured array, one row per spike in time order,
      fields ``population`` (str), ``node_id`` (uint64), ``timestamp``
      (float64, ms); ``node_ids``, ``timestamps``, ``populations`` give
      plain arrays;
    - ``rates()``: :class:`Rates`, as ``nmc run`` prints them;
    - ``reports[name]``: :class:`Report` with numpy arrays;
    - ``log``: what ran, its times and rates; ``warnings``: diagnostics;
    - ``files``: the files written (with ``output_dir``).
    """

    def __init__(self, raw: dict, path: str):
        self.path = path
        pops = list(raw["populations"])
        self.population_names: list[str] = pops
        self.node_ids: np.ndarray = raw["node_ids"]
        self.timestamps: np.ndarray = raw["timestamps"]
        self._population_index: np.ndarray = raw["population"]
        self._rates = raw["rates"]
        self.tstart, self.tstop, self.dt = raw["window"]
        self.reports: dict[str, Report] = {}
        for r in raw["reports"]:
            parts = [ReportPart(**p) for p in r["parts"]]
            self.reports[r["name"]] = Report(
                name=r["name"], variable=r["variable"], unit=r["unit"], times=r["times"], parts=parts
            )
        self.warnings: list[Diagnostic] = _diagnostics(raw["warnings"])
        self.log: str = raw["summary"]
        self.files: list[str] = [str(p) for p in raw["written"]]
        self.load_time: float = raw["load_time"]
        self.simulate_time: float = raw["simulate_time"]
        self.threads: int = raw["threads"]
        self._spikes: Optional[np.ndarray] = None

    @property
    def populations(self) -> np.ndarray:
        """Population name of every spike."""
        if not self.population_names:
            return np.array([], dtype=str)
        return np.array(self.population_names)[self._population_index]

    @property
    def spikes(self) -> np.ndarray:
        """Every spike: structured array (population, node_id, timestamp)."""
        if self._spikes is None:
            self._spikes = _spike_array(
                self.population_names, self._population_index, self.node_ids, self.timestamps
            )
        return self._spikes

    def rates(self) -> Rates:
        """Mean rate per group (Hz), as ``nmc run`` prints it."""
        return Rates(self._rates)

    def to_dataframe(self):
        """The spikes as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd

        return pd.DataFrame({k: self.spikes[k] for k in _SPIKE_FIELDS})

    def to_bmtk_spike_trains(self):
        """The spikes as ``bmtk.utils.reports.spike_trains.SpikeTrains``
        (bmtk must be installed)."""
        from bmtk.utils.reports.spike_trains import SpikeTrains

        trains = SpikeTrains()
        for pop in self.population_names:
            mask = self.populations == pop
            trains.add_spikes(
                node_ids=self.node_ids[mask], timestamps=self.timestamps[mask], population=pop
            )
        return trains

    def __repr__(self) -> str:
        return f"<nmc.Run {self.path}: {len(self.timestamps)} spikes, {len(self.reports)} reports>"


def _text_progress(stream=None) -> Callable[[float, float, float], None]:
    """A progress line on ``stream`` (sys.stderr), shown once a run has
    taken a second, as ``nmc run`` shows its bar; Jupyter shows it too."""
    start = time.monotonic()
    shown = [False]

    def update(t: float, tstart: float, tstop: float) -> None:
        out = stream or sys.stderr
        elapsed = time.monotonic() - start
        if elapsed < 1.0 and not shown[0]:
            return
        span = max(tstop - tstart, 1e-300)
        frac = min(max((t - tstart) / span, 0.0), 1.0)
        bar = "#" * int(frac * 30)
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        out.write(f"\r[{bar:<30}] t = {t:.1f} ms of {tstop:g} ({elapsed:.1f} s, eta {eta:.1f} s)")
        if frac >= 1.0:
            out.write("\n")
        out.flush()
        shown[0] = True

    return update


def _default_threads() -> int:
    """The cores this process may run on, as ``nmc run`` counts them."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:
        return os.cpu_count() or 1


def run(
    path: PathLike,
    *,
    threads: Optional[int] = None,
    exact: bool = False,
    math: str = "exact",
    output_dir: Optional[PathLike] = None,
    templates: Optional[PathLike] = None,
    mechanisms: Optional[PathLike] = None,
    progress: Union[bool, Callable[[float, float, float], None]] = True,
) -> Run:
    """Runs an NDL file or a SONATA ``simulation_config.json``, as
    ``nmc run`` does, and returns the spikes, reports and rates in memory.

    - ``threads``: threads to simulate on (default: every core);
    - ``exact``: integrate every synapse on its own (NEURON's bits on
      every network; the default aggregates linear synapses);
    - ``math``: ``"exact"`` (the C library's exp) or ``"fast"``;
    - ``output_dir``: also write the SONATA spike file and the reports
      there, as ``nmc run -o DIR`` (default: nothing is written);
    - ``templates``, ``mechanisms``: SONATA runs, as ``--templates`` and
      ``--mechanisms``;
    - ``progress``: ``True`` shows a progress line on stderr once a run
      takes a second; a callable gets ``(t, tstart, tstop)`` in ms about
      ten times a second; ``False`` shows nothing.

    The GIL is released while nmc works; Ctrl-C stops the run (within
    0.1 s) and raises KeyboardInterrupt. Problems raise :class:`LoadError`
    or :class:`SimulationError`.
    """
    cb = _text_progress() if progress is True else (progress or None)
    if cb is not None and not callable(cb):
        raise TypeError("progress must be a bool or a callable(t, tstart, tstop)")
    n = _default_threads() if threads is None else int(threads)
    if n < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    raw = _nmc.run(
        os.fspath(path),
        n,
        bool(exact),
        math,
        None if templates is None else os.fspath(templates),
        None if mechanisms is None else os.fspath(mechanisms),
        None if output_dir is None else os.fspath(output_dir),
        cb,
    )
    if "failed" in raw:
        diags = _diagnostics(raw["diagnostics"])
        if raw["failed"] == "load":
            raise LoadError(diags)
        raise SimulationError(diags)
    result = Run(raw, os.fspath(path))
    if raw["error"] is not None:
        err = SimulationError(_diagnostics([raw["error"]]))
        err.run = result
        raise err
    return result


def _expand(paths: Union[PathLike, Iterable[PathLike]], ext: str) -> list[str]:
    """Files of ``paths``; a folder means its ``*.ext`` files, sorted."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[str] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            out.extend(
                sorted(os.path.join(p, f) for f in os.listdir(p) if f.endswith("." + ext))
            )
        else:
            out.append(p)
    return out


def check(paths: Union[PathLike, Iterable[PathLike]]) -> list[Diagnostic]:
    """Runs nmc's front end over ``.mod`` and ``.ndl`` files (a folder
    means its ``.mod`` files) and returns every diagnostic, as ``nmc
    check`` prints them; errors are returned, not raised."""
    return _diagnostics(_nmc.check(_expand(paths, "mod")))


@dataclass(frozen=True)
class Variable:
    """A variable of a mechanism: unit as declared, default value, and
    whether it is settable per instance, a GLOBAL, or an ion value."""

    name: str
    unit: Optional[str]
    default: float
    settable: bool
    is_global: bool
    ion: bool


@dataclass(frozen=True)
class Mechanism:
    """A mechanism compiled to machine code: name, kind (``density``,
    ``point_process``, ``artificial_cell``), variables, ions, kernels."""

    file: str
    name: str
    kind: str
    variables: list
    ions: list
    kernels: list
    receives_events: bool
    weight_unit: Optional[str]
    seconds: float

    @property
    def parameters(self) -> list[Variable]:
        """The variables a network may set (per instance or GLOBAL)."""
        return [v for v in self.variables if v.settable or v.is_global]


def compile(paths: Union[PathLike, Iterable[PathLike]]) -> list[Mechanism]:
    """Compiles ``.mod`` files (a folder means its ``.mod`` files) through
    the whole compiler, machine code included, as ``nmc compile`` does;
    returns one :class:`Mechanism` per file. Any error raises
    :class:`LoadError` with every diagnostic."""
    raw = _nmc.compile(_expand(paths, "mod"))
    diags = _diagnostics(raw["diagnostics"])
    if any(d.severity == "error" for d in diags):
        raise LoadError(diags)
    out = []
    for m in raw["mechanisms"]:
        out.append(
            Mechanism(
                file=str(m["file"]),
                name=m["name"],
                kind=m["kind"],
                variables=[Variable(*v) for v in m["variables"]],
                ions=list(m["ions"]),
                kernels=list(m["kernels"]),
                receives_events=m["receives_events"],
                weight_unit=m["weight_unit"],
                seconds=m["seconds"],
            )
        )
    return out


@dataclass(frozen=True)
class Analysis:
    """What ``nmc analyze`` computes: ``stats`` (one dict per group, the
    fields of ``stats.json``), ``window`` (tstart, tstop in ms),
    ``group_by``, ``table`` (the printed table) and ``figures`` (name ->
    PNG or SVG bytes: ``raster``, ``rates``, ``rate_distribution``, ``spectrum``)."""

    stats: list
    window: tuple
    group_by: str
    dropped_spikes: int
    table: str
    figures: dict

    def group(self, name: str) -> dict:
        for g in self.stats:
            if g["group"] == name:
                return g
        raise KeyError(name)

    def __str__(self) -> str:
        return self.table


def analyze(
    spikes: Union[PathLike, Run],
    *,
    config: Optional[PathLike] = None,
    network: Optional[PathLike] = None,
    group_by: str = "pop_name",
    bin: float = 5.0,
    smooth: float = 20.0,
    figures: Optional[str] = "png",
) -> Analysis:
    """Statistics and pictures of spikes, as ``nmc analyze``: ``spikes``
    is a SONATA spike file or a :class:`Run`; ``config`` (a SONATA
    simulation config) or ``network`` (an NDL file) name the cells and the
    window (a Run names its own); ``figures`` is ``"png"``, ``"svg"`` or
    None. Problems raise :class:`AnalysisError`."""
    if figures not in ("png", "svg", None):
        raise ValueError(f'figures must be "png", "svg" or None, not {figures!r}')
    path = columns = None
    if isinstance(spikes, Run):
        columns = (
            list(spikes.population_names),
            spikes._population_index.tolist(),
            spikes.node_ids.tolist(),
            spikes.timestamps.tolist(),
        )
        if config is None and network is None:
            if spikes.path.endswith(".json"):
                config = spikes.path
            else:
                network = spikes.path
    else:
        path = os.fspath(spikes)
    if config is None and network is None:
        group_by = "population"
    raw = _nmc.analyze(
        path,
        columns,
        None if config is None else os.fspath(config),
        None if network is None else os.fspath(network),
        group_by,
        float(bin),
        float(smooth),
        figures,
    )
    if "diagnostics" in raw:
        raise AnalysisError(_diagnostics(raw["diagnostics"]))
    doc = json.loads(raw["stats_json"])
    return Analysis(
        stats=doc["groups"],
        window=(doc["tstart_ms"], doc["tstop_ms"]),
        group_by=doc["group_by"],
        dropped_spikes=doc["dropped_spikes"],
        table=raw["table"],
        figures=dict(raw["figures"]),
    )
