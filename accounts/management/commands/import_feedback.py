"""`manage.py import_feedback --workspace SLUG FILE.csv`: feedback responses from CSV.

Streams the file through the API's ingestion pipeline; see docs/ingestion.md, "CSV import".
"""

from accounts.csv_import import FEEDBACK, ImportCommand


class Command(ImportCommand):
    help = (
        "Import feedback responses (NPS, CSAT, CES, ratings, comments) from a CSV file "
        "(header row first) into a workspace, through the same validation and client-id "
        "idempotency as the API. Rejected rows go to FILE.rejected.csv with their line "
        "numbers and reasons."
    )
    kind = FEEDBACK
