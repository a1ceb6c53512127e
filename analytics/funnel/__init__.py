"""The stage funnel of a published journey map: parameters, the SQL computation and
the report kind (result format in analytics/funnel/report.py, method in
docs/analytics/funnel.md)."""
