#include "guide/guide_scheduler.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ctpg {
namespace {

void CheckLength(const char* name, size_t got, int64_t want) {
  if (static_cast<int64_t>(got) != want) {
    throw std::invalid_argument(std::string(name) + " must have shape [" + std::to_string(want) +
                                "], got length " + std::to_string(got));
  }
}

}  // namespace

GuideScheduler::GuideScheduler(int64_t num_envs, int64_t guide_step,
                               std::vector<int64_t> task_of_env) {
  constexpr int64_t kMaxEnvs = 1 << 24, kMaxGuideStep = 1 << 20;
  if (num_envs < 1 || num_envs > kMaxEnvs) {
    throw std::invalid_argument("num_envs must be in [1, " + std::to_string(kMaxEnvs) + "], got " +
                                std::to_string(num_envs));
  }
  if (guide_step < 1 || guide_step > kMaxGuideStep) {
    throw std::invalid_argument("guide_step must be in [1, " + std::to_string(kMaxGuideStep) +
                                "], got " + std::to_string(guide_step));
  }
  GuideSchedulerState& s = state_;
  s.num_envs = num_envs;
  s.guide_step = guide_step;
  if (task_of_env.empty()) {
    task_of_env.resize(num_envs);
    for (int64_t i = 0; i < num_envs; ++i) task_of_env[i] = i;
  }
  s.task_of_env = std::move(task_of_env);
  CheckLength("task_of_env", s.task_of_env.size(), num_envs);
  num_tasks_ = CheckTasks(s);
  s.episode_step.assign(num_envs, 0);
  s.behaviour = s.task_of_env;
  s.blocked.assign(num_envs, 0);
  s.blocked_next.assign(num_envs, 0);
  s.choosing.assign(num_envs, 0);
}

int64_t GuideScheduler::CheckTasks(const GuideSchedulerState& s) {
  int64_t max_task = -1;
  for (int64_t t : s.task_of_env) {
    if (t < 0) throw std::invalid_argument("task_of_env must be >= 0, got " + std::to_string(t));
    max_task = std::max(max_task, t);
  }
  return max_task + 1;
}

std::vector<uint8_t> GuideScheduler::BeginStep() {
  GuideSchedulerState& s = state_;
  if (!s.in_step) {
    for (int64_t i = 0; i < s.num_envs; ++i) {
      if (s.episode_step[i] == 0) s.blocked[i] = s.blocked_next[i];
      const bool boundary = s.episode_step[i] % s.guide_step == 0;
      s.choosing[i] = boundary && !s.blocked[i];
      if (boundary) s.behaviour[i] = s.task_of_env[i];  // the previous choice expires
    }
    s.in_step = true;
  }
  return s.choosing;
}

std::vector<uint8_t> GuideScheduler::Boundary() const {
  const GuideSchedulerState& s = state_;
  std::vector<uint8_t> out(s.num_envs);
  for (int64_t i = 0; i < s.num_envs; ++i) out[i] = s.episode_step[i] % s.guide_step == 0;
  return out;
}

void GuideScheduler::SetBehaviour(const std::vector<int64_t>& env_ids,
                                  const std::vector<int64_t>& tasks) {
  GuideSchedulerState& s = state_;
  CheckLength("tasks", tasks.size(), static_cast<int64_t>(env_ids.size()));
  if (!s.in_step) throw std::invalid_argument("set_behaviour must follow begin_step");
  for (size_t k = 0; k < env_ids.size(); ++k) {
    const int64_t i = env_ids[k];
    if (i < 0 || i >= s.num_envs) {
      throw std::invalid_argument("env_ids must be in [0, " + std::to_string(s.num_envs) +
                                  "), got " + std::to_string(i));
    }
    if (!s.choosing[i]) {
      throw std::invalid_argument("env_ids holds env " + std::to_string(i) +
                                  ", which does not choose a behaviour at this step");
    }
    if (tasks[k] < 0 || tasks[k] >= num_tasks_) {
      throw std::invalid_argument("tasks must be in [0, " + std::to_string(num_tasks_) + "), got " +
                                  std::to_string(tasks[k]));
    }
  }
  for (size_t k = 0; k < env_ids.size(); ++k) s.behaviour[env_ids[k]] = tasks[k];
}

void GuideScheduler::EndStep(const std::vector<uint8_t>& done) {
  GuideSchedulerState& s = state_;
  CheckLength("done", done.size(), s.num_envs);
  if (!s.in_step) throw std::invalid_argument("end_step must follow begin_step");
  for (int64_t i = 0; i < s.num_envs; ++i) {
    s.choosing[i] = 0;
    if (done[i]) {
      s.episode_step[i] = 0;
      s.behaviour[i] = s.task_of_env[i];
    } else {
      ++s.episode_step[i];
    }
  }
  s.in_step = false;
}

void GuideScheduler::SetBlocked(const std::vector<uint8_t>& blocked) {
  CheckLength("blocked", blocked.size(), state_.num_envs);
  for (int64_t i = 0; i < state_.num_envs; ++i) state_.blocked_next[i] = blocked[i] ? 1 : 0;
}

void GuideScheduler::LoadState(const GuideSchedulerState& in) {
  if (in.num_envs != state_.num_envs || in.guide_step != state_.guide_step) {
    throw std::invalid_argument("state_dict is for num_envs=" + std::to_string(in.num_envs) +
                                ", guide_step=" + std::to_string(in.guide_step) +
                                "; this scheduler has num_envs=" + std::to_string(state_.num_envs) +
                                ", guide_step=" + std::to_string(state_.guide_step));
  }
  const int64_t n = in.num_envs;
  CheckLength("task_of_env", in.task_of_env.size(), n);
  CheckLength("episode_step", in.episode_step.size(), n);
  CheckLength("behaviour", in.behaviour.size(), n);
  CheckLength("blocked", in.blocked.size(), n);
  CheckLength("blocked_next", in.blocked_next.size(), n);
  CheckLength("choosing", in.choosing.size(), n);
  const int64_t num_tasks = CheckTasks(in);
  for (int64_t i = 0; i < n; ++i) {
    if (in.episode_step[i] < 0) throw std::invalid_argument("episode_step must be >= 0");
    if (in.behaviour[i] < 0 || in.behaviour[i] >= num_tasks) {
      throw std::invalid_argument("behaviour must be in [0, " + std::to_string(num_tasks) + ")");
    }
  }
  state_ = in;
  num_tasks_ = num_tasks;
}

}  // namespace ctpg
