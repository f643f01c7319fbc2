"""Configuration of the learner: networks, multi-task SAC, the CTPG guide.

Every config is a frozen dataclass; ``__post_init__`` validates the values and
raises ``ValueError`` naming the offending field. Components receive only
their own sub-config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from ctpg.config.checks import check
from ctpg.config.options import option

BASES = ("mtsac", "mhsac", "sm", "paco", "pcgrad", "single")
SHARINGS = ("none", "ctpg", "qmp")
FILTER_GATES = ("on", "reference", "off")
COMPARE_BOOTSTRAPS = ("own", "guide")


def _positive_int(value: object, name: str) -> None:
    check(
        isinstance(value, int) and not isinstance(value, bool) and value > 0,
        name,
        f"expected a positive int, got {value!r}",
    )


def _unit_interval(value: float, name: str, *, closed_low: bool = True) -> None:
    low_ok = value >= 0.0 if closed_low else value > 0.0
    check(low_ok and value <= 1.0, name, f"expected a value in [0, 1], got {value!r}")


@dataclass(frozen=True)
class NetConfig:
    """Architecture of the control (and guide) networks."""

    base: str = field(default="mtsac", metadata=option("--base", choices=BASES))
    """Base method: one of mtsac, mhsac, sm, paco, pcgrad, single (docs/algorithm.md, section 2)."""
    hidden: tuple[int, ...] = field(default=(400, 400, 400), metadata=option("--hidden"))
    """Hidden layer widths of the MLP backbones (mtsac, mhsac, pcgrad, single) and of the
    guide networks, whatever the base method."""
    log_std_min: float = -20.0
    """Lower bound of the actor's log standard deviation (a hard clamp of the raw output)."""
    log_std_max: float = 2.0
    """Upper bound of the actor's log standard deviation (a hard clamp of the raw output)."""
    sm_obs_layers: int = 2
    """Soft modularization: linear layers of the observation MLP (2 MetaWorld, 1 HalfCheetah)."""
    sm_width: int = 400
    """Soft modularization: width of the observation hidden vector and the task embedding."""
    sm_layers: int = 4
    """Soft modularization: number of module layers L."""
    sm_modules: int = 4
    """Soft modularization: modules per layer M."""
    sm_module_width: int = 128
    """Soft modularization: output width of every module."""
    sm_routing_width: int = 256
    """Soft modularization: width of the routing network."""
    paco_k: int = 5
    """PaCo: number of shared parameter sets K."""
    paco_layers: int = 3
    """PaCo: compositional hidden layers (3 MetaWorld, 2 HalfCheetah), plus a compositional
    output layer."""
    paco_width: int = 400
    """PaCo: width of the compositional hidden layers."""

    def __post_init__(self) -> None:
        check(self.base in BASES, "base", f"expected one of {BASES}, got {self.base!r}")
        check(
            isinstance(self.hidden, tuple) and len(self.hidden) > 0,
            "hidden",
            f"expected a non-empty tuple of positive ints, got {self.hidden!r}",
        )
        for width in self.hidden:
            _positive_int(width, "hidden")
        check(
            self.log_std_min < self.log_std_max,
            "log_std_min",
            f"must be below log_std_max ({self.log_std_min} >= {self.log_std_max})",
        )
        for name in (
            "sm_obs_layers",
            "sm_width",
            "sm_layers",
            "sm_modules",
            "sm_module_width",
            "sm_routing_width",
            "paco_k",
            "paco_layers",
            "paco_width",
        ):
            _positive_int(getattr(self, name), name)
        check(self.sm_layers >= 2, "sm_layers", f"expected >= 2, got {self.sm_layers}")


@dataclass(frozen=True)
class SACConfig:
    """Multi-task soft actor-critic for the control policies."""

    gamma: float = 0.99
    """Discount factor."""
    lr: float = field(default=1e-4, metadata=option("--lr"))
    """Adam learning rate of actor, critics and temperatures."""
    tau: float = 0.01
    """Polyak coefficient of the target critics (fraction of the online weights per update)."""
    reward_scale: float = 0.1
    """Multiplier applied to raw environment rewards before any loss."""
    alpha_init: float = 1.0
    """Initial temperature of every task."""
    alpha_max: float = 1.0
    """Cap on the temperature: log alpha is clamped to <= log(alpha_max) after each step."""
    target_entropy: float | None = None
    """Target entropy of the control policies; None means -action_dim."""
    alpha_weight: bool = True
    """Weight per-task losses by softmax(-log alpha) * T."""
    loss_mask_after: int | None = 100_000
    """Step from which tasks with an extreme critic loss are masked out of the actor and
    critic losses (and of the guide's losses); None disables masking. Temperatures keep
    learning for masked tasks."""
    loss_mask_threshold: float = 3000.0
    """Mean critic loss above which a task is masked out of the update."""
    grad_clip: float | None = 0.1
    """Gradient-norm clip of every parameter group (networks, temperatures, PaCo's task
    embedding), as the reference; None disables clipping."""
    importance_weights: bool = True
    """Multiply per-sample critic losses by the batch's importance weights (prioritized replay)."""

    def __post_init__(self) -> None:
        _unit_interval(self.gamma, "gamma")
        check(
            self.lr > 0 and math.isfinite(self.lr),
            "lr",
            f"expected a finite value > 0, got {self.lr}",
        )
        check(0.0 < self.tau <= 1.0, "tau", f"expected a value in (0, 1], got {self.tau}")
        check(self.reward_scale > 0, "reward_scale", f"expected > 0, got {self.reward_scale}")
        check(self.alpha_init > 0, "alpha_init", f"expected > 0, got {self.alpha_init}")
        check(self.alpha_max > 0, "alpha_max", f"expected > 0, got {self.alpha_max}")
        check(
            self.alpha_init <= self.alpha_max,
            "alpha_init",
            f"must not exceed alpha_max ({self.alpha_init} > {self.alpha_max})",
        )
        if self.loss_mask_after is not None:
            check(
                self.loss_mask_after >= 0,
                "loss_mask_after",
                f"expected >= 0 or None, got {self.loss_mask_after}",
            )
        check(
            self.loss_mask_threshold > 0,
            "loss_mask_threshold",
            f"expected > 0, got {self.loss_mask_threshold}",
        )
        if self.grad_clip is not None:
            check(self.grad_clip > 0, "grad_clip", f"expected > 0 or None, got {self.grad_clip}")
        if self.target_entropy is not None:
            check(
                math.isfinite(self.target_entropy),
                "target_entropy",
                f"expected a finite value or None, got {self.target_entropy}",
            )


@dataclass(frozen=True)
class GuideConfig:
    """The CTPG guide (docs/algorithm.md, section 3); ignored unless sharing == "ctpg"."""

    OPTION_REQUIRES: ClassVar[tuple[str, str]] = ("agent.sharing", "ctpg")
    """Every guide option only applies with ``--sharing ctpg``."""

    guide_step: int = field(default=10, metadata=option("--guide-step"))
    """K: a behaviour task is kept for K environment steps; segments are K transitions long."""
    update_every: int = 10
    """Train the guide every this many training steps."""
    batch_size: int = 256
    """Segments per guide update, shared equally by the tasks that are not blocked. The
    training presets and ``--batch-size`` set it to the control batch size, as the
    reference draws both batches with the replay's one batch size."""
    filter_gate: str = field(default="on", metadata=option("--filter-gate", choices=FILTER_GATES))
    """Policy-filter gate (docs/algorithm.md, section 3.3): "on" samples the guide only among
    the tasks whose comparison value reaches the own policy's value V_i(s) (an empty mask falls back
    to the own task); "reference" computes the mask but samples from the unmasked guide,
    falling back to the own task only when every task is masked (what the published code
    does); "off" never masks."""
    filter_after: int = 10_000
    """Training step from which the policy-filter gate may act."""
    filter_min_updates: int = 850
    """Comparison-critic updates needed before the policy-filter gate may act. An
    undertrained comparison critic sits below V_i(s) and would mask every task; 850 is
    what the paper setting gives at ``filter_after`` (10k steps, updates from step 1500,
    one every 10 steps), so short runs wait for the same amount of training."""
    filter_samples: int = 5
    """Actions sampled from the own policy to estimate V_i(s) for the filter gate."""
    compare_bootstrap: str = field(
        default="own", metadata=option("--compare-bootstrap", choices=COMPARE_BOOTSTRAPS)
    )
    """What the comparison critic's K-step target bootstraps from at s_K: "own" (default)
    the own policy's soft value V_i(s_K), so that Qc_i(s, j) is the value of following
    pi_j for K steps and pi_i after, the quantity the gate compares with V_i(s); "guide"
    the guide's mixture sum_j Pi_i(j|s_K) Qc(s_K, j), as the reference. With "guide" the
    own task's comparison value is not an estimate of V_i(s) and needs several thousand
    updates to reach its scale (docs/learner.md: "Where ctpg differs from the authors' code")."""
    block_gate: bool = field(default=True, metadata=option("--block-gate"))
    """Guide-block gate: tasks with log alpha above the mean are not guided."""
    hindsight: bool = field(default=True, metadata=option("--hindsight"))
    """Relabel each segment's behaviour task with the most likely control policy."""
    target_entropy_ratio: float = 0.98
    """Guide target entropy as a fraction of log T."""
    beta_init: float = 1.0
    """Initial guide temperature."""
    beta_max: float = 1.0
    """Cap on the guide temperature."""

    def __post_init__(self) -> None:
        for name in ("guide_step", "update_every", "batch_size", "filter_samples"):
            _positive_int(getattr(self, name), name)
        check(
            self.filter_gate in FILTER_GATES,
            "filter_gate",
            f"expected one of {FILTER_GATES}, got {self.filter_gate!r}",
        )
        check(
            self.compare_bootstrap in COMPARE_BOOTSTRAPS,
            "compare_bootstrap",
            f"expected one of {COMPARE_BOOTSTRAPS}, got {self.compare_bootstrap!r}",
        )
        check(self.filter_after >= 0, "filter_after", f"expected >= 0, got {self.filter_after}")
        check(
            self.filter_min_updates >= 0,
            "filter_min_updates",
            f"expected >= 0, got {self.filter_min_updates}",
        )
        _unit_interval(self.target_entropy_ratio, "target_entropy_ratio")
        check(self.beta_init > 0, "beta_init", f"expected > 0, got {self.beta_init}")
        check(self.beta_max > 0, "beta_max", f"expected > 0, got {self.beta_max}")
        check(
            self.beta_init <= self.beta_max,
            "beta_init",
            f"must not exceed beta_max ({self.beta_init} > {self.beta_max})",
        )


@dataclass(frozen=True)
class AgentConfig:
    """Everything the learner needs."""

    net: NetConfig = field(default_factory=NetConfig)
    """Network architecture."""
    sac: SACConfig = field(default_factory=SACConfig)
    """Control-policy SAC settings."""
    guide: GuideConfig = field(default_factory=GuideConfig)
    """Guide settings (used when sharing == "ctpg")."""
    sharing: str = field(default="none", metadata=option("--sharing", choices=SHARINGS))
    """Explicit policy sharing: none (base method), ctpg (guide) or qmp (Q-switch mixture)."""

    def __post_init__(self) -> None:
        check(isinstance(self.net, NetConfig), "net", "expected a NetConfig")
        check(isinstance(self.sac, SACConfig), "sac", "expected a SACConfig")
        check(isinstance(self.guide, GuideConfig), "guide", "expected a GuideConfig")
        check(
            self.sharing in SHARINGS, "sharing", f"expected one of {SHARINGS}, got {self.sharing!r}"
        )
