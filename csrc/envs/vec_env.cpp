#include "envs/vec_env.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace ctpg {
namespace {

int ValidatedThreadCount(int num_threads, size_t num_envs) {
  if (num_threads < 1) {
    throw std::invalid_argument("num_threads: expected >= 1, got " + std::to_string(num_threads));
  }
  return std::max(1, std::min(num_threads, static_cast<int>(num_envs)));
}

void CheckFinite(const char* name, const double* x, int n) {
  for (int i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {
      throw std::invalid_argument(std::string(name) + ": expected finite values, entry " +
                                  std::to_string(i) + " is " + std::to_string(x[i]));
    }
  }
}

}  // namespace

VecEnv::VecEnv(std::vector<std::unique_ptr<Env>> envs, uint64_t seed, int num_threads,
               std::vector<int> max_episode_steps)
    : envs_(std::move(envs)),
      max_episode_steps_(std::move(max_episode_steps)),
      pool_(ValidatedThreadCount(num_threads, envs_.size())) {
  if (envs_.empty()) throw std::invalid_argument("task_names: expected at least one task");
  if (max_episode_steps_.size() != envs_.size()) {
    throw std::invalid_argument("max_episode_steps: expected " + std::to_string(envs_.size()) +
                                " entries (one per task in task_names), got " +
                                std::to_string(max_episode_steps_.size()));
  }
  obs_dim_ = envs_[0]->obs_dim();
  action_dim_ = envs_[0]->action_dim();
  for (size_t i = 0; i < envs_.size(); ++i) {
    const Env& e = *envs_[i];
    if (e.obs_dim() != obs_dim_ || e.action_dim() != action_dim_) {
      throw std::invalid_argument("task_names: all tasks must share obs_dim and action_dim; '" +
                                  envs_[0]->task_name() + "' has (" + std::to_string(obs_dim_) +
                                  ", " + std::to_string(action_dim_) + "), '" + e.task_name() +
                                  "' has (" + std::to_string(e.obs_dim()) + ", " +
                                  std::to_string(e.action_dim()) + ")");
    }
    if (e.info_keys() != envs_[0]->info_keys()) {
      throw std::invalid_argument("task_names: all tasks must report the same info keys; '" +
                                  envs_[0]->task_name() + "' and '" + e.task_name() + "' differ");
    }
    if (max_episode_steps_[i] < 1) {
      throw std::invalid_argument("max_episode_steps: entry " + std::to_string(i) +
                                  " must be >= 1, got " + std::to_string(max_episode_steps_[i]));
    }
    rngs_.emplace_back(seed, i);
  }
  elapsed_steps_.assign(envs_.size(), 0);
}

std::vector<std::string> VecEnv::task_names() const {
  std::vector<std::string> names;
  for (const auto& e : envs_) names.push_back(e->task_name());
  return names;
}

std::vector<int> VecEnv::task_vector_dims() const {
  std::vector<int> dims;
  for (const auto& e : envs_) dims.push_back(e->task_vector_dim());
  return dims;
}

void VecEnv::Reset(std::optional<uint64_t> seed, float* obs) {
  ThrowIfInFlight("reset");
  std::lock_guard<std::mutex> lock(call_mutex_);
  if (seed) {
    for (size_t i = 0; i < rngs_.size(); ++i) rngs_[i].Seed(*seed, i);
  }
  needs_reset_ = true;  // stays set if a reset fails part-way
  pool_.ParallelFor(num_envs(), [&](int i) {
    envs_[i]->Reset(rngs_[i], obs + static_cast<size_t>(i) * obs_dim_);
    elapsed_steps_[i] = 0;
  });
  needs_reset_ = false;
}

void VecEnv::CheckActions(const float* actions) const {
  for (int i = 0; i < num_envs(); ++i) {
    const float* a = actions + static_cast<size_t>(i) * action_dim_;
    for (int j = 0; j < action_dim_; ++j) {
      if (!std::isfinite(a[j])) {
        throw std::invalid_argument("actions: env " + std::to_string(i) + " ('" +
                                    envs_[i]->task_name() + "') has a non-finite value " +
                                    std::to_string(a[j]) + " at index " + std::to_string(j));
      }
    }
  }
}

void VecEnv::StepOne(int i, const float* actions, const VecStepBuffers& out) {
  const size_t row = static_cast<size_t>(i) * obs_dim_;
  float* obs = out.obs + row;
  const StepOutput r = envs_[i]->Step(actions + static_cast<size_t>(i) * action_dim_, obs);
  const bool truncated = ++elapsed_steps_[i] >= max_episode_steps_[i];
  out.reward[i] = static_cast<float>(r.reward);
  out.terminated[i] = r.terminated;
  out.truncated[i] = truncated;
  out.success[i] = r.success;
  std::memcpy(out.final_obs + row, obs, sizeof(float) * obs_dim_);
  if (out.info != nullptr) {
    const int dim = info_dim();
    std::copy(r.info.begin(), r.info.begin() + dim, out.info + static_cast<size_t>(i) * dim);
  }
  if (r.terminated || truncated) {
    envs_[i]->Reset(rngs_[i], obs);
    elapsed_steps_[i] = 0;
  }
}

void VecEnv::Step(const float* actions, const VecStepBuffers& out) {
  ThrowIfInFlight("step");
  RunStep(actions, out);
}

void VecEnv::ThrowIfInFlight(const char* what) const {
  if (step_in_flight()) {
    throw std::runtime_error(std::string(what) +
                             ": a step started by step_async is in flight; call step_wait() "
                             "first");
  }
}

bool VecEnv::step_in_flight() const {
  std::lock_guard<std::mutex> lock(async_mutex_);
  return in_flight_.valid();
}

void VecEnv::StepAsync(const float* actions, bool with_info) {
  std::lock_guard<std::mutex> lock(async_mutex_);
  if (in_flight_.valid()) {
    throw std::runtime_error("step_async: a step is already in flight; call step_wait() first");
  }
  {
    std::lock_guard<std::mutex> call(call_mutex_);
    if (needs_reset_) {
      throw std::runtime_error(
          "step_async: call reset() first (no reset yet, or the last reset or step failed)");
    }
    CheckActions(actions);
  }
  const size_t n = envs_.size(), rows = n * static_cast<size_t>(obs_dim_);
  async_actions_.assign(actions, actions + n * static_cast<size_t>(action_dim_));
  async_.obs.resize(rows);
  async_.final_obs.resize(rows);
  async_.reward.resize(n);
  async_.info.resize(with_info ? n * static_cast<size_t>(info_dim()) : 0);
  async_.with_info = with_info;
  async_.flags = std::make_unique<bool[]>(3 * n);
  bool* flags = async_.flags.get();
  const VecStepBuffers out{async_.obs.data(),
                           async_.reward.data(),
                           flags,
                           flags + n,
                           flags + 2 * n,
                           async_.final_obs.data(),
                           with_info ? async_.info.data() : nullptr};
  in_flight_ = std::async(std::launch::async, [this, out] { RunStep(async_actions_.data(), out); });
}

const AsyncStepResult& VecEnv::StepWait() {
  std::future<void> step;
  {
    std::lock_guard<std::mutex> lock(async_mutex_);
    if (!in_flight_.valid()) {
      throw std::runtime_error("step_wait: no step in flight; call step_async(actions) first");
    }
    step = std::move(in_flight_);
  }
  step.get();  // rethrows the step's exception
  return async_;
}

VecEnv::~VecEnv() {
  if (in_flight_.valid()) in_flight_.wait();  // before the envs and the pool go
}

void VecEnv::RunStep(const float* actions, const VecStepBuffers& out) {
  std::lock_guard<std::mutex> lock(call_mutex_);
  if (needs_reset_) {
    throw std::runtime_error(
        "step: call reset() first (no reset yet, or the last reset or step failed)");
  }
  CheckActions(actions);
  // A failed step leaves envs in an unknown state: require a reset after it.
  needs_reset_ = true;
  pool_.ParallelFor(num_envs(), [&](int i) { StepOne(i, actions, out); });
  needs_reset_ = false;
}

void VecEnv::CheckEnvIndex(int env, const char* what) const {
  if (env < 0 || env >= num_envs()) {
    throw std::invalid_argument(std::string(what) + ": env index " + std::to_string(env) +
                                " out of range [0, " + std::to_string(num_envs()) + ")");
  }
}

void VecEnv::FreezeTaskVectors(const std::vector<const double*>& vecs) {
  ThrowIfInFlight("freeze_task_vectors");
  std::lock_guard<std::mutex> lock(call_mutex_);
  if (static_cast<int>(vecs.size()) != num_envs()) {
    throw std::invalid_argument("vectors: expected " + std::to_string(num_envs()) +
                                " entries (one per env), got " + std::to_string(vecs.size()));
  }
  for (int i = 0; i < num_envs(); ++i) {
    if (vecs[i] == nullptr) continue;
    try {
      envs_[i]->CheckTaskVector(vecs[i]);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("vectors[" + std::to_string(i) + "] (env " + std::to_string(i) +
                                  "): " + e.what());
    }
  }
  for (int i = 0; i < num_envs(); ++i) {
    if (vecs[i] == nullptr) {
      envs_[i]->UnfreezeTaskVector();
    } else {
      envs_[i]->FreezeTaskVector(vecs[i]);
    }
  }
}

void VecEnv::CurrentTaskVector(int env, double* out) const {
  std::lock_guard<std::mutex> lock(call_mutex_);
  CheckEnvIndex(env, "task_vectors");
  envs_[env]->CurrentTaskVector(out);
}

void VecEnv::SetState(int env, const double* qpos, int nq, const double* qvel, int nv, float* obs) {
  ThrowIfInFlight("set_state");
  std::lock_guard<std::mutex> lock(call_mutex_);
  CheckEnvIndex(env, "env");
  CheckFinite("qpos", qpos, nq);
  CheckFinite("qvel", qvel, nv);
  envs_[env]->SetState(qpos, nq, qvel, nv, obs);
}

SimState VecEnv::GetState(int env) const {
  std::lock_guard<std::mutex> lock(call_mutex_);
  CheckEnvIndex(env, "env");
  return envs_[env]->GetState();
}

}  // namespace ctpg
