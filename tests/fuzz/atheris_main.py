"""Coverage-guided fuzzing of one decoder with atheris (libFuzzer), where atheris installs.

    python -m tests.fuzz.atheris_main <decoder> -runs=100000 [libFuzzer flags]

The decoder's corpus folder seeds the run; new inputs go to a scratch folder, never into
the repository (copy a crash's input into tests/fuzz/corpus/<decoder>/ as `regress-*`).
A crash or a hang (`Hang`, libFuzzer's -timeout) exits non-zero with the input saved.
"""

from __future__ import annotations

import sys
import tempfile

import atheris

with atheris.instrument_imports(include=["digisom"]):
    from tests.fuzz.harness import HANG_S, Stats, feed
    from tests.fuzz.targets import CORPUS, all_targets


def main(argv: list[str]) -> None:
    name, flags = argv[1], argv[2:]
    target = next(t for t in all_targets() if t.name == name)
    stats = Stats()

    def one_input(data: bytes) -> None:
        feed(target, data, stats)

    scratch = tempfile.mkdtemp(prefix=f"digisom-atheris-{name}-")
    args = [argv[0], *flags, f"-timeout={int(HANG_S)}", f"-artifact_prefix={scratch}/", scratch, str(CORPUS / name)]
    atheris.Setup(args, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
