"""Helpers shared by the whole test tree; test modules import from here, never from each other.

- `tests.helpers.numerics`: named tolerance policies, the one `assert_close`, `assert_bitwise`,
  random arrays, torch conversion and the functional core's torch parity check.
- `tests.helpers.seed`: the seed's `Net` builder, a small BatchNorm + dropout model and the seed
  program text; import-free, so the benchmarks use it too.
- `tests.helpers.examples`: running an example script as a user would, and killing it mid-run.
- `tests.helpers.devices`: running a check in a child process with N fake CPU devices.

This `__init__` stays empty so that importing `tests.helpers.seed` costs nothing.
"""
