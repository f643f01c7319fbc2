#include "common/mujoco_util.h"

#include <stdexcept>

namespace ctpg {

std::string MujocoVersion() { return mj_versionString(); }

SimState ReadSimState(const mjModel* m, const mjData* d) {
  SimState s;
  s.qpos.assign(d->qpos, d->qpos + m->nq);
  s.qvel.assign(d->qvel, d->qvel + m->nv);
  s.mocap_pos.assign(d->mocap_pos, d->mocap_pos + 3 * m->nmocap);
  s.mocap_quat.assign(d->mocap_quat, d->mocap_quat + 4 * m->nmocap);
  s.body_pos.assign(m->body_pos, m->body_pos + 3 * m->nbody);
  s.site_pos.assign(m->site_pos, m->site_pos + 3 * m->nsite);
  return s;
}

UniqueModel CompileXmlString(const std::string& xml) {
  char error[1024] = {0};
  UniqueSpec spec(mj_parseXMLString(xml.c_str(), nullptr, error, sizeof(error)));
  if (!spec) {
    throw std::invalid_argument(std::string("xml: MJCF does not parse: ") + error);
  }
  UniqueModel model(mj_compile(spec.get(), nullptr));
  if (!model) {
    throw std::invalid_argument(std::string("xml: MJCF does not compile: ") +
                                mjs_getError(spec.get()));
  }
  return model;
}

std::vector<double> SimulateXml(const std::string& xml, int num_steps) {
  if (num_steps < 0) {
    throw std::invalid_argument("num_steps: expected >= 0, got " + std::to_string(num_steps));
  }
  UniqueModel model = CompileXmlString(xml);
  UniqueData data(mj_makeData(model.get()));
  if (!data) throw std::runtime_error("mj_makeData failed");
  for (int i = 0; i < num_steps; ++i) mj_step(model.get(), data.get());
  std::vector<double> out(data->qpos, data->qpos + model->nq);
  out.insert(out.end(), data->qvel, data->qvel + model->nv);
  return out;
}

}  // namespace ctpg
