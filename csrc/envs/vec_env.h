// A batch of Env objects of possibly different tasks, stepped together on a
// persistent thread pool. Outputs go straight into caller-provided contiguous
// buffers. Same-step autoreset: an env whose episode ends (terminated, or its
// step count reached its max_episode_steps) is reset in the same call; its obs
// row holds the new episode's first observation and its final_obs row the last
// observation of the finished episode.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/thread_pool.h"
#include "envs/env.h"

namespace ctpg {

// Output buffers of one batch step, each with num_envs rows (obs rows of
// obs_dim floats, info rows of info_keys().size() doubles). `info` may be
// nullptr when the caller does not want it.
struct VecStepBuffers {
  float* obs;
  float* reward;
  bool* terminated;
  bool* truncated;
  bool* success;
  float* final_obs;
  double* info = nullptr;
};

// Results of a step started by VecEnv::StepAsync, held by the VecEnv until the
// next StepAsync (info empty unless asked for). `flags` holds num_envs rows each
// of terminated, truncated and success, in that order.
struct AsyncStepResult {
  std::vector<float> obs, reward, final_obs;
  std::unique_ptr<bool[]> flags;
  std::vector<double> info;
  bool with_info = false;
};

class VecEnv {
 public:
  // Every env must share obs_dim, action_dim and info_keys; `max_episode_steps` has one
  // positive entry per env. Env i's RNG is seeded from (seed, i). Throws
  // std::invalid_argument naming the offending argument.
  VecEnv(std::vector<std::unique_ptr<Env>> envs, uint64_t seed, int num_threads,
         std::vector<int> max_episode_steps);

  int num_envs() const { return static_cast<int>(envs_.size()); }
  int obs_dim() const { return obs_dim_; }
  int action_dim() const { return action_dim_; }
  int num_threads() const { return pool_.num_threads(); }
  std::vector<std::string> task_names() const;
  std::vector<int> task_vector_dims() const;
  // Names of the per-step info columns (the envs' shared Env::info_keys()).
  const std::vector<std::string>& info_keys() const { return envs_[0]->info_keys(); }
  int info_dim() const { return static_cast<int>(envs_[0]->info_keys().size()); }

  // Starts a new episode in every env, writing num_envs x obs_dim floats. With
  // a seed, env i's RNG is first reseeded from (seed, i).
  void Reset(std::optional<uint64_t> seed, float* obs);

  // One step of every env with `actions` (num_envs x action_dim floats). All
  // actions are checked to be finite before any env moves; a bad one throws
  // std::invalid_argument naming the env. Throws std::runtime_error before the
  // first Reset.
  void Step(const float* actions, const VecStepBuffers& out);

  // Step split in two, so that the caller works while the envs step: StepAsync
  // checks like Step (reset done, finite actions), copies the actions and starts
  // the step on a background thread; StepWait waits for it, rethrows what it threw
  // and returns its results. Until StepWait, every other call but StepWait throws
  // std::runtime_error. The destructor waits for a step in flight.
  void StepAsync(const float* actions, bool with_info);
  const AsyncStepResult& StepWait();
  bool step_in_flight() const;
  ~VecEnv();

  // Per env (one entry each): freezes its task vector (task_vector_dims()[i]
  // entries) or, with nullptr, returns it to fresh draws; takes effect at the
  // next reset. Every vector is checked before any env changes: a bad one
  // throws std::invalid_argument naming it and leaves every env as it was.
  void FreezeTaskVectors(const std::vector<const double*>& vecs);
  // Writes the vector of env's current episode.
  void CurrentTaskVector(int env, double* out) const;

  // Overwrites env's simulation state and writes its obs_dim observation.
  // Non-finite qpos or qvel entries throw std::invalid_argument, env unchanged.
  void SetState(int env, const double* qpos, int nq, const double* qvel, int nv, float* obs);
  // A copy of env's simulation state and edited model fields (see SimState).
  SimState GetState(int env) const;

 private:
  void CheckEnvIndex(int env, const char* what) const;
  void ThrowIfInFlight(const char* what) const;
  void RunStep(const float* actions, const VecStepBuffers& out);
  void CheckActions(const float* actions) const;
  void StepOne(int i, const float* actions, const VecStepBuffers& out);

  std::vector<std::unique_ptr<Env>> envs_;
  std::vector<Rng> rngs_;
  std::vector<int> max_episode_steps_;
  std::vector<int> elapsed_steps_;
  int obs_dim_ = 0;
  int action_dim_ = 0;
  bool needs_reset_ = true;
  // Serialises calls from different host threads (the pool is not reentrant).
  mutable std::mutex call_mutex_;
  ThreadPool pool_;
  // The step StepAsync started (valid until StepWait), its actions and results.
  mutable std::mutex async_mutex_;
  std::future<void> in_flight_;
  std::vector<float> async_actions_;
  AsyncStepResult async_;
};

}  // namespace ctpg
