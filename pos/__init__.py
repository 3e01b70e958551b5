"""A full-screen terminal point of sale."""

import logging

__version__ = "0.1.0"

# a library's manners: nothing reaches the terminal unless the command sets up the log
logging.getLogger(__name__).addHandler(logging.NullHandler())
