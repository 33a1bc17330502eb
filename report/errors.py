"""The one error type the report raises for bad input: its message is meant for the user."""


class ReportError(ValueError):
    """A spec, results directory or site config the report cannot use, and why."""
