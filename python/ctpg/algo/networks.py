"""Containers of the learner's networks and temperatures (typed, one state_dict)."""

from __future__ import annotations

import contextlib
import copy
import math
from typing import TypeVar

import torch
from torch import nn

from ctpg.config import AgentConfig
from ctpg.nets.backbones import TaskEmbedding
from ctpg.nets.guide_policy import GuideActor, TwinGuideCritic
from ctpg.nets.policy import TanhGaussianActor, TwinCritic

M = TypeVar("M", bound=nn.Module)


class GuideNets(nn.Module):
    """Guide actor Pi, guide critics Qg (+ targets), soft comparison critics (+ targets), beta."""

    def __init__(self, obs_dim: int, num_tasks: int, hidden: tuple[int, ...], beta: float) -> None:
        super().__init__()
        self.actor = GuideActor(obs_dim, num_tasks, hidden)
        self.critic = TwinGuideCritic(obs_dim, num_tasks, hidden)
        self.critic_target = _frozen_copy(self.critic)
        self.compare = TwinGuideCritic(obs_dim, num_tasks, hidden)
        self.compare_target = _frozen_copy(self.compare)
        self.log_beta = nn.Parameter(torch.full((num_tasks,), math.log(beta)))


class AgentNets(nn.Module):
    """Control actor, twin critics (+ target), per-task log alpha, and the optional guide.

    With ``base="paco"`` one ``TaskEmbedding`` (the composition vectors) is shared by the
    actor, both critics and both target critics, as the reference's single task encoder.
    """

    def __init__(self, cfg: AgentConfig, num_tasks: int, obs_dim: int, action_dim: int) -> None:
        super().__init__()
        self.task_embedding: TaskEmbedding | None = None
        if cfg.net.base == "paco":
            self.task_embedding = TaskEmbedding(num_tasks, cfg.net.paco_k)
        embedding = self.task_embedding
        self.actor = TanhGaussianActor(cfg.net, obs_dim, action_dim, num_tasks, embedding)
        self.critic = TwinCritic(cfg.net, obs_dim, action_dim, num_tasks, embedding)
        self.critic_target = _frozen_copy(self.critic, shared=embedding)
        self.log_alpha = nn.Parameter(torch.full((num_tasks,), math.log(cfg.sac.alpha_init)))
        self.guide: GuideNets | None = None
        if cfg.sharing == "ctpg":
            self.guide = GuideNets(obs_dim, num_tasks, cfg.net.hidden, cfg.guide.beta_init)

    def shared_parameters(self) -> list[nn.Parameter]:
        """Parameters read by both the actor and the critics (PaCo's task embedding)."""
        return [] if self.task_embedding is None else [self.task_embedding.weight]

    def critic_scope(self) -> contextlib.AbstractContextManager[None]:
        """Context in which the critics see the shared parameters without gradient (the
        actor loss evaluates the critic so, as the reference)."""
        if self.task_embedding is None:
            return contextlib.nullcontext()
        return self.task_embedding.detached()

    def require_guide(self) -> GuideNets:
        """The guide networks; ValueError if the agent was built without them."""
        if self.guide is None:
            raise ValueError("sharing: the guide networks exist only with sharing='ctpg'")
        return self.guide


def _frozen_copy(module: M, shared: nn.Module | None = None) -> M:
    """A copy without gradients; ``shared`` (a submodule) stays the same object."""
    memo = {} if shared is None else {id(shared): shared}
    target = copy.deepcopy(module, memo)
    own = {id(p) for p in ([] if shared is None else shared.parameters())}
    for p in target.parameters():
        if id(p) not in own:
            p.requires_grad_(False)
    return target
