"""Logging filters used by `settings.LOGGING`."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Expected refusals (403 Permission denied, 400) stay a one-line warning on `django.request`.

    Django logs the exception behind a 4xx with its traceback; for a refusal that is the site
    working as designed, and a traceback in the console reads like a bug. Server errors (5xx)
    keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status_code = getattr(record, "status_code", None)
        if record.exc_info and status_code is not None and 400 <= status_code < 500:
            record.exc_info = None
            record.exc_text = None
        return True
