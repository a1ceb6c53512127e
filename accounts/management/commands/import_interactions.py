"""`manage.py import_interactions --workspace SLUG FILE.csv`: interactions from a CSV file.

Streams the file through the API's ingestion pipeline; see docs/ingestion.md, "CSV import".
"""

from accounts.csv_import import INTERACTIONS, ImportCommand


class Command(ImportCommand):
    help = (
        "Import interactions from a CSV file (header row first) into a workspace, through "
        "the same validation and client-id idempotency as the API. Rejected rows go to "
        "FILE.rejected.csv with their line numbers and reasons."
    )
    kind = INTERACTIONS
