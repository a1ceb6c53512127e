"""Importing interactions, milestone achievements and feedback responses from CSV files,
in constant memory.

Rows are read one at a time and handed, in batches of at most `MAX_BATCH`, to the same
pipeline as the GraphQL API (`interactions_ingest`, `milestones_record`,
`feedback_record`): validation,
identity resolution and idempotency by client id are the API's. Rejected rows go to a
CSV file beside the input, with their line number and the reasons. docs/ingestion.md
("CSV import") describes the columns and the command line.
"""

import codecs
import csv
import logging
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from accounts import ingestion
from accounts.identity import AccountRef, ContactRef
from accounts.ingestion import (
    AchievementItem,
    FeedbackItem,
    InteractionItem,
    ItemError,
    ItemStatus,
)
from workspaces.audit import audit_record
from workspaces.models import AuditEvent, Workspace

ACCOUNT_COLUMNS = ("account_source", "account_external_id", "account_domain", "account_name")
CONTACT_COLUMNS = ("contact_source", "contact_external_id", "contact_email", "contact_name")
# Columns of a rejected-rows file: accepted (and ignored) on input, so that a corrected
# rejected-rows file can be imported as it is.
LINE_COLUMN, ERRORS_COLUMN = "line", "errors"
IGNORED_COLUMNS = (LINE_COLUMN, ERRORS_COLUMN)


class CsvImportError(Exception):
    """The file cannot be imported (or read on); `stats` counts what was done before."""

    def __init__(self, message: str, stats: "ImportStats | None" = None):
        super().__init__(message)
        self.message = message
        self.stats = stats


# What each kind of file holds ------------------------------------------------------------


def _ref(cells: dict[str, str], prefix: str, ref_type: type) -> Any:
    """An AccountRef/ContactRef from the prefix_* columns; None when all are empty."""
    values = {name: cells.get(f"{prefix}_{name}", "") for name in ref_type.__dataclass_fields__}
    return ref_type(**values) if any(values.values()) else None


def _interaction(cells: dict[str, str]) -> InteractionItem:
    return InteractionItem(
        client_id=cells.get("client_id", ""),
        touchpoint=cells.get("touchpoint", ""),
        occurred_at=cells.get("occurred_at", ""),
        account=_ref(cells, "account", AccountRef),
        contact=_ref(cells, "contact", ContactRef),
        source=cells.get("source", ""),
        medium=cells.get("medium", ""),
        campaign=cells.get("campaign", ""),
        cost=cells.get("cost") or None,
        properties=cells.get("properties") or None,
    )


def _achievement(cells: dict[str, str]) -> AchievementItem:
    return AchievementItem(
        client_id=cells.get("client_id", ""),
        milestone=cells.get("milestone", ""),
        occurred_at=cells.get("occurred_at", ""),
        account=_ref(cells, "account", AccountRef),
        contact=_ref(cells, "contact", ContactRef),
        value=cells.get("value") or None,
        currency=cells.get("currency", ""),
        properties=cells.get("properties") or None,
    )


def _feedback(cells: dict[str, str]) -> FeedbackItem:
    return FeedbackItem(
        client_id=cells.get("client_id", ""),
        instrument=cells.get("instrument", ""),
        occurred_at=cells.get("occurred_at", ""),
        account=_ref(cells, "account", AccountRef),
        contact=_ref(cells, "contact", ContactRef),
        score=cells.get("score") or None,
        scale=cells.get("scale") or None,
        comment=cells.get("comment", ""),
        source=cells.get("source", ""),
        touchpoint=cells.get("touchpoint") or None,
        stage=cells.get("stage") or None,
        properties=cells.get("properties") or None,
    )


@dataclass(frozen=True)
class ImportKind:
    """One kind of file: its columns, how a row becomes an item, and its pipeline."""

    label: str
    operation: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    make_item: Callable[[dict[str, str]], Any]
    pipeline: str  # a function of accounts.ingestion, looked up at call time

    def ingest(self, workspace: Workspace, items: Sequence) -> ingestion.IngestReport:
        return getattr(ingestion, self.pipeline)(workspace=workspace, items=items)


INTERACTIONS = ImportKind(
    label="interactions",
    operation="interactionsImport",
    columns=(
        "client_id",
        "touchpoint",
        "occurred_at",
        *ACCOUNT_COLUMNS,
        *CONTACT_COLUMNS,
        "source",
        "medium",
        "campaign",
        "cost",
        "properties",
    ),
    required=("client_id", "touchpoint", "occurred_at"),
    make_item=_interaction,
    pipeline="interactions_ingest",
)

MILESTONES = ImportKind(
    label="milestone achievements",
    operation="milestonesImport",
    columns=(
        "client_id",
        "milestone",
        "occurred_at",
        *ACCOUNT_COLUMNS,
        *CONTACT_COLUMNS,
        "value",
        "currency",
        "properties",
    ),
    required=("client_id", "milestone", "occurred_at"),
    make_item=_achievement,
    pipeline="milestones_record",
)

FEEDBACK = ImportKind(
    label="feedback responses",
    operation="feedbackImport",
    columns=(
        "client_id",
        "instrument",
        "occurred_at",
        *ACCOUNT_COLUMNS,
        *CONTACT_COLUMNS,
        "score",
        "scale",
        "comment",
        "source",
        "touchpoint",
        "stage",
        "properties",
    ),
    required=("client_id", "instrument", "occurred_at"),
    make_item=_feedback,
    pipeline="feedback_record",
)


# Errors in CSV terms -----------------------------------------------------------------------

_API_PATH = re.compile(r"\b(account|contact)\.(source|externalId|domain|email|name)\b")
# Messages with these codes are fixed text naming API fields, never quoting input.
_FIXED_TEXT_CODES = frozenset({"required", "unknown_account"})


def column_for(api_field: str) -> str:
    """The CSV column of an API field name: clientId -> client_id, account.domain ->
    account_domain. A whole reference ('account', 'contact') stays as it is."""
    return re.sub(r"[A-Z]", lambda m: f"_{m.group().lower()}", api_field).replace(".", "_")


def describe_errors(errors: Sequence[ItemError]) -> str:
    """'occurred_at: More than 24 hours in the future.; touchpoint: ...' for one row."""
    parts = []
    for error in errors:
        message = error.message
        if error.code in _FIXED_TEXT_CODES:
            message = _API_PATH.sub(lambda m: column_for(m.group()), message)
        parts.append(f"{column_for(error.field)}: {message}" if error.field else message)
    return "; ".join(parts)


# Reading -------------------------------------------------------------------------------------


class _Lines:
    """The lines of a binary file decoded as UTF-8 (a leading BOM is dropped), counting
    lines and bytes so errors and progress can say where the reader is."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.number = 0
        self.bytes_read = 0
        self.bom = False

    def __iter__(self) -> Iterator[str]:
        for line in self.raw:
            self.number += 1
            self.bytes_read += len(line)
            if self.number == 1 and line.startswith(codecs.BOM_UTF8):
                line, self.bom = line[len(codecs.BOM_UTF8) :], True
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise CsvImportError(
                    f"Line {self.number} is not valid UTF-8 (byte {error.start + 1} of the "
                    "line): save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)."
                ) from None


def _records(lines: _Lines) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) for each non-blank record."""
    reader = csv.reader(lines, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            where = f"Line {lines.number}"
            if lines.number != start:
                where += f" (in the row that starts on line {start})"
            raise CsvImportError(f"{where} is not valid CSV: {error}.") from None
        if cells:  # blank lines are skipped
            yield start, cells
        start = lines.number + 1


@dataclass(frozen=True)
class Header:
    names: list[str]  # as written in the file
    columns: list[str]  # normalized: stripped, lower-case

    @property
    def kept(self) -> list[int]:
        """Positions of the columns carried to a rejected-rows file."""
        return [i for i, name in enumerate(self.columns) if name not in IGNORED_COLUMNS]


def check_header(kind: ImportKind, names: list[str]) -> Header:
    columns = [name.strip().lower() for name in names]
    problems = []
    unnamed = [str(i + 1) for i, name in enumerate(columns) if not name]
    if unnamed:
        problems.append(f"column {', '.join(unnamed)} of the header has no name")
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        problems.append(f"repeated columns: {', '.join(repeated)}")
    known = set(kind.columns) | set(IGNORED_COLUMNS)
    unknown = [name for name in columns if name and name not in known]
    if unknown:
        problems.append(
            f"unknown columns: {', '.join(unknown)} (the first line must be the header; "
            f"{kind.label} columns are {', '.join(kind.columns)})"
        )
    missing = [name for name in kind.required if name not in columns]
    if missing:
        problems.append(f"missing required columns: {', '.join(missing)}")
    if problems:
        message = "; ".join(problems)
        raise CsvImportError(f"{message[0].upper()}{message[1:]}. Nothing was imported.")
    return Header(names=names, columns=columns)


# Running an import -------------------------------------------------------------------------


@dataclass
class ImportStats:
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0
    fraction: float | None = None  # of the file read, when its size is known

    def tick(self) -> None:
        self.elapsed = time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return self.rows / self.elapsed if self.elapsed > 0 else 0.0


@dataclass
class ImportResult:
    stats: ImportStats
    rejected_path: Path | None  # None when no row was rejected
    removed_stale: bool  # a rejected-rows file of an earlier run was removed


def default_rejected_path(path: Path) -> Path:
    """data.csv -> data.rejected.csv, beside the input."""
    return path.with_name(f"{path.stem if path.suffix else path.name}.rejected.csv")


@dataclass
class _Row:
    line: int
    cells: list[str]
    item: Any = None  # None: rejected before the pipeline, see `errors`
    errors: str = ""


class _RejectedWriter:
    """Opens the rejected-rows file at the first rejection, not before."""

    def __init__(self, path: Path, header: Header, bom: bool):
        self.path, self.header, self.bom = path, header, bom
        self.file: IO[str] | None = None
        self.writer: Any = None

    def write(self, row: _Row) -> None:
        if self.writer is None:
            encoding = "utf-8-sig" if self.bom else "utf-8"  # as the input was
            self.file = open(self.path, "w", newline="", encoding=encoding)  # noqa: SIM115
            self.writer = csv.writer(self.file)
            kept = self.header.kept
            self.writer.writerow(
                [self.header.names[i] for i in kept] + [LINE_COLUMN, ERRORS_COLUMN]
            )
        cells = row.cells + [""] * (len(self.header.names) - len(row.cells))
        self.writer.writerow([cells[i] for i in self.header.kept] + [row.line, row.errors])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class CsvImport:
    """One run: stream `path`, ingest in batches, write rejections, audit the run."""

    def __init__(
        self,
        kind: ImportKind,
        *,
        workspace: Workspace,
        path: Path,
        rejected_path: Path | None = None,
        batch_size: int = ingestion.MAX_BATCH,
        progress: Callable[[ImportStats], None] | None = None,
    ):
        if not 1 <= batch_size <= ingestion.MAX_BATCH:
            raise CsvImportError(f"The batch size must be between 1 and {ingestion.MAX_BATCH}.")
        self.kind = kind
        self.workspace = workspace
        self.path = path
        self.rejected_path = rejected_path or default_rejected_path(path)
        self.batch_size = batch_size
        self.progress = progress or (lambda stats: None)
        self.stats = ImportStats()

    def run(self) -> ImportResult:
        self._check_paths()
        try:
            raw = open(self.path, "rb")  # noqa: SIM115
        except OSError as error:
            raise CsvImportError(f"Cannot read {self.path}: {error.strerror}.") from None
        with raw:
            stat = os.fstat(raw.fileno())
            size = stat.st_size if S_ISREG(stat.st_mode) else 0
            lines = _Lines(raw)
            records = _records(lines)
            header = check_header(self.kind, self._header(records))
            removed_stale = self._remove_stale()
            rejected = _RejectedWriter(self.rejected_path, header, lines.bom)
            self.stats = stats = ImportStats()
            try:
                self._stream(
                    records, header, rejected, lambda: lines.bytes_read / size if size else None
                )
            except CsvImportError as error:
                error.stats = stats
                error.message += (
                    f" The {stats.rows:,} rows before it were read: {_counts(stats)}. "
                    "Importing the file again after fixing it is safe: rows already stored "
                    "count as duplicates."
                )
                raise
            finally:
                rejected.close()
                stats.tick()
                if stats.accepted:
                    audit_record(
                        workspace=self.workspace,
                        operation=self.kind.operation,
                        source=AuditEvent.Source.COMMAND,
                    )
        return ImportResult(
            stats=stats,
            rejected_path=self.rejected_path if stats.rejected else None,
            removed_stale=removed_stale,
        )

    def _check_paths(self) -> None:
        if self.path.is_dir():
            raise CsvImportError(f"{self.path} is a directory, not a CSV file.")
        if self.rejected_path.resolve() == self.path.resolve():
            raise CsvImportError("The rejected-rows file cannot be the input file.")
        if self.rejected_path.is_dir():
            raise CsvImportError(
                f"Cannot write rejected rows to {self.rejected_path}: a directory."
            )
        if not self.rejected_path.parent.is_dir():
            raise CsvImportError(
                f"Cannot write rejected rows to {self.rejected_path}: no such directory."
            )

    def _header(self, records: Iterator[tuple[int, list[str]]]) -> list[str]:
        for _, names in records:
            return names
        raise CsvImportError(f"{self.path} is empty: the first line must be the header.")

    def _remove_stale(self) -> bool:
        """A rejected-rows file always belongs to the latest run: remove an older one."""
        try:
            self.rejected_path.unlink()
        except FileNotFoundError:
            return False
        return True

    def _stream(self, records, header: Header, rejected: _RejectedWriter, fraction) -> None:
        batch: list[_Row] = []
        try:
            for line, cells in records:
                self.stats.rows += 1
                batch.append(self._row(line, cells, header))
                if len(batch) >= self.batch_size:
                    self._flush(batch, rejected, fraction)
                    batch = []
        except CsvImportError:
            # Everything before the unreadable line is imported, not just whole batches.
            self._flush(batch, rejected, fraction)
            raise
        self._flush(batch, rejected, fraction)

    def _row(self, line: int, cells: list[str], header: Header) -> _Row:
        width = len(header.columns)
        if len(cells) > width and not any(cell.strip() for cell in cells[width:]):
            cells = cells[:width]  # trailing empty cells, e.g. a trailing comma
        if len(cells) != width:
            return _Row(
                line, cells, errors=f"The row has {len(cells)} cells, the header {width} columns."
            )
        values = {
            name: cell.strip()
            for name, cell in zip(header.columns, cells, strict=True)
            if name not in IGNORED_COLUMNS
        }
        return _Row(line, cells, item=self.kind.make_item(values))

    def _flush(self, batch: list[_Row], rejected: _RejectedWriter, fraction) -> None:
        """Ingest a batch and account for every row in it, in line order."""
        if not batch:
            return
        sent = [row for row in batch if row.item is not None]
        if sent:
            report = self.kind.ingest(self.workspace, [row.item for row in sent])
            for row, result in zip(sent, report.items, strict=True):
                if result.status is ItemStatus.ACCEPTED:
                    self.stats.accepted += 1
                elif result.status is ItemStatus.DUPLICATE:
                    self.stats.duplicates += 1
                else:
                    row.errors = describe_errors(result.errors) or "Rejected."
        for row in batch:
            if row.errors:
                self.stats.rejected += 1
                rejected.write(row)
        self.stats.tick()
        self.stats.fraction = fraction()
        self.progress(self.stats)
        reset_queries()  # with DEBUG on, Django would keep the last 9,000 queries' SQL


def _counts(stats: ImportStats) -> str:
    return (
        f"{stats.accepted:,} accepted, {stats.duplicates:,} duplicates, {stats.rejected:,} rejected"
    )


# Progress and the commands ---------------------------------------------------------------


class Progress:
    """A one-line bar on a terminal, redrawn in place; elsewhere a plain line now and then."""

    BAR_WIDTH = 24
    TTY_INTERVAL = 0.1  # seconds between redraws
    PLAIN_INTERVAL = 10.0  # seconds between plain lines

    def __init__(self, out, label: str):
        self.out = out
        self.label = label
        self.tty = out.isatty()
        self.last = 0.0
        self.width = 0
        self.stats: ImportStats | None = None

    def __call__(self, stats: ImportStats, *, final: bool = False) -> None:
        self.stats = stats
        now = time.monotonic()
        interval = self.TTY_INTERVAL if self.tty else self.PLAIN_INTERVAL
        if not final and now - self.last < interval:
            return
        self.last = now
        text = f"{stats.rows:,} rows read, {_counts(stats)} ({stats.rate:,.0f} rows/s)"
        if stats.fraction is not None:
            text = f"{stats.fraction:4.0%}  {text}"
        if self.tty:
            if stats.fraction is not None:
                done = round(self.BAR_WIDTH * stats.fraction)
                text = f"[{'#' * done}{'.' * (self.BAR_WIDTH - done)}] {text}"
            text = text[: shutil.get_terminal_size().columns - 1]  # a wrapped line stays
            padding = " " * max(0, self.width - len(text))
            self.width = len(text)
            self._write(f"\r{text}{padding}" + ("\n" if final else ""))
        elif not final:
            self._write(f"Importing {self.label}: {text}\n")

    def finish(self) -> None:
        """Draw the bar a last time and end its line (the summary follows on stdout)."""
        if self.tty and self.stats is not None:
            self(self.stats, final=True)

    def _write(self, text: str) -> None:
        self.out.write(text, style_func=lambda x: x, ending="")
        self.out.flush()


@contextmanager
def _quiet_task_log():
    """Keep django-q's "Enqueued ..." line per batch from breaking the progress bar."""
    logger = logging.getLogger("django-q")
    level = logger.level
    logger.setLevel(max(logging.WARNING, level))
    try:
        yield
    finally:
        logger.setLevel(level)


class ImportCommand(BaseCommand):
    """`manage.py import_<kind> --workspace SLUG FILE.csv`; subclasses set `kind`."""

    kind: ImportKind

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8, header row first).")
        parser.add_argument("--workspace", required=True, help="The workspace's slug.")
        parser.add_argument(
            "--rejected",
            type=Path,
            help="Where to write rejected rows (default: FILE.rejected.csv beside the input).",
        )
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Exit with an error when any row was rejected (the other rows are stored).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress on stderr.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=ingestion.MAX_BATCH,
            help=f"Rows per call of the ingestion pipeline (1 to {ingestion.MAX_BATCH}).",
        )

    def handle(self, *args, file: Path, workspace: str, **options):
        try:
            ws = Workspace.objects.get(slug=workspace)
        except Workspace.DoesNotExist:
            raise CommandError(f'No workspace with slug "{workspace}".') from None
        verbosity = options["verbosity"]
        progress = None
        if verbosity > 0 and not options["quiet"]:
            progress = Progress(self.stderr, self.kind.label)
        try:
            with _quiet_task_log() if progress and progress.tty else nullcontext():
                result = CsvImport(
                    self.kind,
                    workspace=ws,
                    path=file,
                    rejected_path=options["rejected"],
                    batch_size=options["batch_size"],
                    progress=progress,
                ).run()
        except CsvImportError as error:
            raise CommandError(error.message) from None
        finally:
            if progress is not None:
                progress.finish()
        stats = result.stats
        if verbosity > 0:
            self._summary(result, file, ws)
        if options["strict"] and stats.rejected:
            raise CommandError(
                f"{stats.rejected:,} of {stats.rows:,} rows rejected (see "
                f"{result.rejected_path}); the other rows were stored."
            )

    def _summary(self, result: ImportResult, file: Path, workspace: Workspace) -> None:
        stats = result.stats
        lines = [
            f'Imported {self.kind.label} from {file} into workspace "{workspace.slug}":',
            f"  rows read   {stats.rows:>12,}",
            f"  accepted    {stats.accepted:>12,}",
            f"  duplicates  {stats.duplicates:>12,}",
            f"  rejected    {stats.rejected:>12,}",
            f"  elapsed     {stats.elapsed:>12.1f} s ({stats.rate:,.0f} rows/s)",
        ]
        if result.rejected_path:
            lines.append(
                f"Rejected rows, with their line numbers and reasons: {result.rejected_path}"
            )
        elif result.removed_stale:
            lines.append("Removed the rejected-rows file of an earlier run.")
        style = self.style.WARNING if stats.rejected else self.style.SUCCESS
        self.stdout.write(style("\n".join(lines)))
