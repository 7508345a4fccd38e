"""kb: a claim-tracking knowledge base for developing news stories."""

__version__ = "0.1.0"
