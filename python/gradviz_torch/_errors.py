"""The exceptions of gradviz_torch."""


class GradvizTorchError(Exception):
    """Base class of everything gradviz_torch raises on purpose."""


class ExportError(GradvizTorchError):
    """The model cannot be translated into gradviz's format faithfully."""


class UnsupportedOpError(ExportError):
    """An ATen op gradviz does not have (or an option of one it cannot express).

    `aten_op` is the op (`aten.erf.default`), `source` the user's line
    (`model.py:12: return torch.erf(x)`) when the trace recorded it.
    """

    def __init__(self, message, aten_op=None, source=None):
        super().__init__(message)
        self.aten_op = aten_op
        self.source = source


class GradvizError(GradvizTorchError):
    """The gradviz binary failed; the message is its one-line message on stderr."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status
