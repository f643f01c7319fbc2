"""The optimizer arithmetic of an update as plain tensor operations, so that
``torch.compile`` can put it into the same graph as the losses and their gradients.

Each function does what its eager counterpart does, to float rounding:
``clip_`` is ``torch.nn.utils.clip_grad_norm_``, ``adam_`` is one step of
``torch.optim.Adam`` (no weight decay, no amsgrad) on the optimizer's own state
tensors, ``polyak_`` is ``sac_loss.polyak``. They mutate their arguments in place and
return nothing but the norm, so the optimizers' state dicts stay the checkpoint format.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def grad_norm(grads: list[Tensor]) -> Tensor:
    """The 2-norm of all ``grads`` together (``clip_grad_norm_``'s total norm)."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))


def clip(grads: list[Tensor], max_norm: float | None) -> tuple[list[Tensor], Tensor]:
    """(``grads`` scaled to a total norm of at most ``max_norm``, the norm before);
    ``max_norm=None`` leaves them as they are."""
    norm = grad_norm(grads)
    limit = math.inf if max_norm is None else max_norm
    coef = torch.clamp(limit / (norm + 1e-6), max=1.0)
    return [g * coef for g in grads], norm


def adam_(
    params: list[Tensor],
    grads: list[Tensor],
    state: list[dict[str, Tensor]],
    lr: float,
    betas: tuple[float, float],
    eps: float,
) -> None:
    """One Adam step of every ``params[k]`` with ``grads[k]``, reading and advancing
    ``state[k]`` (``step``, ``exp_avg``, ``exp_avg_sq``, as ``torch.optim.Adam`` keeps them)."""
    beta1, beta2 = betas
    for p, g, s in zip(params, grads, state, strict=True):
        step = s["step"]
        step.add_(1.0)
        s["exp_avg"].lerp_(g, 1.0 - beta1)
        s["exp_avg_sq"].mul_(beta2).addcmul_(g, g, value=1.0 - beta2)
        correction1 = 1.0 - torch.pow(beta1, step)
        correction2_sqrt = torch.sqrt(1.0 - torch.pow(beta2, step))
        denom = s["exp_avg_sq"].sqrt() / correction2_sqrt + eps
        p.sub_(lr / correction1 * s["exp_avg"] / denom)


def polyak_(target: list[Tensor], online: list[Tensor], tau: float) -> None:
    """target <- (1 - tau) target + tau online, pair by pair."""
    for t, o in zip(target, online, strict=True):
        t.lerp_(o, tau)
