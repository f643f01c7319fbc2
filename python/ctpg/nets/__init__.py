"""Networks: batched per-task layers, base-method backbones, actors, critics, guide nets."""

from ctpg.nets.backbones import build_task_net
from ctpg.nets.guide_policy import GuideActor, TwinGuideCritic
from ctpg.nets.policy import TanhGaussianActor, TwinCritic, squashed_log_prob
from ctpg.nets.task_net import TaskNet

__all__ = [
    "GuideActor",
    "TanhGaussianActor",
    "TaskNet",
    "TwinCritic",
    "TwinGuideCritic",
    "build_task_net",
    "squashed_log_prob",
]
