// Ownership helpers for MuJoCo objects and a tiny self-check used by tests.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

namespace ctpg {

struct ModelDeleter {
  void operator()(mjModel* m) const { mj_deleteModel(m); }
};
struct DataDeleter {
  void operator()(mjData* d) const { mj_deleteData(d); }
};
struct SpecDeleter {
  void operator()(mjSpec* s) const { mj_deleteSpec(s); }
};
using UniqueModel = std::unique_ptr<mjModel, ModelDeleter>;
using UniqueData = std::unique_ptr<mjData, DataDeleter>;
using UniqueSpec = std::unique_ptr<mjSpec, SpecDeleter>;

// Version string of the MuJoCo library this process linked against.
std::string MujocoVersion();

// What a renderer needs to show a simulation as it is, copied out of an
// mjModel / mjData pair: the state (qpos, qvel, mocap poses) and the model
// fields a task may edit per episode (MetaWorld moves bodies and the goal
// site at reset). Row-major: mocap_pos nmocap x 3, mocap_quat nmocap x 4,
// body_pos nbody x 3, site_pos nsite x 3.
struct SimState {
  std::vector<double> qpos, qvel, mocap_pos, mocap_quat, body_pos, site_pos;
};

// Copies `m` and `d` into a SimState.
SimState ReadSimState(const mjModel* m, const mjData* d);

// Compiles an MJCF model given as text; throws std::invalid_argument with the
// compiler's message when it does not compile.
UniqueModel CompileXmlString(const std::string& xml);

// Compiles `xml`, runs `num_steps` of mj_step from the default state and
// returns qpos followed by qvel.
std::vector<double> SimulateXml(const std::string& xml, int num_steps);

}  // namespace ctpg
