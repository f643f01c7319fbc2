"""PCGrad (Yu et al. 2020): per-task gradient surgery on shared parameters.

Per-task gradients come from one batched backward pass:
``torch.autograd.grad(per_task_losses, params, grad_outputs=eye(T),
is_grads_batched=True)`` vmaps the backward over the T unit vectors, so there
is no Python loop over tasks in the differentiation. The projection itself is
sequential by definition (task i's gradient is projected against the others
one after another, in a random order per task); it is written as T steps,
each vectorised over all tasks at once: at step s every task i projects its
current gradient onto the s-th task of its own random order, if they conflict.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def project_conflicting(grads: Tensor, order: Tensor) -> Tensor:
    """PCGrad projection.

    Args:
        grads: [T, P] per-task flat gradients.
        order: [T, T] long; row i is the order in which task i visits the tasks
            (entries equal to i are skipped).
    Returns:
        [T, P] projected gradients g_i'; for each visited j with g_i' . g_j < 0:
        g_i' <- g_i' - (g_i' . g_j) / |g_j|^2 g_j.
    """
    num_tasks = grads.shape[0]
    rows = torch.arange(num_tasks, device=grads.device)
    sq_norm = grads.pow(2).sum(1)
    out = grads.clone()
    for step in range(order.shape[1]):
        j = order[:, step]
        other = grads[j]
        dot = (out * other).sum(1)
        conflict = (dot < 0) & (j != rows) & (sq_norm[j] > 0)
        coef = torch.where(conflict, dot / sq_norm[j].clamp_min(1e-30), torch.zeros_like(dot))
        out = out - coef.unsqueeze(1) * other
    return out


def random_orders(num_tasks: int, device: torch.device) -> Tensor:
    """[T, T]: an independent random permutation of the tasks per row (global torch RNG)."""
    return torch.argsort(torch.rand(num_tasks, num_tasks), dim=1).to(device)


def pcgrad_gradients(per_task: Tensor, params: list[nn.Parameter]) -> list[Tensor]:
    """PCGrad-combined gradient of the per-task losses ``per_task`` [T] for ``params``.

    As the reference: the mean over tasks of the projected per-task gradients, where a
    task whose loss is zero (within 1e-8, e.g. absent from the batch) takes no part.
    Without conflicts the result equals the gradient of the mean of the taking part.
    """
    num_tasks = per_task.shape[0]
    eye = torch.eye(num_tasks, device=per_task.device, dtype=per_task.dtype)
    grads = torch.autograd.grad(
        per_task, params, grad_outputs=eye, is_grads_batched=True, allow_unused=True
    )
    return combine_task_gradients(
        per_task,
        [
            torch.zeros((num_tasks, *p.shape), device=p.device) if g is None else g
            for g, p in zip(grads, params, strict=True)
        ],
    )


def combine_task_gradients(per_task: Tensor, grads: list[Tensor]) -> list[Tensor]:
    """PCGrad's combination of per-task gradients ``grads`` (one [T, *shape] per parameter)
    of the per-task losses ``per_task`` [T] (see ``pcgrad_gradients``)."""
    num_tasks = per_task.shape[0]
    flat = torch.cat([g.reshape(num_tasks, -1) for g in grads], dim=1)
    taking_part = per_task.detach().abs() > 1e-8
    flat = flat * taking_part.to(flat.dtype).unsqueeze(1)
    projected = project_conflicting(flat, random_orders(num_tasks, flat.device))
    combined = projected.sum(0) / taking_part.sum().clamp_min(1).to(flat.dtype)
    pieces = torch.split(combined, [g[0].numel() for g in grads])
    return [piece.view_as(g[0]) for piece, g in zip(pieces, grads, strict=True)]
