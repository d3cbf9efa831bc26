"""Optimizers, two faces over one set of rules.

- Pure (`rules/`, `schedules.py`, `clip.py`): ``sgd(...)``, ``adam(...)`` and friends return
  ``PureOptimizer(init, update)`` over pytrees; the ``*_init``/``*_rule`` functions are the same math
  for a single array.
- torch.optim's classes, which call the pure rules: `optimizer.py` (the `Optimizer` base class, also for
  users' own optimizers), `algorithms.py` (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`), `algorithms_adaptive.py`
  (`Adadelta`, `Adamax`, `NAdam`, `RAdam`, `Rprop`, `Adafactor`), `algorithms_sgd_family.py` (`ASGD`, `Muon`),
  `lbfgs.py` (`LBFGS`), and `lr_scheduler.py` (every torch scheduler; two helper files by kind).
"""

from functorch_lite.optim.clip import clip_by_global_norm, clip_by_value, global_norm
from functorch_lite.optim.rules import (
    AdadeltaState,
    AdafactorState,
    AdagradState,
    AdamaxState,
    AdamState,
    ASGDState,
    MuonState,
    NAdamState,
    PureOptimizer,
    RAdamState,
    RMSpropState,
    RpropState,
    SGDState,
    adadelta,
    adadelta_init,
    adadelta_rule,
    adafactor,
    adafactor_init,
    adafactor_rule,
    adagrad,
    adagrad_init,
    adagrad_rule,
    adam,
    adam_init,
    adam_rule,
    adamax,
    adamax_init,
    adamax_rule,
    adamw,
    adamw_rule,
    asgd,
    asgd_init,
    asgd_rule,
    muon,
    muon_init,
    muon_rule,
    nadam,
    nadam_init,
    nadam_rule,
    newton_schulz,
    radam,
    radam_init,
    radam_rule,
    rmsprop,
    rmsprop_init,
    rmsprop_rule,
    rprop,
    rprop_init,
    rprop_rule,
    sgd,
    sgd_init,
    sgd_rule,
)
from functorch_lite.optim.schedules import (
    Schedule,
    constant,
    constant_lr,
    cosine_annealing_lr,
    cosine_annealing_warm_restarts,
    cyclic_lr,
    exponential_lr,
    linear_lr,
    multistep_lr,
    one_cycle,
    one_cycle_lr,
    polynomial_lr,
    sequential_lr,
    step_lr,
)

__all__ = [
    "constant_lr",
    "cosine_annealing_warm_restarts",
    "cyclic_lr",
    "one_cycle",
    "one_cycle_lr",
    "polynomial_lr",
    "AdadeltaState",
    "AdafactorState",
    "AdamaxState",
    "NAdamState",
    "RAdamState",
    "RpropState",
    "adadelta",
    "adadelta_init",
    "adadelta_rule",
    "adafactor",
    "adafactor_init",
    "adafactor_rule",
    "adamax",
    "adamax_init",
    "adamax_rule",
    "nadam",
    "nadam_init",
    "nadam_rule",
    "radam",
    "radam_init",
    "radam_rule",
    "rprop",
    "rprop_init",
    "rprop_rule",
    "ASGDState",
    "MuonState",
    "asgd",
    "asgd_init",
    "asgd_rule",
    "muon",
    "muon_init",
    "muon_rule",
    "newton_schulz",
    "AdagradState",
    "AdamState",
    "Optimizer",
    "PureOptimizer",
    "RMSpropState",
    "SGDState",
    "Schedule",
    "adagrad",
    "adagrad_init",
    "adagrad_rule",
    "adam",
    "adam_init",
    "adam_rule",
    "adamw",
    "adamw_rule",
    "clip_by_global_norm",
    "clip_by_value",
    "constant",
    "cosine_annealing_lr",
    "exponential_lr",
    "global_norm",
    "linear_lr",
    "multistep_lr",
    "rmsprop",
    "rmsprop_init",
    "rmsprop_rule",
    "sequential_lr",
    "sgd",
    "sgd_init",
    "sgd_rule",
    "step_lr",
]
# torch.optim's classes, imported after the pure rules they call.
from functorch_lite.optim import lr_scheduler as lr_scheduler  # noqa: E402
from functorch_lite.optim.algorithms import SGD as SGD  # noqa: E402
from functorch_lite.optim.algorithms import Adagrad as Adagrad  # noqa: E402
from functorch_lite.optim.algorithms import Adam as Adam  # noqa: E402
from functorch_lite.optim.algorithms import AdamW as AdamW  # noqa: E402
from functorch_lite.optim.algorithms import RMSprop as RMSprop  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import Adadelta as Adadelta  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import Adafactor as Adafactor  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import Adamax as Adamax  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import NAdam as NAdam  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import RAdam as RAdam  # noqa: E402
from functorch_lite.optim.algorithms_adaptive import Rprop as Rprop  # noqa: E402
from functorch_lite.optim.algorithms_sgd_family import ASGD as ASGD  # noqa: E402
from functorch_lite.optim.algorithms_sgd_family import Muon as Muon  # noqa: E402
from functorch_lite.optim.lbfgs import LBFGS as LBFGS  # noqa: E402
from functorch_lite.optim.optimizer import Optimizer as Optimizer  # noqa: E402
