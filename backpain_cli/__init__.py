"""backpain: back-pain interviews and explainable care plans for practitioners."""

__version__ = "0.1.0"
