"""Utilities under `torch.utils` names; `functorch_lite.utils.data` is the data pipeline."""
