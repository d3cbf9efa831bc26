"""Pure optimizers with torch.optim's update rules, written once per array and lifted to pytrees.

Files by family: `lift.py` (what they share), `classic.py` (SGD, Adam/AdamW, RMSprop, Adagrad),
`adaptive.py` (Adadelta, Adamax, NAdam, RAdam, Rprop, Adafactor), `sgd_family.py` (ASGD, Muon),
`lbfgs.py` (L-BFGS, a minimisation step over a flat vector with a line search).

Each optimizer is two layers:

- a **per-array rule** ``<name>_rule(param, grad, state, **hyper) -> (new_param, new_state)``
  and its initialiser ``<name>_init(param, **flags) -> state``. ``state`` is the optimizer's
  NamedTuple holding this one parameter's slots plus its own ``step``, i.e. torch's
  per-parameter ``optimizer.state[p]`` dict with the same keys. The rule increments ``step``.
- a **factory** (``sgd``, ``adam``, ...) returning ``PureOptimizer(init, update)`` that lifts the
  rule over any pytree of parameters. Its state is the same NamedTuple, with one shared
  scalar ``step`` and each slot a pytree shaped like ``params``.

Contract for callers of the per-array rules (the facade's fused, jitted step):

- Numeric hyper-parameters (``lr``, ``betas``, ``eps``, ``weight_decay``, ``momentum``,
  ``dampening``, ``alpha``, ``lr_decay``) may be Python floats or traced jax scalars.
  Python floats give the closest match to torch, which does its scalar math in double.
- Structural choices are Python values: ``nesterov``, ``maximize`` and
  ``decoupled_weight_decay`` are bools; whether momentum, amsgrad or centering is used is
  read from the state (a slot that is ``None`` is not used), so it is fixed by ``*_init``.
- ``step`` is an int32 scalar: the number of updates already applied to the parameter.
  SGD treats ``step == 0`` as torch's "no momentum buffer yet" (buffer = raw grad).
- Rules do no validation (they are the hot path); the factories validate.

Slots that an option switches off are ``None`` (``SGDState.momentum_buffer`` without
momentum, ``AdamState.max_exp_avg_sq`` without amsgrad, ``RMSpropState.momentum_buffer``
without momentum, ``RMSpropState.grad_avg`` unless centered). ``None`` is an empty pytree,
so states stay jit- and donation-friendly.

Arithmetic follows torch's single-tensor (``foreach=False``) code in the same order.
"""

from __future__ import annotations

from .adaptive import AdadeltaState as AdadeltaState
from .adaptive import AdafactorState as AdafactorState
from .adaptive import AdamaxState as AdamaxState
from .adaptive import NAdamState as NAdamState
from .adaptive import RAdamState as RAdamState
from .adaptive import RpropState as RpropState
from .adaptive import adadelta as adadelta
from .adaptive import adadelta_init as adadelta_init
from .adaptive import adadelta_rule as adadelta_rule
from .adaptive import adafactor as adafactor
from .adaptive import adafactor_init as adafactor_init
from .adaptive import adafactor_rule as adafactor_rule
from .adaptive import adamax as adamax
from .adaptive import adamax_init as adamax_init
from .adaptive import adamax_rule as adamax_rule
from .adaptive import check_adafactor_options as check_adafactor_options
from .adaptive import nadam as nadam
from .adaptive import nadam_init as nadam_init
from .adaptive import nadam_rule as nadam_rule
from .adaptive import radam as radam
from .adaptive import radam_init as radam_init
from .adaptive import radam_rule as radam_rule
from .adaptive import rprop as rprop
from .adaptive import rprop_init as rprop_init
from .adaptive import rprop_rule as rprop_rule
from .classic import AdagradState as AdagradState
from .classic import AdamState as AdamState
from .classic import RMSpropState as RMSpropState
from .classic import SGDState as SGDState
from .classic import adagrad as adagrad
from .classic import adagrad_init as adagrad_init
from .classic import adagrad_rule as adagrad_rule
from .classic import adam as adam
from .classic import adam_init as adam_init
from .classic import adam_rule as adam_rule
from .classic import adamw as adamw
from .classic import adamw_rule as adamw_rule
from .classic import rmsprop as rmsprop
from .classic import rmsprop_init as rmsprop_init
from .classic import rmsprop_rule as rmsprop_rule
from .classic import sgd as sgd
from .classic import sgd_init as sgd_init
from .classic import sgd_rule as sgd_rule
from .lbfgs import Evaluate as Evaluate
from .lbfgs import LBFGSState as LBFGSState
from .lbfgs import TensorScalar as TensorScalar
from .lbfgs import cubic_interpolate as cubic_interpolate
from .lbfgs import lbfgs_step as lbfgs_step
from .lbfgs import strong_wolfe as strong_wolfe
from .lift import LearningRate as LearningRate
from .lift import PureOptimizer as PureOptimizer
from .lift import PyTree as PyTree
from .lift import Scalar as Scalar
from .lift import check_nesterov as check_nesterov
from .sgd_family import MUON_NS_COEFFICIENTS as MUON_NS_COEFFICIENTS
from .sgd_family import ASGDState as ASGDState
from .sgd_family import MuonState as MuonState
from .sgd_family import asgd as asgd
from .sgd_family import asgd_init as asgd_init
from .sgd_family import asgd_rule as asgd_rule
from .sgd_family import check_muon_options as check_muon_options
from .sgd_family import muon as muon
from .sgd_family import muon_adjusted_lr as muon_adjusted_lr
from .sgd_family import muon_init as muon_init
from .sgd_family import muon_rule as muon_rule
from .sgd_family import newton_schulz as newton_schulz
