"""The native core links the MuJoCo library of the installed mujoco package."""

import mujoco
import numpy as np
import pytest

import ctpg
from ctpg import _core

PENDULUM = """
<mujoco>
  <option timestep="0.002"/>
  <worldbody>
    <body pos="0 0 1">
      <joint name="hinge" type="hinge" axis="0 1 0"/>
      <geom type="capsule" fromto="0 0 0 0.3 0 -0.5" size="0.05"/>
    </body>
  </worldbody>
</mujoco>
"""


def test_linked_version_matches_python_package() -> None:
    assert ctpg.mujoco_version() == mujoco.__version__


def test_cpp_stepping_matches_python_bindings_bit_for_bit() -> None:
    state = _core.simulate_xml(PENDULUM, 500)
    model = mujoco.MjModel.from_xml_string(PENDULUM)
    data = mujoco.MjData(model)
    for _ in range(500):
        mujoco.mj_step(model, data)
    expected = np.concatenate([data.qpos, data.qvel])
    assert np.abs(expected).max() > 0.1  # the pendulum actually moved
    np.testing.assert_array_equal(state, expected)


def test_bad_xml_raises_value_error() -> None:
    with pytest.raises(ValueError, match="xml"):
        _core.simulate_xml("<mujoco><worldbody><geom/></mujoco>", 1)
    with pytest.raises(ValueError, match="num_steps"):
        _core.simulate_xml(PENDULUM, -1)
