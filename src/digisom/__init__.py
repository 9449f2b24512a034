"""digisom: an open-source platform for national digital money."""

__version__ = "0.1.0"
