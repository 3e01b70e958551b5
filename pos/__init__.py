"""A full-screen terminal point of sale."""

import logging
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pos-till")  # the one in pyproject.toml, as installed
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

# a library's manners: nothing reaches the terminal unless the command sets up the log
logging.getLogger(__name__).addHandler(logging.NullHandler())
