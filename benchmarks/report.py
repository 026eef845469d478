"""Turn the measurements into the printed tables and the targets check (issues 6 and 13).

Nothing here asserts: a target that is missed says MISS with its number, and a
cell whose tool failed shows the failure. Sizes use MB = 1,000,000 bytes (the
stricter reading of the targets).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

from runner import Cell, LoadSampler, Matrix, Timing, median

MB = 1_000_000
DASH = "–"


# ---- formatting ----------------------------------------------------------------------------

def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return DASH
    ms = seconds * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}"


def fmt_spread(values: Sequence[float]) -> str:
    """Median with min–max, in ms; a single run shows just the value."""
    if not values:
        return DASH
    middle = fmt_ms(median(values))
    if len(values) == 1:
        return middle
    return f"{middle} ({fmt_ms(min(values))}{DASH}{fmt_ms(max(values))})"


def fmt_bytes(count: float | None) -> str:
    if count is None:
        return DASH
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count:.0f} B"


def fmt_ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return DASH
    ratio = ours / theirs
    return f"{ratio:.2g}×" if ratio < 10 else f"{ratio:,.0f}×"


def render(header: list[str], rows: list[list[str]], right: Sequence[int] = ()) -> str:
    """A plain monospace table; columns listed in ``right`` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *map(line, rows)])


def clip(text: str, width: int = 44) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---- the main table ------------------------------------------------------------------------

def frames_kept(cell: Cell) -> str:
    fid = cell.fidelity
    if fid is None:
        return clip(cell.fidelity_error or DASH, 24)
    kept = f"{fid['with_locals']}/{cell.tb_frames}"
    return kept + (f" +gap {fid['gap']}" if fid.get("gap") else "")


def biggest_kept(cell: Cell, expected: int | None) -> str:
    if cell.fidelity is None or expected is None:
        return DASH
    kept = cell.fidelity["biggest"]
    return "repr only" if kept == 0 else f"{kept:,}/{expected:,}"


def ratios(ours: Cell, cell: Cell) -> str:
    """Ours divided by this tool: cold and warm capture, size, traceback load (below 1
    means ours is faster or smaller)."""
    pairs = [(median(ours.cold_s), median(cell.cold_s)),
             (median(ours.capture_s), median(cell.capture_s)),
             (median(ours.size), median(cell.size)),
             (median(ours.traceback_s), median(cell.traceback_s))]
    return " / ".join(fmt_ratio(a, b) for a, b in pairs)


def _or_error(values: Sequence[float], error: str | None) -> str:
    return clip("ERROR: " + error, 28) if error else fmt_spread(values)


def cell_row(scenario: str, tool: str, cell: Cell, ours: Cell | None,
             expected: int | None) -> list[str]:
    if cell.error:
        return [scenario, tool, clip("ERROR: " + cell.error if cell.error != "timeout"
                                     else "timeout"), *[""] * (len(MAIN_HEADER) - 3)]
    versus = ratios(ours, cell) if ours is not None and tool != "ours" else ""
    return [scenario, tool, fmt_spread(cell.cold_s), fmt_spread(cell.capture_s),
            fmt_bytes(median(cell.cold_peak)), fmt_bytes(median(cell.size)),
            _or_error(cell.traceback_s, cell.traceback_error),
            _or_error(cell.load_s, cell.load_error), frames_kept(cell),
            biggest_kept(cell, expected), versus]


MAIN_HEADER = ["scenario", "tool", "cold ms", "warm ms", "peak extra", "dump", "to tb ms",
               "print ms", "frames w/ locals", "biggest kept", "ours÷tool cold/warm/size/tb"]


def main_table(matrix: Matrix, biggest: dict[str, int | None]) -> str:
    rows = []
    for scenario in matrix.scenarios:
        ours = matrix.cells.get((scenario, "ours"))
        ours = ours if ours is not None and not ours.error else None
        for i, tool in enumerate(matrix.tools):
            cell = matrix.cells[(scenario, tool.name)]
            rows.append(cell_row(scenario if i == 0 else "", tool.name, cell, ours,
                                 biggest.get(scenario)))
    return render(MAIN_HEADER, rows)


def runs_note(matrix: Matrix) -> str:
    """Which cells ran fewer times than the others (slow, failed or timed out)."""
    counts = {key: min(len(c.capture_s), len(c.cold_s)) for key, c in matrix.cells.items()
              if not c.error}
    most = max(counts.values(), default=0)
    short = [f"{t}/{s} ({n})" for (s, t), n in counts.items() if n < most]
    return f"Runs per cell: {most}" + (f"; fewer for {', '.join(short)}" if short else "")


def load_note(sampler: LoadSampler) -> str:
    """How busy the machine was while it measured: why only ratios within a run count."""
    loads = sampler.loads
    if not loads:
        return "Machine load: not available on this system"
    busy = sampler.busy_share()
    cpus = f"; all CPUs {busy:.0%} busy" if busy is not None else ""
    return (f"Machine load during the run: 1-minute load average {median(loads):.2f} "
            f"(min {min(loads):.2f}, max {max(loads):.2f}, {len(loads)} samples){cpus}, "
            f"the benchmark's own processes included")


def first_capture_table(matrix: Matrix) -> str:
    """Each tool's first capture in a process (a tiny exception), over all its runs.

    It includes whatever the tool imports lazily at its first capture, which
    the scenario columns above leave out.
    """
    rows = []
    for tool in matrix.tools:
        values = [v for s in matrix.scenarios for v in matrix.cells[(s, tool.name)].first_s]
        rows.append([tool.name, fmt_spread(values), str(len(values))])
    return render(["first capture in a process (tiny exception)", "ms", "runs"], rows,
                  right=(2,))


# ---- startup -------------------------------------------------------------------------------

def startup_table(timings: list[Timing], importtime: tuple[list[float], str]) -> str:
    by_label = {t.label: t for t in timings}
    rows = []
    for t in timings:
        if t.error:
            rows.append([t.label, clip("ERROR: " + t.error), "", ""])
            continue
        base = by_label.get(t.baseline) if t.baseline else None
        added = paired_added(t, base) if base else None
        rows.append([t.label, fmt_spread(t.times), fmt_signed_ms(added), str(len(t.times))])
    values, error = importtime
    if values or error:
        cumulative = (f"{median(values) / 1e3:.1f} ({min(values) / 1e3:.1f}{DASH}"
                      f"{max(values) / 1e3:.1f})" if values else clip("ERROR: " + error))
        rows.append(["ours: -X importtime, pydumpling_hook cumulative", cumulative, "",
                     str(len(values))])
    return render(["startup (whole process)", "ms", "vs bare (paired)", "runs"], rows,
                  right=(2, 3))


def paired_added(timing: Timing, base: Timing) -> float | None:
    """The median of per-round differences: each round ran both commands back to back,
    so a load burst that slows one round cancels out, as it would not between medians."""
    pairs = list(zip(timing.times, base.times))
    return median([a - b for a, b in pairs]) if pairs else None


def fmt_signed_ms(seconds: float | None) -> str:
    return DASH if seconds is None else f"{seconds * 1e3:+.1f}"


# ---- targets -------------------------------------------------------------------------------

@dataclass
class Results:
    """Everything the targets are checked against, from one run."""

    matrix: Matrix
    timings: list[Timing]

    def cell(self, scenario: str, tool: str = "ours") -> Cell | None:
        cell = self.matrix.cells.get((scenario, tool))
        return cell if cell is not None and not cell.error and cell.capture_s else None

    def timing(self, prefix: str) -> Timing | None:
        return next((t for t in self.timings if t.label.startswith(prefix) and t.times), None)

    def added(self, prefix: str) -> float | None:
        t = self.timing(prefix)
        base = self.timing(t.baseline) if t and t.baseline else None
        return paired_added(t, base) if t and base else None


Verdict = Tuple[Optional[bool], str]  # (None: could not be measured, detail)


def _capture_under(scenario: str, limit_s: float,
                   attr: str = "cold_s") -> Callable[[Results], Verdict]:
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        if cell is None:
            return None, _why(r, scenario)
        value = median(getattr(cell, attr))
        return value <= limit_s, f"{fmt_ms(value)} ms (limit {fmt_ms(limit_s)} ms)"
    return check


def _floor_multiple(scenario: str, times: float, or_under_s: float | None = None,
                    attr: str = "cold_s"):
    def check(r: Results) -> Verdict:
        ours, floor = r.cell(scenario), r.cell(scenario, "floor")
        if ours is None or floor is None or not getattr(floor, attr):
            return None, _why(r, scenario)
        value, base = median(getattr(ours, attr)), median(getattr(floor, attr))
        ok = value <= times * base or (or_under_s is not None and value <= or_under_s)
        return ok, f"{fmt_ms(value)} ms; floor {fmt_ms(base)} ms ({value / base:.2f}×)"
    return check


def _ahead_of(scenario: str, tool: str, items_times: int, attr: str = "cold_s"):
    """Faster than ``tool`` in the same run while keeping ``items_times`` its items."""
    def check(r: Results) -> Verdict:
        ours, theirs = r.cell(scenario), r.cell(scenario, tool)
        if ours is None or theirs is None:
            return None, _why(r, scenario) if ours is None else f"{tool} not measured"
        value, other = median(getattr(ours, attr)), median(getattr(theirs, attr))
        kept = (ours.fidelity or {}).get("biggest", 0)
        their_kept = (theirs.fidelity or {}).get("biggest", 0)
        ok = value < other and kept >= items_times * their_kept
        return ok, (f"{fmt_ms(value)} ms vs {fmt_ms(other)} ms ({value / other:.2f}×); "
                    f"items {kept:,} vs {their_kept:,}")
    return check


def _all_frames(scenario: str, gap_ok: bool = False):
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        if cell is None or cell.fidelity is None:
            return None, _why(r, scenario) if cell is None else f"fidelity: {cell.fidelity_error}"
        kept, gap, total = (cell.fidelity["with_locals"], cell.fidelity.get("gap") or 0,
                            cell.tb_frames)
        ok = kept == total or (gap_ok and gap > 0 and kept + gap >= total)
        return ok, f"{kept}/{total} frames with locals" + (f", gap marker {gap}" if gap else "")
    return check


def _array_shown(scenario: str):
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        if cell is None or cell.fidelity is None:
            return None, _why(r, scenario) if cell is None else f"fidelity: {cell.fidelity_error}"
        shown = cell.fidelity.get("array")
        return shown is not None, shown or "no shape and dtype"
    return check


def _biggest_at_least(scenario: str, items: int):
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        if cell is None or cell.fidelity is None:
            return None, _why(r, scenario)
        kept = cell.fidelity["biggest"]
        return kept >= items, f"{kept:,} items kept"
    return check


def _median_under(scenario: str, attr: str, limit: float):
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        values = getattr(cell, attr) if cell is not None else []
        if not values:
            return None, _why(r, scenario) if cell is None else f"no {attr} measured"
        value = median(values)
        return value <= limit, f"{fmt_bytes(value)} (limit {fmt_bytes(limit)})"
    return check


def _load_under(scenario: str, limit_s: float, attr: str = "load_s"):
    def check(r: Results) -> Verdict:
        cell = r.cell(scenario)
        values = getattr(cell, attr) if cell is not None else []
        if not values:
            error = cell.load_error if attr == "load_s" else cell.traceback_error
            return None, error if cell else _why(r, scenario)
        value = median(values)
        return value <= limit_s, f"{fmt_ms(value)} ms (limit {fmt_ms(limit_s)} ms)"
    return check


def _startup_added(prefix: str, limit_s: float):
    def check(r: Results) -> Verdict:
        added = r.added(prefix)
        if added is None:
            return None, "not measured"
        return added <= limit_s, f"{fmt_signed_ms(added)} ms (limit +{limit_s * 1e3:.0f} ms)"
    return check


def _timing_under(prefix: str, limit_s: float):
    def check(r: Results) -> Verdict:
        t = r.timing(prefix)
        if t is None:
            failed = next((x for x in r.timings if x.label.startswith(prefix)), None)
            return None, failed.error if failed else "not measured"
        value = median(t.times)
        return value <= limit_s, f"{fmt_ms(value)} ms (limit {fmt_ms(limit_s)} ms)"
    return check


def _why(r: Results, scenario: str) -> str:
    cell = r.matrix.cells.get((scenario, "ours"))
    return (cell.error or "no runs") if cell is not None else "not run"


TARGETS = [
    ("web: cold capture ≤ 1.5× floor", _floor_multiple("web", 1.5)),
    ("web: every frame's locals kept", _all_frames("web")),
    ("web: containers keep ≥ 1,000 items", _biggest_at_least("web", 1_000)),
    ("unpicklable: cold capture ≤ 3 ms or ≤ 4× floor",
     _floor_multiple("unpicklable", 4.0, or_under_s=0.003)),
    ("deep: cold capture ≤ 3× floor", _floor_multiple("deep", 3.0)),
    ("deep: every frame kept (or both ends + gap)", _all_frames("deep", gap_ok=True)),
    ("wide: cold capture ≤ 2× floor", _floor_multiple("wide", 2.0)),
    ("wide: cold ahead of pydumpling, 10× its items", _ahead_of("wide", "pydumpling", 10)),
    ("bigdata: cold capture ≤ 20 ms", _capture_under("bigdata", 0.020)),
    ("bigdata: extra memory ≤ 20 MB", _median_under("bigdata", "cold_peak", 20 * MB)),
    ("bigdata: dump ≤ 5 MB", _median_under("bigdata", "size", 5 * MB)),
    ("bigdata: the array's shape and dtype shown", _array_shown("bigdata")),
    ("load() of the web dump into a traceback ≤ 10 ms",
     _load_under("web", 0.010, "traceback_s")),
    ("pydumpling-open --print of the web dump ≤ 100 ms", _load_under("web", 0.100)),
    ("startup: ≤ +1 ms, PYDUMPLING_DIR unset", _startup_added("ours: python -c pass, "
                                                              "PYDUMPLING_DIR unset", 0.001)),
    ("startup: ≤ +5 ms, PYDUMPLING_DIR set", _startup_added("ours: python -c pass, "
                                                            "PYDUMPLING_DIR set", 0.005)),
    ("pydumpling-open --list of 200 dumps ≤ 1 s", _timing_under("ours: pydumpling-open --list",
                                                                1.0)),
]
"""Issue 13's targets (cold, as ratios to the floor of the same run), with issue 6's
fidelity and ``--list`` targets that issue 13 keeps."""


def targets_table(results: Results) -> str:
    rows = []
    for name, check in TARGETS:
        try:
            ok, detail = check(results)
        except Exception as error:  # a report bug must not hide the other targets
            ok, detail = None, f"check failed: {type(error).__name__}: {error}"
        status = "n/a" if ok is None else ("PASS" if ok else "MISS")
        rows.append([status, name, clip(str(detail), 60)])
    return render(["", "target (issue 13; cold unless said)", "measured"], rows)


def error_notes(matrix: Matrix) -> list[str]:
    """Full text of every failure that the table had to clip."""
    notes = []
    for (scenario, tool), cell in matrix.cells.items():
        notes += [f"{tool}/{scenario} capture: {text}" for text in cell.errors
                  if text != "timeout"]
        for kind, text in (("load", cell.load_error), ("fidelity", cell.fidelity_error)):
            if text and text != "timeout":
                notes.append(f"{tool}/{scenario} {kind}: {text}")
    return notes
