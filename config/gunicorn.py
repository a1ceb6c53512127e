"""gunicorn settings: `gunicorn config.wsgi -c python:config.gunicorn`.

Access log lines on stderr with the request id and the time taken, and without
credentials: the values of Authorization-like query parameters (access_token, token,
api_key, ...) and API token secrets are replaced by [REDACTED], in the request line, the
query string and the referrer; the Authorization header is never logged."""

from gunicorn.glogging import Logger

from workspaces.observability import REDACTED, redact

accesslog = "-"
access_log_format = (
    '%(h)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request_id=%({x-request-id}o)s %(M)sms'
)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "q", "f"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        if "{authorization}i" in atoms:
            atoms["{authorization}i"] = REDACTED
        return atoms


logger_class = RedactingLogger
