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


def test_readme_setup_commands_name_what_exists():
    """Each shell line installs extras pyproject.toml declares and runs scripts and options that exist."""
    import tomllib

    root = README.parent
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    commands = re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S)
    assert commands
    for command in commands:
        for group in re.findall(r'pip install -e "\.\[([\w,]+)\]"', command):
            assert set(group.split(",")) <= set(extras), command
        for script in re.findall(r"python (\S+\.py)", command):
            assert (root / script).is_file(), command
        for option in re.findall(r"pytest .*?(--[\w-]+)", command):
            assert option in (root / "tests" / "conftest.py").read_text(), command
