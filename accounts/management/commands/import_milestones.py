"""`manage.py import_milestones --workspace SLUG FILE.csv`: milestone achievements from CSV.

Streams the file through the API's ingestion pipeline; see docs/ingestion.md, "CSV import".
"""

from accounts.csv_import import MILESTONES, ImportCommand


class Command(ImportCommand):
    help = (
        "Import milestone achievements from a CSV file (header row first) into a workspace, "
        "through the same validation and client-id idempotency as the API. Rejected rows go "
        "to FILE.rejected.csv with their line numbers and reasons."
    )
    kind = MILESTONES
