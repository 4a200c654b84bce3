"""The HTTP API's contract, shared by ``rowport serve`` and the remote client.

``OPERATIONS`` declares every operation once (name, method, path, what it takes and answers,
whether it writes); the server derives its routes and its OpenAPI document from it and the
remote client its calls, so the three cannot drift apart. :mod:`rowport.api._wire` maps
rowport's exceptions to error codes and back. Nothing here imports the web framework.
"""

from __future__ import annotations

from rowport.api._operations import OPERATIONS, Operation, Param, operation
from rowport.api._wire import (
    WIRE_ERRORS,
    error_status,
    raise_wire_error,
    wire_details,
    wire_error,
)

__all__ = [
    "OPERATIONS",
    "WIRE_ERRORS",
    "Operation",
    "Param",
    "error_status",
    "operation",
    "raise_wire_error",
    "wire_details",
    "wire_error",
]
