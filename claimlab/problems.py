"""User mistakes the CLI reports as a message and an exit code, never as a traceback."""


class UserError(Exception):
    """A problem with what the user asked for; `str()` is the whole message."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
