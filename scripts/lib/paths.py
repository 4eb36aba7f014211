"""Where things are: the repository's root, and the declutterd a `swift build` makes there."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def declutterd(configuration):
    """The declutterd of `swift build -c CONFIGURATION` ("debug", "release") in this repository."""
    return os.path.join(ROOT, f".build/{configuration}/declutterd")
