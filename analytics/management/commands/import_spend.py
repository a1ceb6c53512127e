"""`manage.py import_spend --workspace SLUG FILE.csv`: spend records from a CSV file.

Columns: touchpoint (the touchpoint's key), campaign, period_start, period_end (ISO
dates, the end inclusive), amount (at least 0, rounded to cents half up), currency (ISO
4217, optional). A row needs a touchpoint, a campaign or both.

Idempotent: the workspace holds one spend row per touchpoint, campaign and period, so a
row whose touchpoint, campaign, period_start and period_end are stored already replaces
the stored amount and currency (counted as accepted) or, when they are the same, changes
nothing (counted as a duplicate). Importing a file twice, or a corrected file, is safe.
Within one file, a later row for the same touchpoint, campaign and period wins.
Rejected rows go to FILE.rejected.csv with their line numbers and reasons, like the
activity imports (accounts.csv_import, whose reader and command this reuses).
"""

from dataclasses import dataclass

from accounts.csv_import import ImportCommand, ImportKind
from accounts.ingestion import IngestReport
from analytics import services
from workspaces.models import Workspace


@dataclass(frozen=True)
class SpendImportKind(ImportKind):
    """Spend rows go to the analytics services, not to the activity pipeline."""

    def ingest(self, workspace: Workspace, items) -> IngestReport:
        return services.spend_import(workspace=workspace, items=items)


def _spend_item(cells: dict[str, str]) -> services.SpendItem:
    return services.SpendItem(
        touchpoint=cells.get("touchpoint", ""),
        campaign=cells.get("campaign", ""),
        period_start=cells.get("period_start", ""),
        period_end=cells.get("period_end", ""),
        amount=cells.get("amount", ""),
        currency=cells.get("currency", ""),
    )


SPEND = SpendImportKind(
    label="spend",
    operation="spendImport",
    columns=("touchpoint", "campaign", "period_start", "period_end", "amount", "currency"),
    required=("period_start", "period_end", "amount"),
    make_item=_spend_item,
    pipeline="",
)


class Command(ImportCommand):
    help = (
        "Import spend (columns touchpoint, campaign, period_start, period_end, amount, "
        "currency) from a CSV file into a workspace. A row for a touchpoint, campaign and "
        "period already stored replaces its amount (accepted), or changes nothing when the "
        "amount is the same (duplicate). Rejected rows go to FILE.rejected.csv with their "
        "line numbers and reasons."
    )
    kind = SPEND
