"""The 20-line verifier printed in docs/por.md works: it accepts a real proof and rejects a
changed one (an outsider's re-implementation, checked against the builder)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from digisom.por.proof import prove
from tests.por.helpers import built

DOC = Path(__file__).resolve().parents[2] / "docs" / "por.md"


def test_the_docs_verifier(tmp_path: Path) -> None:
    text = DOC.read_text()
    code = text.split("### A verifier in 20 lines", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert len(code.strip().splitlines()) <= 20
    script = tmp_path / "verifier.py"
    script.write_text(code)
    with built({f"u{i}": i * 11 for i in range(13)}) as (out, root):
        proof = prove(out, "u7")
    (tmp_path / "root.json").write_text(json.dumps(root))
    for name, doc, ok in (("good", proof, True), ("bad", {**proof, "nonce": "00" * 16}, False),
                          ("sib", {**proof, "path": [{**proof["path"][0], "balance": proof["path"][0]["balance"] + 1},
                                                *proof["path"][1:]]}, False)):
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
        run = subprocess.run([sys.executable, str(script), str(tmp_path / f"{name}.json"), str(tmp_path / "root.json")],
                             capture_output=True, text=True, check=False)
        assert (run.returncode == 0) is ok, (name, run.stderr)
