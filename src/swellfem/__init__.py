"""swellfem: stress in confined, swelling active particles of battery electrodes."""

__version__ = "0.1.0"
