"""The error every reader raises for a file it will not read: it names the file and what was refused."""
from __future__ import annotations

from zoo.errors import ZooError


class UnsafeFileError(ZooError):
    """A checkpoint asks for something a safe reader refuses (a global outside the allow-list, a Lua
    function, a malformed header). Nothing from the file was executed."""

    def __init__(self, path, refused: str, why: str = "") -> None:
        self.path, self.refused = str(path), refused
        super().__init__(f"{path}: refused {refused}{': ' + why if why else ''}; nothing in the file was "
                         f"executed")
