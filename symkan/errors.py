"""Errors that symkan raises on purpose.

Every `InputError` message names the problem, the offending value and the fix;
the CLI prints it and exits with status 2.
"""


class SymkanError(Exception):
    """Base class of symkan's own errors."""


class InputError(SymkanError, ValueError):
    """The user's data or arguments cannot be used as given."""
