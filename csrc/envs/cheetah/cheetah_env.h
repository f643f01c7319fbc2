// One HalfCheetah env with gymnasium HalfCheetah-v5 semantics: frame skip 5,
// observation qpos[1:] ++ qvel, reward forward velocity - 0.1 |a|^2 (the
// control cost in float32, as numpy computes it from a float32 action), reset
// noise U(-0.1, 0.1) on qpos and 0.1 N(0, 1) on qvel, never terminates, never
// reports success. Info as gymnasium's: x_position, x_velocity, reward_forward,
// reward_ctrl.
#pragma once

#include <mujoco/mujoco.h>

#include <memory>
#include <string>
#include <vector>

#include "common/mujoco_util.h"
#include "envs/env.h"

namespace ctpg {

class CheetahEnv final : public Env {
 public:
  // `model` is shared read-only with the other envs of the same variant.
  CheetahEnv(std::string task_name, std::shared_ptr<const mjModel> model);

  const std::string& task_name() const override { return task_name_; }
  int obs_dim() const override { return model_->nq - 1 + model_->nv; }
  int action_dim() const override { return model_->nu; }
  const std::vector<std::string>& info_keys() const override;

  void CheckTaskVector(const double* vec) const override;
  void FreezeTaskVector(const double* vec) override { CheckTaskVector(vec); }
  void UnfreezeTaskVector() override {}
  void CurrentTaskVector(double* /*out*/) const override {}

  void Reset(Rng& rng, float* obs) override;
  StepOutput Step(const float* action, float* obs) override;
  void SetState(const double* qpos, int nq, const double* qvel, int nv, float* obs) override;
  SimState GetState() const override { return ReadSimState(model_.get(), data_.get()); }

 private:
  void WriteObs(float* obs) const;

  std::string task_name_;
  std::shared_ptr<const mjModel> model_;
  UniqueData data_;
};

}  // namespace ctpg
