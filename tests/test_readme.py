"""The README's code blocks run as written (in order, in one namespace), so its taste stays true."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.slow
def test_readme_python_blocks_run():
    pytest.importorskip("sklearn")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert len(blocks) >= 4
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"README.md block {i + 1}", "exec"), namespace)  # noqa: S102
    assert namespace["train_step"].cache_size == 2
    per_sample = namespace["per_sample"]
    assert per_sample["fc3.weight"].shape[1:] == (10, 84)


def test_readme_has_exactly_two_setup_commands():
    commands = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert [c.strip() for c in commands] == [
        'pip install -e ".[examples]" && python examples/train_jit.py',
        'pip install -e ".[test]" && pytest -q --runslow',
    ]
