#include "envs/cheetah/cheetah_env.h"

#include <stdexcept>
#include <utility>

namespace ctpg {
namespace {

constexpr int kFrameSkip = 5;
constexpr double kForwardRewardWeight = 1.0;
constexpr float kCtrlCostWeight = 0.1f;
constexpr double kResetNoiseScale = 0.1;

}  // namespace

const std::vector<std::string>& CheetahEnv::info_keys() const {
  static const std::vector<std::string> keys = {"x_position", "x_velocity", "reward_forward",
                                                "reward_ctrl"};
  return keys;
}

CheetahEnv::CheetahEnv(std::string task_name, std::shared_ptr<const mjModel> model)
    : task_name_(std::move(task_name)), model_(std::move(model)) {
  data_.reset(mj_makeData(model_.get()));
  if (!data_) throw std::runtime_error("mj_makeData failed for task '" + task_name_ + "'");
}

void CheetahEnv::CheckTaskVector(const double* /*vec*/) const {
  throw std::invalid_argument("task '" + task_name_ + "' has no task vector");
}

void CheetahEnv::Reset(Rng& rng, float* obs) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  mj_resetData(m, d);
  for (int i = 0; i < m->nq; ++i) {
    d->qpos[i] = m->qpos0[i] + rng.Uniform(-kResetNoiseScale, kResetNoiseScale);
  }
  for (int i = 0; i < m->nv; ++i) d->qvel[i] = kResetNoiseScale * rng.Normal();
  mj_forward(m, d);
  WriteObs(obs);
}

StepOutput CheetahEnv::Step(const float* action, float* obs) {
  const mjModel* m = model_.get();
  mjData* d = data_.get();
  const double x_before = d->qpos[0];
  for (int i = 0; i < m->nu; ++i) d->ctrl[i] = static_cast<double>(action[i]);
  for (int k = 0; k < kFrameSkip; ++k) mj_step(m, d);
  const double x_velocity = (d->qpos[0] - x_before) / (m->opt.timestep * kFrameSkip);
  // numpy: 0.1 * np.sum(np.square(a)) on float32 stays float32, summed in order.
  float squares = 0.0f;
  for (int i = 0; i < m->nu; ++i) squares += action[i] * action[i];
  const float ctrl_cost = kCtrlCostWeight * squares;
  WriteObs(obs);
  StepOutput out;
  const double forward = kForwardRewardWeight * x_velocity;
  out.reward = forward - static_cast<double>(ctrl_cost);
  out.info = {d->qpos[0], x_velocity, forward, -static_cast<double>(ctrl_cost)};
  return out;
}

void CheetahEnv::SetState(const double* qpos, int nq, const double* qvel, int nv, float* obs) {
  const mjModel* m = model_.get();
  if (nq != m->nq || nv != m->nv) {
    throw std::invalid_argument("set_state: expected qpos of " + std::to_string(m->nq) +
                                " and qvel of " + std::to_string(m->nv) + " entries, got " +
                                std::to_string(nq) + " and " + std::to_string(nv));
  }
  mjData* d = data_.get();
  for (int i = 0; i < nq; ++i) d->qpos[i] = qpos[i];
  for (int i = 0; i < nv; ++i) d->qvel[i] = qvel[i];
  mj_forward(m, d);
  WriteObs(obs);
}

void CheetahEnv::WriteObs(float* obs) const {
  const mjModel* m = model_.get();
  const mjData* d = data_.get();
  int k = 0;
  for (int i = 1; i < m->nq; ++i) obs[k++] = static_cast<float>(d->qpos[i]);
  for (int i = 0; i < m->nv; ++i) obs[k++] = static_cast<float>(d->qvel[i]);
}

}  // namespace ctpg
