// The interface every native task implements. The vectorised engine
// (vec_env.h) owns a batch of Env objects of possibly different tasks and steps
// them on a thread pool; an Env never touches Python or numpy.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/mujoco_util.h"
#include "common/rng.h"

namespace ctpg {

// Upper bound on the number of per-step info values an env reports.
constexpr int kMaxInfoFields = 6;

struct StepOutput {
  double reward = 0.0;
  bool success = false;
  bool terminated = false;
  // Per-step diagnostics named by Env::info_keys(), in that order; entries
  // past info_keys().size() are unused.
  std::array<double, kMaxInfoFields> info{};
};

class Env {
 public:
  virtual ~Env() = default;

  virtual const std::string& task_name() const = 0;
  virtual int obs_dim() const = 0;
  virtual int action_dim() const = 0;
  // Names of the StepOutput::info entries (at most kMaxInfoFields), the same
  // for every env of a family.
  virtual const std::vector<std::string>& info_keys() const = 0;

  // Length of the task's random vector (MetaWorld); 0 for tasks without one.
  virtual int task_vector_dim() const { return 0; }
  // Throws std::invalid_argument if `vec` (task_vector_dim() entries) is out
  // of the task's range, rejected by its reset rule, or the task has no vector.
  virtual void CheckTaskVector(const double* vec) const = 0;
  // Sets the random vector used by every following Reset (frozen goals), after
  // CheckTaskVector(vec); a rejected vector changes nothing.
  virtual void FreezeTaskVector(const double* vec) = 0;
  // Returns to drawing a fresh vector from the task's ranges at each reset.
  virtual void UnfreezeTaskVector() = 0;
  // The vector used by the current episode (task_vector_dim() entries).
  virtual void CurrentTaskVector(double* out) const = 0;

  // Starts an episode; randomness (fresh vector, reset noise) comes from rng.
  virtual void Reset(Rng& rng, float* obs) = 0;
  // One control step with a float32 action of action_dim() entries. The
  // caller has checked shape and finiteness. Writes obs_dim() floats.
  virtual StepOutput Step(const float* action, float* obs) = 0;

  // Overwrites the simulation state with qpos (nq entries) and qvel (nv
  // entries), recomputes derived quantities and writes the observation. Used to
  // start native and reference simulations from the same state. Tasks that do
  // not support it, or sizes that do not match the model, throw
  // std::invalid_argument.
  virtual void SetState(const double* /*qpos*/, int /*nq*/, const double* /*qvel*/, int /*nv*/,
                        float* /*obs*/) {
    throw std::invalid_argument("set_state: not supported by task '" + task_name() + "'");
  }
  // The current simulation state and the model fields the task edits (see
  // SimState), for drawing this env with its full model. Tasks that do not
  // support it throw std::invalid_argument.
  virtual SimState GetState() const {
    throw std::invalid_argument("get_state: not supported by task '" + task_name() + "'");
  }
};

}  // namespace ctpg
