"""The HTTP API of the collaboration server (FastAPI): ``create_app`` and the pieces it is built from.

A face like the CLI: routes parse, call ``entas.ops.access.Access`` and ``entas.ledger``, and render; the
access layer decides who sees what. See docs/api.md.
"""

from entas.api.app import create_app

__all__ = ["create_app"]
