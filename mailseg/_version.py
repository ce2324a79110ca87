"""The version of the mailseg core, in one place."""

__version__ = "0.1.0"
