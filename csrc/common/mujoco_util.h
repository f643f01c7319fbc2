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

// Compiles an MJCF model given as text; throws std::invalid_argument with the
// compiler's message when it does not compile.
UniqueModel CompileXmlString(const std::string& xml);

// Compiles `xml`, runs `num_steps` of mj_step from the default state and
// returns qpos followed by qvel.
std::vector<double> SimulateXml(const std::string& xml, int num_steps);

}  // namespace ctpg
