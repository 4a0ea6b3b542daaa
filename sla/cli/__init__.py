"""The command line, ``./sla.sh`` (``python -m sla``): ``main`` parses and runs one command."""
