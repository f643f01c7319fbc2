"""gymnasium's HalfCheetah-v5 on an edited model: the gravity and body-part variants.

The variant is built by editing gymnasium's standard half_cheetah.xml with
`mujoco.MjSpec` (gravity z times a factor; the `size` of the named geoms
times a factor, a `fromto` length left as it is) and compiling the edited
spec. The compiled model is handed to gymnasium's `HalfCheetahEnv` in place of
the one it would load from the XML file, so observation, reward, reset noise
and frame skip stay gymnasium's. The model is not passed as XML text:
MuJoCo 3.3's `MjSpec.to_xml` drops the compiler's `settotalmass` and rounds
quaternions to 5 digits, so the written XML would compile to another model.
"""

from __future__ import annotations

import os

import mujoco
import numpy as np
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

from ctpg.tasks import CHEETAH_VARIANTS, CheetahVariant, gymnasium_asset_dir


def standard_xml_path() -> str:
    """Path of gymnasium's half_cheetah.xml."""
    return os.path.join(gymnasium_asset_dir(), "half_cheetah.xml")


def edited_spec(variant: CheetahVariant) -> mujoco.MjSpec:
    """The standard HalfCheetah spec with `variant`'s edits applied."""
    spec = mujoco.MjSpec.from_file(standard_xml_path())
    gravity = np.array(spec.option.gravity, dtype=np.float64)
    gravity[2] *= variant.gravity_scale
    spec.option.gravity = gravity
    for name in variant.geoms:
        geom = spec.geom(name)
        if geom is None:
            raise RuntimeError(f"half_cheetah.xml has no geom {name!r}")
        geom.size = np.asarray(geom.size, dtype=np.float64) * variant.size_scale
    return spec


def variant_model(task: str) -> mujoco.MjModel:
    """The compiled model of a HalfCheetah variant task."""
    return edited_spec(CHEETAH_VARIANTS[task]).compile()


class VariantHalfCheetahEnv(HalfCheetahEnv):
    """gymnasium's HalfCheetah-v5 whose model is a compiled variant."""

    def __init__(self, task: str) -> None:
        self._variant_task = task
        super().__init__(xml_file=standard_xml_path())

    def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
        model = variant_model(self._variant_task)
        model.vis.global_.offwidth = max(model.vis.global_.offwidth, self.width)
        model.vis.global_.offheight = max(model.vis.global_.offheight, self.height)
        return model, mujoco.MjData(model)
