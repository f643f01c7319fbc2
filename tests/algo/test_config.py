"""Config validation names the offending field."""

from __future__ import annotations

import pytest

from ctpg.config import AgentConfig, GuideConfig, NetConfig, SACConfig


@pytest.mark.parametrize(
    ("factory", "field", "value"),
    [
        (NetConfig, "base", "transformer"),
        (NetConfig, "hidden", ()),
        (NetConfig, "paco_k", 0),
        (NetConfig, "sm_layers", 1),
        (SACConfig, "gamma", 1.5),
        (SACConfig, "tau", 0.0),
        (SACConfig, "grad_clip", -1.0),
        (SACConfig, "alpha_init", 2.0),
        (GuideConfig, "guide_step", 0),
        (GuideConfig, "filter_samples", -1),
        (GuideConfig, "target_entropy_ratio", 1.5),
        (AgentConfig, "sharing", "both"),
    ],
)
def test_invalid_field_raises_naming_it(factory: type, field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        factory(**{field: value})


def test_defaults_are_the_reference_values() -> None:
    sac, guide = SACConfig(), GuideConfig()
    assert (sac.gamma, sac.lr, sac.reward_scale, sac.grad_clip) == (0.99, 1e-4, 0.1, 0.1)
    assert (sac.loss_mask_after, sac.loss_mask_threshold, sac.alpha_max) == (100_000, 3000.0, 1.0)
    assert (guide.guide_step, guide.update_every, guide.filter_after) == (10, 10, 10_000)
    assert (guide.filter_samples, guide.target_entropy_ratio) == (5, 0.98)
