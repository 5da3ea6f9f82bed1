"""Writing a file so that it appears whole or not at all.

The bytes go to a hidden temporary file beside the target; only a finished write is renamed to
the final name (an atomic rename on one filesystem). Any failure, Ctrl-C or SIGTERM (the CLI
turns it into SystemExit) removes the temporary file; a SIGKILL may leave it behind, under a
name that starts with a dot and ends in ``.partial``, never under the final name.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed or removed below)
        dir=path.parent, prefix=f".{path.name}.", suffix=".partial", delete=False
    )
    try:
        yield handle  # type: ignore[misc]
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.chmod(handle.name, 0o644 & ~_umask())
        os.replace(handle.name, path)
    except BaseException:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
